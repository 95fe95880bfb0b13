// bench/gc-observer-cost.ts — what observing GC costs a Node 20 program, and why.
// A program that does "requests" (200 small short-lived objects each, then a setImmediate: a young
// generation that is nearly empty between requests, as in a server) runs in a fresh child process per
// variant, with V8's own --trace-gc-nvp, alternating, --rounds times:
//   none         nothing
//   observer     a bare PerformanceObserver on 'gc' with an empty callback (what prom-client, OTel and
//                memstats all build on)
//   observer-fixed  the same observer with Node's entry callback replaced by one that makes the entry without
//                the deprecated accessors (node --expose-internals: evidence for a fix in Node, not a mode to run)
//   observer-shared  the bare observer after memstats' shareEntryAccessors() (stats/gc-entries: the same
//                entries, their deprecated accessors made once per key; what the tracker runs with)
//   memstats     memstats' GC tracker (getGCTracker(): the observer plus its accounting)
//   gcprofiler   v8.GCProfiler running (Node's other source of GC events: no JavaScript per GC, but it
//                writes the heap and every space's statistics as JSON before and after each GC)
//   agent        (--http only) the memstats agent (node --import memstats/register), /metrics scraped every
//                second from the server's start; agent-quiet: never scraped; agent-off: MEMSTATS_ADDR=off (no server)
// Per variant: median wall and CPU time, ×none, and from V8's trace the scavenges, their total pause, the
// young generation's size (bytes allocated between scavenges) and the bytes promoted per scavenge — of the
// program's own isolate (the agent's server thread has one of its own, traced too).
// --warmup: requests before the measured ones (default 20000; memstats' tracker calibrates its allocation
// accounting in its first seconds with v8.GCProfiler running, so a steady-state figure wants ~1000000).
// With --survivors, then: which allocations outlive a scavenge under the bare observer (V8's sampling
// heap profiler, told to leave out what minor GCs collect).
// With --http, the program is instead a node:http server answering small JSON, loaded by autocannon
// (10 connections, --seconds after --warmup-seconds), and the cost is the process's CPU time (every thread:
// the agent's server thread included) per request served.
// Run: npx tsc -p tsconfig.json && node dist/bench/gc-observer-cost.js [--rounds 8] [--requests 100000] [--warmup 20000] [--variants none,observer,memstats,gcprofiler] [--survivors]
//      node dist/bench/gc-observer-cost.js --http [--rounds 6] [--seconds 8] [--warmup-seconds 5] [--variants none,observer,memstats,gcprofiler,agent]
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { autocannon, median, messageFrom, pinToCpu0, spawnNode, startBareGCObserver } from './helpers.js';

type Variant = 'none' | 'observer' | 'observer-fixed' | 'observer-shared' | 'memstats' | 'gcprofiler' | 'agent' | 'agent-quiet' | 'agent-off';
const ALL: Variant[] = ['none', 'observer', 'observer-fixed', 'observer-shared', 'memstats', 'gcprofiler', 'agent', 'agent-quiet', 'agent-off'];
const isAgent = (v: Variant): boolean => v.startsWith('agent');
const SELF = fileURLToPath(import.meta.url);
const TRACKER = pathToFileURL(fileURLToPath(new URL('../src/stats/gc-tracker.js', import.meta.url))).href;
const REGISTER = pathToFileURL(fileURLToPath(new URL('../src/agent/register.js', import.meta.url))).href;

// ---------------------------------------------------------------- child side
/** Held for the life of the child: Node removes a profiler's GC callbacks when its object is collected. */
let profiler: import('node:v8').GCProfiler | undefined;

/** After the measured part: how many GC records the profiler holds (a check that it ran), undefined without one. */
function profiled(): number | undefined {
  return profiler ? ((profiler.stop() as { statistics?: unknown[] } | undefined)?.statistics?.length ?? 0) : undefined;
}

/** Starts what `variant` observes GC with. */
async function observe(variant: Variant): Promise<void> {
  if (variant === 'observer-fixed') dropDeprecatedEntryAccessors();
  if (variant === 'observer' || variant === 'observer-fixed' || variant === 'observer-shared') await startBareGCObserver(variant === 'observer-shared');
  else if (variant === 'memstats') ((await import(TRACKER)) as typeof import('../src/stats/gc-tracker.js')).getGCTracker();
  else if (variant === 'gcprofiler') {
    profiler = new (await import('node:v8')).GCProfiler();
    profiler.start(); // runs until exit
  }
}

/**
 * dropDeprecatedEntryAccessors replaces Node's callback for native performance entries (GC, HTTP) with one that
 * builds the entry as Node's does but without the per-entry DEP0152 accessors (a SafeMap and four
 * util.deprecate wrappers): what Node would cost with them gone. Needs --expose-internals.
 */
function dropDeprecatedEntryAccessors(): void {
  const require = createRequire(import.meta.url);
  const { internalBinding } = require('internal/test/binding') as { internalBinding(name: string): { setupObservers(cb: (...args: unknown[]) => void): void } };
  const { enqueue } = require('internal/perf/observe') as { enqueue(entry: unknown): void };
  const { createPerformanceNodeEntry } = require('internal/perf/performance_entry') as { createPerformanceNodeEntry(...args: unknown[]): unknown };
  internalBinding('performance').setupObservers((name, type, startTime, duration, details) => enqueue(createPerformanceNodeEntry(name, type, startTime, duration, details)));
}

/** One request: 200 small objects, garbage as soon as it returns. */
function request(): number {
  const a: Array<{ i: number; s: string; arr: number[] }> = [];
  for (let i = 0; i < 200; i++) a.push({ i, s: 'x' + i, arr: [i, i + 1, i + 2] });
  return a.length;
}

/** Runs `n` requests, one per turn of the event loop. */
function requests(n: number): Promise<void> {
  return new Promise((resolve) => {
    let done = 0;
    const step = (): void => {
      request();
      if (++done < n) setImmediate(step);
      else resolve();
    };
    step();
  });
}

async function child(variant: Variant, n: number, warmup: number, survivors: boolean): Promise<void> {
  await observe(variant);
  await requests(warmup); // the JIT, the young generation's size, memstats' calibration
  process.stdout.write('MEASURE\n'); // the trace lines after this one are the measured run's
  let session: import('node:inspector/promises').Session | undefined;
  if (survivors) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await requests(n);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write('END\n');
  let top: Array<[number, string]> = [];
  if (session) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    top = survivorsByStack(profile.head);
  }
  process.stdout.write(`RESULT ${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, top, profiled: profiled() })}\n`);
  process.exit(0); // a GCProfiler left running would hold nothing open, but be plain
}

/** The --http child: a server answering small JSON; `mark` starts the measured part, `report` ends it. */
async function httpChild(variant: Variant): Promise<void> {
  await observe(variant);
  const body = JSON.stringify({ ok: true, service: 'bench', items: [1, 2, 3] });
  let served = 0;
  const server = createServer((_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let scrapeUrl = '-';
  if (isAgent(variant)) {
    // Loaded by --import already: this resolves to the same agent.
    const a = await ((await import(REGISTER)) as typeof import('../src/agent/register.js')).agent;
    if (!a || (!a.server && variant !== 'agent-off')) throw new Error('the memstats agent did not start');
    if (variant === 'agent') scrapeUrl = `${a.server!.url}/metrics`;
  }
  let cpu0 = process.cpuUsage();
  let served0 = 0;
  process.on('message', (m: string) => {
    if (m === 'mark') {
      process.stdout.write('MEASURE\n');
      cpu0 = process.cpuUsage();
      served0 = served;
      process.send!('marked');
    } else if (m === 'report') {
      const cpu = process.cpuUsage(cpu0);
      const n = served - served0;
      process.stdout.write(`END\nRESULT ${JSON.stringify({ ms: 0, cpuMs: (cpu.user + cpu.system) / 1000, requests: n, top: [], profiled: profiled() })}\n`);
      process.exit(0);
    }
  });
  process.send!(`listening ${(server.address() as { port: number }).port} ${scrapeUrl}`);
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Bytes sampled per stack (its three innermost frames), largest first. */
function survivorsByStack(head: SamplingNode): Array<[number, string]> {
  const rows = new Map<string, number>();
  const walk = (node: SamplingNode, stack: string[]): void => {
    const f = node.callFrame;
    const frames = [...stack, `${f.functionName || '(anonymous)'} (${f.url.replace(/^.*\//, '') || 'native'}:${f.lineNumber + 1})`];
    if (node.selfSize > 0) {
      const key = frames.slice(-3).reverse().join(' < ');
      rows.set(key, (rows.get(key) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, frames);
  };
  walk(head, []);
  return [...rows].map(([k, b]): [number, string] => [b, k]).sort((a, b) => b[0] - a[0]).slice(0, 8);
}

// ---------------------------------------------------------------- parent side
interface Run {
  ms: number;
  cpuMs: number;
  /** --http: requests served in the measured part. */
  requests?: number;
  scavenges: number;
  pauseMs: number;
  /** Mean bytes allocated between scavenges: the young generation's working size. */
  youngBytes: number;
  promotedBytes: number;
  top: Array<[number, string]>;
}

/** Reads V8's --trace-gc-nvp lines between MEASURE and END (scavenges only) and the child's RESULT. */
function parseRun(out: string): Run {
  const body = out.slice(out.indexOf('MEASURE\n'), out.indexOf('END\n'));
  let scavenges = 0;
  let pauseMs = 0;
  let allocated = 0;
  let promoted = 0;
  // Every isolate of the process traces its GCs (the agent's server thread has its own): the main one, the
  // program's, is the isolate with the most lines.
  const lines = new Map<string, number>();
  for (const m of out.matchAll(/^\[\d+:(0x[0-9a-f]+)\]/gm)) lines.set(m[1], (lines.get(m[1]) ?? 0) + 1);
  const main = [...lines].sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const line of body.split('\n')) {
    if (!/\sgc=s\s/.test(line) || (main !== undefined && !line.includes(`:${main}]`))) continue;
    const field = (k: string): number => Number(new RegExp(`\\s${k}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    scavenges++;
    pauseMs += field('pause');
    allocated += field('allocated');
    promoted += field('promoted');
  }
  const m = /^RESULT (.*)$/m.exec(out);
  if (!m) throw new Error(`no result from the child:\n${out.slice(-2000)}`);
  const r = JSON.parse(m[1]) as { ms: number; cpuMs: number; requests?: number; top: Array<[number, string]>; profiled?: number };
  if (r.profiled === 0) throw new Error('the GC profiler recorded no GC: it did not run');
  return { ...r, scavenges, pauseMs, youngBytes: scavenges ? allocated / scavenges : 0, promotedBytes: scavenges ? promoted / scavenges : 0 };
}

/** Runs `node --trace-gc-nvp <args>` (on CPU 1 when `pin`); `drive` gets the child, and the child's stdout when it closes is parsed. */
async function traced(args: string[], pin: boolean, drive: (c: ChildProcess) => Promise<void>, nodeArgs: string[] = [], addr = '127.0.0.1:0'): Promise<Run> {
  const env = { ...process.env, MEMSTATS_ADDR: addr };
  const c = spawnNode(['--trace-gc-nvp', ...nodeArgs, ...args], pin, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env });
  let out = '';
  c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => c.once('close', r));
  try {
    await drive(c);
    const code = await exited;
    if (code !== 0) throw new Error(`child ${args.join(' ')} exited ${code}`);
    return parseRun(out);
  } finally {
    c.kill();
  }
}

/** Node options a variant's child needs. */
function nodeArgsOf(variant: Variant): string[] {
  if (isAgent(variant)) return [`--import=${REGISTER}`];
  if (variant === 'observer-fixed') return ['--expose-internals', '--no-warnings'];
  return [];
}

function runChild(variant: Variant, n: number, warmup: number, pin: boolean, survivors = false): Promise<Run> {
  return traced([SELF, '--child', variant, '--requests', String(n), '--warmup', String(warmup), ...(survivors ? ['--survivors'] : [])], pin, async () => {}, nodeArgsOf(variant));
}

function runHttp(variant: Variant, seconds: number, warmupSeconds: number, pin: boolean): Promise<Run> {
  let timer: NodeJS.Timeout | undefined;
  const drive = async (c: ChildProcess): Promise<void> => {
    const [, port, scrapeUrl] = (await messageFrom(c, (m) => m.startsWith('listening '))).split(' ');
    if (scrapeUrl !== '-') timer = setInterval(() => void fetch(scrapeUrl).then((r) => r.text()).catch(() => {}), 1000);
    const url = `http://127.0.0.1:${port}/`;
    await autocannon({ url, connections: 10, duration: warmupSeconds });
    c.send('mark');
    await messageFrom(c, (m) => m === 'marked');
    const load = await autocannon({ url, connections: 10, duration: seconds });
    if (load.errors || load.non2xx) throw new Error(`${variant}: ${load.errors} errors, ${load.non2xx} non-2xx`);
    clearInterval(timer);
    c.send('report');
  };
  return traced([SELF, '--child', variant, '--http'], pin, drive, nodeArgsOf(variant), variant === 'agent-off' ? 'off' : '127.0.0.1:0').finally(() => clearInterval(timer));
}

function intOption(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '8' },
      requests: { type: 'string', default: '100000' },
      warmup: { type: 'string', default: '20000' },
      seconds: { type: 'string', default: '8' },
      'warmup-seconds': { type: 'string', default: '5' },
      variants: { type: 'string', default: 'none,observer,memstats,gcprofiler' },
      survivors: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      child: { type: 'string' },
    },
  });
  const http = values.http === true;
  if (values.child) {
    if (http) return httpChild(values.child as Variant);
    return child(values.child as Variant, intOption('requests', values.requests, 1000), intOption('warmup', values.warmup, 0), values.survivors === true);
  }
  const rounds = intOption('rounds', values.rounds, 1);
  const n = intOption('requests', values.requests, 1000);
  const warmup = intOption('warmup', values.warmup, 0);
  const seconds = intOption('seconds', values.seconds, 1);
  const warmupSeconds = intOption('warmup-seconds', values['warmup-seconds'], 1);
  const variants = values.variants.split(',') as Variant[];
  const bad = variants.filter((v) => !ALL.includes(v));
  if (bad.length > 0) throw new RangeError(`--variants: unknown ${bad.join(', ')} (accepted: ${ALL.join(', ')})`);
  if (!variants.includes('none')) variants.unshift('none');
  if (!http && variants.some(isAgent)) throw new RangeError('--variants: the agent variants need --http (they are servers)');
  const pin = pinToCpu0(SELF); // the load generator on CPU 0, the measured program on CPU 1

  const what = http ? `HTTP server, ${seconds} s of load after ${warmupSeconds} s of warm-up, CPU per request` : `${n} requests per run after ${warmup} of warm-up`;
  console.log(`gc-observer-cost: ${what}, ${rounds} rounds, order alternating${pin ? ', measured program on CPU 1' : ''}; Node ${process.version}`);
  const runs = new Map<Variant, Run[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) runs.get(v)!.push(await (http ? runHttp(v, seconds, warmupSeconds, pin) : runChild(v, n, warmup, pin)));
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
  }
  const med = (v: Variant, f: (x: Run) => number): number => median(runs.get(v)!.map(f));
  // --http: CPU µs per request; otherwise wall and CPU ms of the fixed work.
  const cost = (x: Run): number => (http ? (x.cpuMs * 1000) / Math.max(1, x.requests ?? 0) : x.cpuMs);
  const baseCost = med('none', cost);
  const baseMs = med('none', (x) => x.ms);
  const costName = http ? 'CPU µs/request' : 'CPU ms';
  console.log(`\n| variant |${http ? '' : ' wall ms | × none |'} ${costName} | × none | scavenges | pause ms (sum) | young gen KB | promoted B/scavenge |`);
  console.log(`|---|${http ? '' : '---:|---:|'}---:|---:|---:|---:|---:|---:|`);
  for (const v of variants) {
    const ms = med(v, (x) => x.ms);
    const c = med(v, cost);
    const wall = http ? '' : ` ${ms.toFixed(0)} | ${(ms / baseMs).toFixed(3)} |`;
    console.log(
      `| ${v} |${wall} ${c.toFixed(http ? 2 : 0)} | ${(c / baseCost).toFixed(3)} | ${med(v, (x) => x.scavenges).toFixed(0)} | ${med(v, (x) => x.pauseMs).toFixed(0)} | ${(med(v, (x) => x.youngBytes) / 1024).toFixed(0)} | ${med(v, (x) => x.promotedBytes).toFixed(0)} |`,
    );
  }
  console.log(`\n${costName} per run, each variant: ${variants.map((v) => `${v} ${runs.get(v)!.map((x) => cost(x).toFixed(http ? 2 : 0)).join(' ')}`).join('; ')}`);

  if (values.survivors && !http) {
    for (const v of ['none', 'observer'] as Variant[]) {
      const run = await runChild(v, n, warmup, pin, true);
      const total = run.top.reduce((t, [b]) => t + b, 0);
      console.log(`\nwhat outlives a scavenge, ${v} (sampled, top stacks; ${(total / 1024).toFixed(0)} KB in these):`);
      for (const [b, stack] of run.top) console.log(`  ${(b / 1024).toFixed(1).padStart(8)} KB  ${stack}`);
    }
  }
}

await main();
