// bench/agent-overhead.ts — what runtime monitoring costs a live HTTP server, and how fast /metrics answers.
// A node:http server answering small JSON runs in a child process (pinned to CPU 1 with taskset when it
// exists; autocannon and the scraper run here, pinned to CPU 0). Variants, alternating in every round:
//   none       nothing
//   control    nothing again: its ratio to the paired "none" run is the noise floor
//   memstats   the memstats agent (node --import memstats/register), /metrics scraped every second
//   memstats-main  the same with MEMSTATS_SERVER_THREAD=main: the debug server on the application's thread
//   memstats-normal  the same with MEMSTATS_SERVER_PRIORITY=normal: its thread not lowered to nice 19
//   memstats-quiet  the agent with its debug server, never scraped
//   memstats-off  the agent with MEMSTATS_ADDR=off: the GC tracker and nothing else
//   memstats-404  the agent with a request to a path it does not serve every second (its server thread answers
//              404 alone); memstats-index: to /debug/pprof/ (one small call to the application's thread)
//   gc-observer  a bare PerformanceObserver on 'gc' with an empty callback (what every GC metric pays in Node)
//   gc-observer-shared  the same after memstats' shareEntryAccessors() (Node's entries without their per-entry
//              deprecated accessors: what the GC tracker's observer pays, before its own accounting)
//   prom       prom-client collectDefaultMetrics() + /metrics on the app server, scraped every second
//   otel       @opentelemetry/instrumentation-runtime-node + an sdk-metrics reader collecting every second
//   spin-req   calibration: a known cost of 1 µs of busy CPU per request (~1.5% of this server's ~65 µs)
//   spin-tick  calibration: a known cost of 10 ms of busy CPU once a second (1% of the core)
// Every variant run is paired with a fresh "none" run next to it (order alternating); ratios are medians
// of those pairs. Then /metrics latency: client-observed under load (the 1 s scrapes above), and on an idle
// server (1,000 scrapes, 2 ms apart), plus the time to produce the text inside the process.
// With --attribute, each server also CPU-profiles its main thread (the inspector's sampler, 1 ms) over the measured
// window, and every sample is charged to the monitoring code on its stack (memstats, prom-client, OpenTelemetry):
// a figure that the machine's load cannot move the way it moves rps.
// With --paired, instead: each variant's server and a "none" server share CPU 1 and are loaded at the same
// time (one autocannon each); the scheduler splits the core between them, so the ratio of requests each
// served is the ratio of their costs per request, and the machine's drift moves both alike (control: ±2–3%).
// On Linux it also prints each process's CPU time per request (every thread, schedstat) over the same seconds,
// × none: the steadier of the two (control: ±1–2%).
// With --latency, instead: an open-loop load at a fixed --rate (requests due on a clock, each timed from when it
// was due, to the µs) with the 1 s scrape, after --warmup seconds that include the first scrapes; each variant
// next to a fresh "none" run. Its p99 and p99.9 answer "what does a scrape do to the application's tail latency".
// With --interleaved, the same open-loop load but on long-lived servers: one of every variant and a "none" run
// side by side for the whole benchmark (each scraped every second throughout), the load moving from one to the
// next every --seconds, --rounds times; a fresh process measures its first seconds, this measures a service
// that has been up for minutes, and the machine's drift falls on every server alike.
// With --cpu, instead: the main thread's CPU time per request (Linux: /proc/<pid>/task/<pid>/stat), which does
// not depend on how the scheduler shares the core. Each round starts a fresh server of every variant and of
// "none" (each scraped every second from its start), loads each alone for --warmup s (default 10), then for
// --seconds in turn (order alternating); the ratio is each variant's CPU per request over that round's "none".
// A fresh set of processes each round, because a long-lived process keeps its own JIT and young-generation
// state: two identical ones can differ by a few percent for their whole life.
// With --semi-space MB, every server (each variant's and every "none") runs with V8's young generation fixed at
// that size: V8 grows it as objects survive scavenges, and a process whose GC observer keeps a little more alive
// gets there sooner, so a fresh "none" can run with a smaller young generation (fewer cache misses) than its pair;
// a long-lived service reaches the larger size either way. --scrape-ms: how often scraped variants are read
// (default 1000), to tell a cost per scrape from one that does not follow the scrapes. --v8-flags: more V8 flags
// for every server (e.g. "--single-threaded-gc": no GC work on V8's shared platform threads).
// Run: npx tsc -p tsconfig.json && node dist/bench/agent-overhead.js [--rounds 3] [--seconds 5] [--connections 10] [--variants control,memstats,prom,otel] [--attribute | --paired [--warmup 1] | --cpu [--warmup 10] | --latency [--rate 5000] [--warmup 4] | --interleaved [--rate 5000]] [--semi-space MB] [--scrape-ms 1000] [--v8-flags=…]
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CLOCK_TICKS, statFields } from '../src/attach/proc.js';
import { autocannon, loadRun, median, messageFrom, noneCells, openLoopLoad, pairedHeader, pinToCpu0, runPaired, sharedCoreRuns, sortedQuantile, spawnNode, startBareGCObserver, variantCells, type LoadResult } from './helpers.js';

const require = createRequire(import.meta.url);

type Variant = 'none' | 'control' | 'memstats' | 'memstats-main' | 'memstats-normal' | 'memstats-quiet' | 'memstats-off' | 'memstats-404' | 'memstats-index' | 'gc-observer' | 'gc-observer-shared' | 'prom' | 'otel' | 'spin-req' | 'spin-tick';
const VARIANTS: Variant[] = ['control', 'memstats', 'prom', 'otel'];
const REGISTER = pathToFileURL(fileURLToPath(new URL('../src/agent/register.js', import.meta.url))).href;

// ---------------------------------------------------------------- server side
async function serve(variant: Variant): Promise<void> {
  let metricsPath: ((res: import('node:http').ServerResponse) => Promise<void>) | undefined;
  let render: (() => Promise<string>) | undefined;
  let scrapeUrl: string | undefined;
  if (variant.startsWith('memstats')) {
    // Loaded by --import already: this resolves to the same agent.
    const { agent } = (await import(REGISTER)) as typeof import('../src/agent/register.js');
    const a = await agent;
    if (!a || (!a.server && variant !== 'memstats-off')) throw new Error('the memstats agent did not start');
    // memstats-404 and memstats-index read something else each time, to bisect what a scrape leaves behind.
    const path = variant === 'memstats-404' ? '/none' : variant === 'memstats-index' ? '/debug/pprof/' : '/metrics';
    scrapeUrl = a.server && variant !== 'memstats-quiet' ? `${a.server.url}${path}` : '-';
    // The agent renders in its server thread; the same text, produced here (made on the first
    // render, so the measured runs carry nothing the agent does not), times the work.
    let p: import('../src/export/prometheus.js').PrometheusMetrics | undefined;
    render = async () => {
      p ??= (await import('../src/export/prometheus.js')).registerPrometheusMetrics();
      return p.metrics();
    };
  } else if (variant === 'gc-observer' || variant === 'gc-observer-shared') {
    await startBareGCObserver(variant === 'gc-observer-shared');
  } else if (variant === 'prom') {
    const client = require('prom-client') as typeof import('prom-client');
    client.collectDefaultMetrics();
    render = () => client.register.metrics();
    metricsPath = async (res) => {
      const text = await client.register.metrics();
      res.writeHead(200, { 'content-type': client.register.contentType });
      res.end(text);
    };
  } else if (variant === 'otel') {
    const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const { RuntimeNodeInstrumentation } = require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');
    // An exporter that drops what it gets: the cost measured is collection, not a network.
    const exporter = {
      export: (_m: unknown, cb: (r: { code: number }) => void) => cb({ code: 0 }),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const reader = new sdk.PeriodicExportingMetricReader({ exporter: exporter as never, exportIntervalMillis: 1000 });
    const provider = new sdk.MeterProvider({ readers: [reader] });
    const inst = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
    inst.setMeterProvider(provider);
    inst.enable();
  }
  const spin = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  const spinPerRequestMs = variant === 'spin-req' ? 0.001 : 0;
  if (variant === 'spin-tick') setInterval(() => spin(10), 1000).unref();
  const body = JSON.stringify({ ok: true, service: 'bench', items: [1, 2, 3] });
  const server = createServer((req, res) => {
    if (spinPerRequestMs) spin(spinPerRequestMs);
    if (metricsPath && req.url === '/metrics') {
      void metricsPath(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  scrapeUrl ??= metricsPath ? `http://127.0.0.1:${port}/metrics` : '';
  let mark = process.cpuUsage();
  // --attribute: the parent names a file; the main thread is profiled from mark to report.
  const profileTo = process.env.MEMSTATS_BENCH_PROFILE;
  const session = profileTo ? new Session() : undefined;
  process.on('message', async (msg: string) => {
    if (msg === 'mark') {
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 1000 });
        await session.post('Profiler.start');
      }
      mark = process.cpuUsage();
      process.send!('marked');
    } else if (msg === 'render') {
      // Time to produce the text in this process: 1,000 renders, 2 ms apart (not a tight loop, whose garbage would be measured too).
      const times: number[] = [];
      if (render) {
        for (let i = 0; i < 50; i++) await render();
        for (let i = 0; i < 1000; i++) {
          const t = performance.now();
          await render();
          times.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      process.send!(JSON.stringify({ render: times }));
    } else if (msg === 'report') {
      const cpu = process.cpuUsage(mark);
      if (session && profileTo) writeFileSync(profileTo, JSON.stringify((await session.post('Profiler.stop')).profile));
      process.send!(JSON.stringify({ cpuUs: cpu.user + cpu.system }));
      server.close();
      process.exit(0);
    }
  });
  process.send!(`listening ${port} ${scrapeUrl || '-'}`);
}

// ---------------------------------------------------------------- load side
interface RunResult extends LoadResult {
  scrapesMs: number[];
  attribution?: Attribution;
}

/** --scrape-ms: how often the scraped variants' /metrics is read (default every second). */
let scrapeEveryMs = 1000;

/** --semi-space and --v8-flags: V8 flags for every server (none's and the variants' alike). */
let v8Args: string[] = [];

function startServer(variant: Variant, pin: boolean, profileTo?: string): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  const agent = variant.startsWith('memstats');
  const nodeArgs = [...v8Args, ...(agent ? [`--import=${REGISTER}`] : []), self, '--serve', variant];
  const env: NodeJS.ProcessEnv = { ...process.env, MEMSTATS_ADDR: variant === 'memstats-off' ? 'off' : '127.0.0.1:0' };
  if (variant === 'memstats-main') env.MEMSTATS_SERVER_THREAD = 'main';
  if (variant === 'memstats-normal') env.MEMSTATS_SERVER_PRIORITY = 'normal';
  if (profileTo) env.MEMSTATS_BENCH_PROFILE = profileTo;
  return spawnNode(nodeArgs, pin, { stdio: ['ignore', 'inherit', 'ignore', 'ipc'], env });
}

async function scrape(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url);
  await r.text();
  if (!r.ok) throw new Error(`scrape ${url}: ${r.status}`);
  return performance.now() - t;
}

/** Where a profile's samples went: shares of the busy (non-idle) samples. */
interface Attribution {
  monitoring: number;
  gc: number;
  /** Monitoring time by its entry point (the outermost monitoring frame: file:function), shares of busy time. */
  parts: Record<string, number>;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** The code each variant adds, recognised by the URL of a frame on the stack. */
const MONITORING = /\/dist\/src\/|\/prom-client\/|\/@opentelemetry\//;

type SampleKind = 'idle' | 'gc' | 'monitoring' | 'other';

/**
 * attribute charges every sample of a V8 CPU profile to the monitoring code when
 * any frame on its stack belongs to it, and reports the shares of busy time
 * (idle excluded) spent there and in the garbage collector. Native work outside
 * JavaScript frames (the C++ side of a GC callback) is not seen.
 */
function attribute(p: CpuProfile): Attribution {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const kind = new Map<number, SampleKind>();
  const kindOf = (id: number): SampleKind => {
    let k = kind.get(id);
    if (k) return k;
    const n = byId.get(id)!;
    const up = parent.get(id);
    if (n.callFrame.functionName === '(idle)') k = 'idle';
    else if (n.callFrame.functionName === '(garbage collector)') k = 'gc';
    else if (MONITORING.test(n.callFrame.url) || (up !== undefined && kindOf(up) === 'monitoring')) k = 'monitoring';
    else k = 'other';
    kind.set(id, k);
    return k;
  };
  // Samples are weighed by the time they stand for (up to the next sample, as
  // DevTools does): the sampler sometimes takes a burst of samples microseconds
  // apart, which a count would overstate.
  const entryOf = (id: number): string => {
    let entry = id;
    for (let up = parent.get(id); up !== undefined && kindOf(up) === 'monitoring'; up = parent.get(up)) entry = up;
    const f = byId.get(entry)!.callFrame;
    return `${f.url.slice(f.url.lastIndexOf('/') + 1)}:${f.functionName || '(anonymous)'}`;
  };
  const time: Record<SampleKind, number> = { idle: 0, gc: 0, monitoring: 0, other: 0 };
  const parts: Record<string, number> = {};
  let all = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const us = p.timeDeltas[i + 1] ?? 0;
    const k = kindOf(p.samples[i]);
    time[k] += us;
    if (k === 'monitoring') {
      const e = entryOf(p.samples[i]);
      parts[e] = (parts[e] ?? 0) + us;
    }
    all += us;
  }
  const busy = Math.max(1, all - time.idle);
  for (const e of Object.keys(parts)) parts[e] /= busy;
  return { monitoring: time.monitoring / busy, gc: time.gc / busy, parts };
}

async function run(variant: Variant, seconds: number, connections: number, pin: boolean, profileDir?: string): Promise<RunResult> {
  const scrapesMs: number[] = [];
  const profileTo = profileDir ? join(profileDir, `${variant}-${Date.now()}.cpuprofile`) : undefined;
  const child = startServer(variant, pin, profileTo);
  const exited = once(child, 'exit');
  const res = await loadRun(child, variant, connections, seconds, ([, , scrapeUrl]) => {
    if (scrapeUrl === '-') return () => {};
    const timer = setInterval(() => {
      scrape(scrapeUrl).then((ms) => scrapesMs.push(ms), () => {});
    }, scrapeEveryMs);
    return () => clearInterval(timer);
  });
  await exited;
  const attribution = profileTo ? attribute(JSON.parse(readFileSync(profileTo, 'utf8')) as CpuProfile) : undefined;
  return { ...res, scrapesMs, attribution };
}

interface LatencyResult extends LoadResult {
  p50Ms: number;
  p999Ms: number;
}

/**
 * latencyRun: one open-loop run against a fresh server of `variant`, its
 * /metrics scraped every second from the start of the warm-up (so the first,
 * cold scrapes fall outside the measured window).
 */
async function latencyRun(variant: Variant, rate: number, warmupSeconds: number, seconds: number, pin: boolean): Promise<LatencyResult> {
  const child = startServer(variant, pin);
  const exited = once(child, 'exit');
  let timer: NodeJS.Timeout | undefined;
  try {
    const [, port, scrapeUrl] = (await messageFrom(child, (m) => m.startsWith('listening '))).split(' ');
    if (scrapeUrl !== '-') timer = setInterval(() => void scrape(scrapeUrl).catch(() => {}), scrapeEveryMs);
    const r = await openLoopLoad(Number(port), {
      rate,
      warmMs: warmupSeconds * 1000,
      measureMs: seconds * 1000,
      onMeasure: () => child.send('mark'),
    });
    clearInterval(timer);
    child.send('report');
    const report = JSON.parse(await messageFrom(child, (m) => m.startsWith('{'))) as { cpuUs: number };
    const l = r.latenciesMs;
    return {
      rps: l.length / seconds,
      p99Ms: sortedQuantile(l, 0.99),
      p50Ms: sortedQuantile(l, 0.5),
      p999Ms: sortedQuantile(l, 0.999),
      cpuUsPerReq: report.cpuUs / Math.max(1, l.length),
    };
  } finally {
    clearInterval(timer);
    child.kill();
    await exited;
  }
}

/** latencyRuns: every variant next to a fresh "none" run, open loop at `rate`; a table of tail latencies. */
async function latencyRuns(variants: Variant[], rounds: number, rate: number, warmupSeconds: number, seconds: number, pin: boolean): Promise<void> {
  console.log(`Open loop at ${rate} requests/s, ${warmupSeconds} s warm-up then ${seconds} s measured, /metrics scraped every second; each variant next to a fresh "none" run.`);
  const { none, results } = await runPaired(variants, rounds, (x) => latencyRun(x, rate, warmupSeconds, seconds, pin), (r, x, res) => {
    console.error(`  round ${r + 1} ${x}: p50 ${res.p50Ms.toFixed(3)} p99 ${res.p99Ms.toFixed(3)} p99.9 ${res.p999Ms.toFixed(3)} ms, ${res.cpuUsPerReq.toFixed(1)} µs CPU/req`);
  });
  const m = median;
  const tail = (runs: LatencyResult[]) => `${m(runs.map((x) => x.p50Ms)).toFixed(3)} | ${m(runs.map((x) => x.p999Ms)).toFixed(3)}`;
  console.log(`\n${pairedHeader(['p50 ms', 'p99.9 ms', 'p99.9 × none'])}`);
  console.log(`| none | ${noneCells(none)} | ${tail(none)} | 1 |`);
  for (const v of variants) {
    const e = results.get(v)!;
    const p999 = e.runs.map((x, i) => x.p999Ms / e.nones[i].p999Ms);
    console.log(`| ${v} | ${variantCells(e)} | ${tail(e.runs)} | ${m(p999).toFixed(2)} |`);
  }
}

/** A long-lived server of one variant, its /metrics (if it has one: else scrapeUrl is '-') scraped every second from its start. */
interface ScrapedServer {
  v: Variant | 'none';
  child: ChildProcess;
  port: number;
  scrapeUrl: string;
  timer?: NodeJS.Timeout;
}

/** startScrapedServers starts a server of each variant in turn and scrapes each every second once it listens; if one fails, those started are stopped. */
async function startScrapedServers(variants: Array<Variant | 'none'>, pin: boolean): Promise<ScrapedServer[]> {
  const servers: ScrapedServer[] = [];
  try {
    for (const v of variants) {
      const s: ScrapedServer = { v, child: startServer(v, pin), port: 0, scrapeUrl: '-' };
      servers.push(s);
      const [, port, scrapeUrl] = (await messageFrom(s.child, (m) => m.startsWith('listening '))).split(' ');
      s.port = Number(port);
      s.scrapeUrl = scrapeUrl;
      if (scrapeUrl !== '-') s.timer = setInterval(() => void scrape(scrapeUrl).catch(() => {}), scrapeEveryMs);
    }
    return servers;
  } catch (err) {
    stopServers(servers);
    throw err;
  }
}

function stopServers(servers: ScrapedServer[]): void {
  for (const s of servers) {
    clearInterval(s.timer);
    s.child.kill();
  }
}

/**
 * interleavedRuns: a long-lived server of every variant and one of "none",
 * each scraped every second throughout; `rounds` times, each in turn (order
 * reversed every other round) takes the open-loop load for `seconds` after a
 * 1 s warm-up. Per variant: the p99 of each of its turns over the p99 of the
 * "none" turn of the same round (median of those ratios), and the quantiles of
 * all its turns pooled.
 */
async function interleavedRuns(variants: Variant[], rounds: number, rate: number, seconds: number, pin: boolean): Promise<void> {
  console.log(`Interleaved: every variant and "none" alive together, each scraped every second; open loop at ${rate} requests/s moving from one to the next every ${seconds} s (after 1 s of warm-up), ${rounds} rounds.`);
  const servers = (await startScrapedServers(['none', ...variants], pin)).map((s) => ({ ...s, latencies: [] as number[], p99: [] as number[] }));
  try {
    await new Promise((r) => setTimeout(r, 5000)); // every server past its first scrapes
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 ? [...servers].reverse() : servers) {
        const { latenciesMs } = await openLoopLoad(s.port, { rate, warmMs: 1000, measureMs: seconds * 1000 });
        s.latencies.push(...latenciesMs);
        s.p99.push(sortedQuantile(latenciesMs, 0.99));
      }
      console.error(`  round ${r + 1}: p99 ${servers.map((s) => `${s.v} ${s.p99[r].toFixed(3)}`).join(', ')} ms`);
    }
    // The GC tracker's side of the story, which no tenant can move: how much of the allocated bytes it
    // extrapolated (the profiler off, pauses not lengthened by it).
    for (const s of servers) {
      if (s.scrapeUrl === '-' || !s.v.startsWith('memstats')) continue;
      const text = await (await fetch(s.scrapeUrl)).text();
      const num = (re: RegExp) => [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
      const total = num(/^memstats_alloc_bytes_total (\S+)$/gm);
      const estimated = num(/^memstats_alloc_estimated_bytes_total (\S+)$/gm);
      const cycles = num(/^memstats_gc_cycles_total\{[^}]*\} (\S+)$/gm);
      console.log(`${s.v}: ${cycles} GC cycles, ${(total / 1e9).toFixed(2)} GB allocated, ${((100 * estimated) / total).toFixed(1)} % of it extrapolated (the GC profiler off)`);
    }
  } finally {
    stopServers(servers);
  }
  const none = servers[0];
  console.log('\n| variant | p99 × none (median of rounds) | range | p99 ms (pooled) | p99.9 ms (pooled) | p50 ms (pooled) |');
  console.log('|---|---:|---|---:|---:|---:|');
  for (const s of servers) {
    const ratios = s.p99.map((x, i) => x / none.p99[i]);
    const sorted = s.latencies.sort((a, b) => a - b);
    const q = (x: number) => sortedQuantile(sorted, x).toFixed(3);
    console.log(`| ${s.v} | ${median(ratios).toFixed(2)} | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} | ${q(0.99)} | ${q(0.999)} | ${q(0.5)} |`);
  }
}

/**
 * Idle server: client-observed scrape latency (1,000 scrapes, 2 ms apart), the
 * same for the application's own trivial route (`GET /`, the floor of this
 * machine: HTTP, loopback and the scheduler, with nothing to compute), and the
 * in-process render time.
 */
async function latency(variant: 'memstats' | 'memstats-main' | 'prom', pin: boolean): Promise<{ clientMs: number[]; floorMs: number[]; renderMs: number[] }> {
  const child = startServer(variant, pin);
  try {
    const [, port, scrapeUrl] = (await messageFrom(child, (m) => m.startsWith('listening '))).split(' ');
    const series = async (url: string): Promise<number[]> => {
      for (let i = 0; i < 50; i++) await scrape(url);
      const ms: number[] = [];
      for (let i = 0; i < 1000; i++) {
        ms.push(await scrape(url));
        await new Promise((r) => setTimeout(r, 2));
      }
      return ms;
    };
    const clientMs = await series(scrapeUrl);
    const floorMs = await series(`http://127.0.0.1:${port}/`);
    child.send('render');
    const { render } = JSON.parse(await messageFrom(child, (m) => m.startsWith('{"render"'))) as { render: number[] };
    return { clientMs, floorMs, renderMs: render };
  } finally {
    child.kill();
  }
}

const quantile = (xs: number[], q: number): number => sortedQuantile([...xs].sort((a, b) => a - b), q);

/** pairedRuns: each variant against "none" on one core under simultaneous load (sharedCoreRuns), scraped every second. */
async function pairedRuns(variants: Variant[], rounds: number, seconds: number, connections: number, warmSeconds: number, pin: boolean): Promise<void> {
  console.log(`Paired on one core: each variant and a "none" server share CPU 1 under simultaneous load (${warmSeconds} s not counted first); ratio = requests served by the variant / by "none".`);
  await sharedCoreRuns(variants, rounds, (v) => startServer(v, pin), {
    seconds,
    warmSeconds,
    connections,
    during: ([, , scrapeUrl]) => {
      if (!scrapeUrl || scrapeUrl === '-') return async () => {};
      const scrapes: Array<Promise<unknown>> = [];
      const timer = setInterval(() => scrapes.push(scrape(scrapeUrl).catch(() => {})), scrapeEveryMs);
      return async () => {
        clearInterval(timer);
        await Promise.all(scrapes);
      };
    },
  });
}

/** mainThreadCpuMs: CPU time (user + system) of a process's main thread so far, ms; Linux only. */
function mainThreadCpuMs(pid: number): number {
  const f = statFields(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')).fields;
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS; // utime, stime
}

/** cpuRuns: main-thread CPU per request of each variant over that of "none", fresh processes every round (see --cpu above). */
async function cpuRuns(variants: Variant[], rounds: number, seconds: number, connections: number, warmSeconds: number, pin: boolean): Promise<void> {
  console.log(`Main-thread CPU per request, × "none": fresh servers every round, each scraped every second, ${warmSeconds} s of load not counted, then ${seconds} s each in turn.`);
  const ratios = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    const servers = await startScrapedServers(['none', ...variants], pin);
    try {
      const url = (s: ScrapedServer) => `http://127.0.0.1:${s.port}/`;
      for (const s of servers) await autocannon({ url: url(s), connections, duration: warmSeconds });
      const usPerReq = new Map<Variant | 'none', number>();
      for (const s of r % 2 ? [...servers].reverse() : servers) {
        const before = mainThreadCpuMs(s.child.pid!);
        const res = await autocannon({ url: url(s), connections, duration: seconds });
        if (res.errors || res.non2xx) throw new Error(`${s.v}: ${res.errors} errors, ${res.non2xx} non-2xx`);
        usPerReq.set(s.v, ((mainThreadCpuMs(s.child.pid!) - before) * 1000) / Math.max(1, res.requests.total));
      }
      const none = usPerReq.get('none')!;
      for (const v of variants) ratios.get(v)!.push(usPerReq.get(v)! / none);
      console.error(`  round ${r + 1}: none ${none.toFixed(2)} µs/req; ${variants.map((v) => `${v} ×${(usPerReq.get(v)! / none).toFixed(3)}`).join(', ')}`);
    } finally {
      stopServers(servers);
    }
  }
  console.log('\n| variant | main-thread CPU per request × none (median of rounds) | range |');
  console.log('|---|---:|---|');
  for (const v of variants) {
    const xs = ratios.get(v)!;
    console.log(`| ${v} | ${median(xs).toFixed(3)} | ${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)} |`);
  }
}

const USAGE =
  'usage: node dist/bench/agent-overhead.js [--rounds 3] [--seconds 5] [--connections 10] [--variants control,memstats,prom,otel] [--attribute | --paired [--warmup 1] | --cpu [--warmup 10] | --latency [--rate 5000] [--warmup 4] | --interleaved [--rate 5000]] [--semi-space MB] [--scrape-ms 1000] [--v8-flags=--single-threaded-gc]';

const OPTIONS = {
  serve: { type: 'string' },
  rounds: { type: 'string', default: '3' },
  seconds: { type: 'string', default: '5' },
  connections: { type: 'string', default: '10' },
  variants: { type: 'string', default: VARIANTS.join(',') },
  attribute: { type: 'boolean', default: false },
  paired: { type: 'boolean', default: false },
  latency: { type: 'boolean', default: false },
  interleaved: { type: 'boolean', default: false },
  cpu: { type: 'boolean', default: false },
  rate: { type: 'string', default: '5000' },
  warmup: { type: 'string' },
  'semi-space': { type: 'string' },
  'scrape-ms': { type: 'string' },
  'v8-flags': { type: 'string' },
} as const;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ options: OPTIONS });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.serve) {
    await serve(values.serve as Variant);
    return;
  }
  const pin = pinToCpu0(fileURLToPath(import.meta.url));
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const variants = values.variants!.split(',') as Variant[];
  const semi = values['semi-space'];
  if (semi !== undefined) {
    if (!/^[1-9]\d*$/.test(semi)) {
      console.error(`--semi-space must be a whole number of MB, got ${JSON.stringify(semi)}\n${USAGE}`);
      process.exit(2);
    }
    v8Args = [`--min-semi-space-size=${semi}`, `--max-semi-space-size=${semi}`];
  }
  const flags = values['v8-flags']?.split(/\s+/).filter(Boolean) ?? [];
  if (flags.some((f) => !/^--[a-z0-9-]+(=[\w.]+)?$/.test(f))) {
    console.error(`--v8-flags takes V8 flags such as "--single-threaded-gc", got ${JSON.stringify(values['v8-flags'])}\n${USAGE}`);
    process.exit(2);
  }
  v8Args.push(...flags);
  const every = values['scrape-ms'];
  if (every !== undefined) {
    if (!/^[1-9]\d*$/.test(every) || Number(every) < 10) {
      console.error(`--scrape-ms must be a whole number of ms, 10 or more, got ${JSON.stringify(every)}\n${USAGE}`);
      process.exit(2);
    }
    scrapeEveryMs = Number(every);
  }
  console.log(`node ${process.version}, ${rounds} rounds × ${seconds} s per run, ${connections} connections, server pinned: ${pin}${semi ? `, young generation fixed: semi-spaces of ${semi} MB` : ''}${flags.length ? `, V8 flags ${flags.join(' ')}` : ''}${scrapeEveryMs !== 1000 ? `, scraped every ${scrapeEveryMs} ms` : ''}`);
  if (values.paired) {
    await pairedRuns(variants, rounds, seconds, connections, Number(values.warmup ?? 1), pin);
    return;
  }
  if (values.cpu) {
    await cpuRuns(variants, rounds, seconds, connections, Number(values.warmup ?? 10), pin);
    return;
  }
  if (values.interleaved) {
    await interleavedRuns(variants, rounds, Number(values.rate), seconds, pin);
    return;
  }
  if (values.latency) {
    await latencyRuns(variants, rounds, Number(values.rate), Number(values.warmup ?? 4), seconds, pin);
    return;
  }
  console.log('Each variant runs next to a fresh "none" run (order alternating); ratios are medians of those pairs.');
  const profileDir = values.attribute ? mkdtempSync(join(tmpdir(), 'memstats-bench-')) : undefined;
  const { none, results } = await runPaired(variants, rounds, (x) => run(x, seconds, connections, pin, profileDir), (r, x, res) => {
    const a = res.attribution ? `, monitoring ${(100 * res.attribution.monitoring).toFixed(2)}% / GC ${(100 * res.attribution.gc).toFixed(2)}% of busy time` : '';
    console.error(`  round ${r + 1} ${x}: ${res.rps.toFixed(0)} rps, p99 ${res.p99Ms} ms, ${res.cpuUsPerReq.toFixed(1)} µs CPU/req${res.scrapesMs.length ? `, scrapes ${res.scrapesMs.map((s) => s.toFixed(2)).join(' ')} ms` : ''}${a}`);
  });
  if (profileDir && process.env.MEMSTATS_BENCH_KEEP) console.error(`profiles kept in ${profileDir}`);
  else if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  console.log(`\n${pairedHeader(['/metrics under load, median / max ms'])}`);
  const m = median;
  console.log(`| none | ${noneCells(none)} | |`);
  for (const v of variants) {
    const e = results.get(v)!;
    const scrapes = e.runs.flatMap((x) => x.scrapesMs);
    const sc = scrapes.length ? `${m(scrapes).toFixed(2)} / ${Math.max(...scrapes).toFixed(2)} (${scrapes.length})` : '';
    console.log(`| ${v} | ${variantCells(e)} | ${sc} |`);
  }
  if (profileDir) {
    console.log('\nWhere the server\'s main thread went (CPU profile of the measured window, medians of the runs; shares of non-idle time)');
    console.log('| variant | in monitoring code | in the garbage collector |');
    console.log('|---|---:|---:|');
    const row = (v: string, runs: RunResult[]): void => {
      const a = runs.map((x) => x.attribution!);
      console.log(`| ${v} | ${(100 * m(a.map((x) => x.monitoring))).toFixed(2)}% | ${(100 * m(a.map((x) => x.gc))).toFixed(2)}% |`);
    };
    row('none', none as RunResult[]);
    for (const v of variants) row(v, results.get(v)!.runs);
    console.log('\nMonitoring time by entry point (outermost monitoring frame; mean share of busy time over the runs, top 6)');
    for (const v of variants) {
      const runs = results.get(v)!.runs.map((x) => x.attribution!.parts);
      const sum: Record<string, number> = {};
      for (const r of runs) for (const [e, x] of Object.entries(r)) sum[e] = (sum[e] ?? 0) + x / runs.length;
      const top = Object.entries(sum).sort((a, b) => b[1] - a[1]).slice(0, 6);
      if (top.length) console.log(`  ${v}: ${top.map(([e, x]) => `${e} ${(100 * x).toFixed(2)}%`).join(', ')}`);
    }
  }
  const latVariants = variants.filter((v): v is 'memstats' | 'memstats-main' | 'prom' => v === 'memstats' || v === 'memstats-main' || v === 'prom');
  if (latVariants.length) {
    console.log('\n/metrics on an idle server: 1,000 scrapes 2 ms apart (client-observed, HTTP included), the same for the application\'s trivial route (the floor), and 1,000 renders in the process');
    console.log('| variant | scrape median ms | scrape p99 ms | floor median ms | floor p99 ms | render median ms | render p99 ms | bytes |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const v of latVariants) {
      const l = await latency(v, pin);
      const child = startServer(v, pin);
      let bytes = 0;
      try {
        const [, , url] = (await messageFrom(child, (x) => x.startsWith('listening '))).split(' ');
        bytes = (await (await fetch(url)).text()).length;
      } finally {
        child.kill();
      }
      const q = (xs: number[]) => `${quantile(xs, 0.5).toFixed(3)} | ${quantile(xs, 0.99).toFixed(3)}`;
      console.log(`| ${v} | ${q(l.clientMs)} | ${q(l.floorMs)} | ${q(l.renderMs)} | ${bytes} |`);
    }
  }
}

await main();
