// bench/agent-overhead.ts — what runtime monitoring costs a live HTTP server, and how fast /metrics answers.
// A node:http server answering small JSON runs in a child process (pinned to CPU 1 with taskset when it
// exists; autocannon and the scraper run here, pinned to CPU 0). Variants, alternating in every round:
//   none       nothing
//   control    nothing again: its ratio to the paired "none" run is the noise floor
//   memstats   the memstats agent (node --import memstats/register), /metrics scraped every second
//   prom       prom-client collectDefaultMetrics() + /metrics on the app server, scraped every second
//   otel       @opentelemetry/instrumentation-runtime-node + an sdk-metrics reader collecting every second
// Every variant run is paired with a fresh "none" run next to it (order alternating); ratios are medians
// of those pairs. Then /metrics latency: client-observed under load (the 1 s scrapes above), and on an idle
// server (1,000 scrapes, 2 ms apart), plus the time to produce the text inside the process.
// Run: npx tsc -p tsconfig.json && node dist/bench/agent-overhead.js [--rounds 3] [--seconds 5] [--connections 10] [--variants control,memstats,prom,otel]
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadRun, median, messageFrom, noneCells, pairedHeader, pinToCpu0, runPaired, spawnNode, variantCells, type LoadResult } from './helpers.js';

const require = createRequire(import.meta.url);

type Variant = 'none' | 'control' | 'memstats' | 'prom' | 'otel';
const VARIANTS: Variant[] = ['control', 'memstats', 'prom', 'otel'];
const REGISTER = pathToFileURL(fileURLToPath(new URL('../src/agent/register.js', import.meta.url))).href;

// ---------------------------------------------------------------- server side
async function serve(variant: Variant): Promise<void> {
  let metricsPath: ((res: import('node:http').ServerResponse) => Promise<void>) | undefined;
  let render: (() => Promise<string>) | undefined;
  let scrapeUrl: string | undefined;
  if (variant === 'memstats') {
    // Loaded by --import already: this resolves to the same agent.
    const { agent } = (await import(REGISTER)) as typeof import('../src/agent/register.js');
    const a = await agent;
    if (!a?.server) throw new Error('the memstats agent did not start');
    scrapeUrl = `${a.server.url}/metrics`;
    const h = a.server.handler.prometheus;
    render = () => h.metrics();
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
  const body = JSON.stringify({ ok: true, service: 'bench', items: [1, 2, 3] });
  const server = createServer((req, res) => {
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
  process.on('message', async (msg: string) => {
    if (msg === 'mark') {
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
}

function startServer(variant: Variant, pin: boolean): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = [...(variant === 'memstats' ? [`--import=${REGISTER}`] : []), self, '--serve', variant];
  return spawnNode(nodeArgs, pin, { stdio: ['ignore', 'inherit', 'ignore', 'ipc'], env: { ...process.env, MEMSTATS_ADDR: '127.0.0.1:0' } });
}

async function scrape(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url);
  await r.text();
  if (!r.ok) throw new Error(`scrape ${url}: ${r.status}`);
  return performance.now() - t;
}

async function run(variant: Variant, seconds: number, connections: number, pin: boolean): Promise<RunResult> {
  const scrapesMs: number[] = [];
  const res = await loadRun(startServer(variant, pin), variant, connections, seconds, ([, , scrapeUrl]) => {
    if (scrapeUrl === '-') return () => {};
    const timer = setInterval(() => {
      scrape(scrapeUrl).then((ms) => scrapesMs.push(ms), () => {});
    }, 1000);
    return () => clearInterval(timer);
  });
  return { ...res, scrapesMs };
}

/** Idle server: client-observed scrape latency (1,000 scrapes, 2 ms apart) and in-process render time. */
async function latency(variant: 'memstats' | 'prom', pin: boolean): Promise<{ clientMs: number[]; renderMs: number[] }> {
  const child = startServer(variant, pin);
  try {
    const [, , scrapeUrl] = (await messageFrom(child, (m) => m.startsWith('listening '))).split(' ');
    for (let i = 0; i < 50; i++) await scrape(scrapeUrl);
    const clientMs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      clientMs.push(await scrape(scrapeUrl));
      await new Promise((r) => setTimeout(r, 2));
    }
    child.send('render');
    const { render } = JSON.parse(await messageFrom(child, (m) => m.startsWith('{"render"'))) as { render: number[] };
    return { clientMs, renderMs: render };
  } finally {
    child.kill();
  }
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      variants: { type: 'string', default: VARIANTS.join(',') },
    },
  });
  if (values.serve) {
    await serve(values.serve as Variant);
    return;
  }
  const pin = pinToCpu0(fileURLToPath(import.meta.url));
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const variants = values.variants!.split(',') as Variant[];
  console.log(`node ${process.version}, ${rounds} rounds × ${seconds} s per run, ${connections} connections, server pinned: ${pin}`);
  console.log('Each variant runs next to a fresh "none" run (order alternating); ratios are medians of those pairs.');
  const { none, results } = await runPaired(variants, rounds, (x) => run(x, seconds, connections, pin), (r, x, res) => {
    console.error(`  round ${r + 1} ${x}: ${res.rps.toFixed(0)} rps, p99 ${res.p99Ms} ms, ${res.cpuUsPerReq.toFixed(1)} µs CPU/req${res.scrapesMs.length ? `, scrapes ${res.scrapesMs.map((s) => s.toFixed(2)).join(' ')} ms` : ''}`);
  });
  console.log(`\n${pairedHeader(['/metrics under load, median / max ms'])}`);
  const m = median;
  console.log(`| none | ${noneCells(none)} | |`);
  for (const v of variants) {
    const e = results.get(v)!;
    const scrapes = e.runs.flatMap((x) => x.scrapesMs);
    const sc = scrapes.length ? `${m(scrapes).toFixed(2)} / ${Math.max(...scrapes).toFixed(2)} (${scrapes.length})` : '';
    console.log(`| ${v} | ${variantCells(e)} | ${sc} |`);
  }
  const latVariants = variants.filter((v): v is 'memstats' | 'prom' => v === 'memstats' || v === 'prom');
  if (latVariants.length) {
    console.log('\n/metrics on an idle server: 1,000 scrapes 2 ms apart (client-observed, HTTP included), and 1,000 renders in the process');
    console.log('| variant | scrape median ms | scrape p99 ms | render median ms | render p99 ms | bytes |');
    console.log('|---|---:|---:|---:|---:|---:|');
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
      console.log(`| ${v} | ${quantile(l.clientMs, 0.5).toFixed(3)} | ${quantile(l.clientMs, 0.99).toFixed(3)} | ${quantile(l.renderMs, 0.5).toFixed(3)} | ${quantile(l.renderMs, 0.99).toFixed(3)} | ${bytes} |`);
    }
  }
}

await main();
