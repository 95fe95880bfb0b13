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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

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
interface RunResult {
  rps: number;
  p99Ms: number;
  cpuUsPerReq: number;
  scrapesMs: number[];
}

function once(child: ChildProcess, pred: (m: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: unknown): void => {
      if (typeof m === 'string' && pred(m)) {
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`server exited ${code}`));
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

function startServer(variant: Variant, pin: boolean): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = [...(variant === 'memstats' ? [`--import=${REGISTER}`] : []), self, '--serve', variant];
  const cmd = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', '1', process.execPath, ...nodeArgs] : nodeArgs;
  return spawn(cmd, args, { stdio: ['ignore', 'inherit', 'ignore', 'ipc'], env: { ...process.env, MEMSTATS_ADDR: '127.0.0.1:0' } });
}

async function scrape(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url);
  await r.text();
  if (!r.ok) throw new Error(`scrape ${url}: ${r.status}`);
  return performance.now() - t;
}

async function run(variant: Variant, seconds: number, connections: number, pin: boolean): Promise<RunResult> {
  const autocannon = require('autocannon') as (o: object) => Promise<{ requests: { average: number; total: number }; latency: { p99: number }; errors: number; non2xx: number }>;
  const child = startServer(variant, pin);
  try {
    const [, portText, scrapeUrl] = (await once(child, (m) => m.startsWith('listening '))).split(' ');
    const url = `http://127.0.0.1:${portText}/`;
    await autocannon({ url, connections, duration: 1 });
    child.send('mark');
    await once(child, (m) => m === 'marked');
    const scrapesMs: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (scrapeUrl !== '-') {
      timer = setInterval(() => {
        scrape(scrapeUrl).then((ms) => scrapesMs.push(ms), () => {});
      }, 1000);
    }
    const r = await autocannon({ url, connections, duration: seconds });
    clearInterval(timer);
    child.send('report');
    const report = JSON.parse(await once(child, (m) => m.startsWith('{'))) as { cpuUs: number };
    if (r.errors || r.non2xx) throw new Error(`${variant}: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return { rps: r.requests.average, p99Ms: r.latency.p99, cpuUsPerReq: report.cpuUs / Math.max(1, r.requests.total), scrapesMs };
  } finally {
    child.kill();
  }
}

/** Idle server: client-observed scrape latency (1,000 scrapes, 2 ms apart) and in-process render time. */
async function latency(variant: 'memstats' | 'prom', pin: boolean): Promise<{ clientMs: number[]; renderMs: number[] }> {
  const child = startServer(variant, pin);
  try {
    const [, , scrapeUrl] = (await once(child, (m) => m.startsWith('listening '))).split(' ');
    for (let i = 0; i < 50; i++) await scrape(scrapeUrl);
    const clientMs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      clientMs.push(await scrape(scrapeUrl));
      await new Promise((r) => setTimeout(r, 2));
    }
    child.send('render');
    const { render } = JSON.parse(await once(child, (m) => m.startsWith('{"render"'))) as { render: number[] };
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
  const pin = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
  if (pin && !process.env.MEMSTATS_BENCH_PINNED) {
    // Re-run this process pinned to CPU 0, so autocannon and the server (CPU 1) do not compete.
    const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, MEMSTATS_BENCH_PINNED: '1' },
    });
    process.exit(r.status ?? 1);
  }
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const variants = values.variants!.split(',') as Variant[];
  console.log(`node ${process.version}, ${rounds} rounds × ${seconds} s per run, ${connections} connections, server pinned: ${pin}`);
  console.log('Each variant runs next to a fresh "none" run (order alternating); ratios are medians of those pairs.');
  const none: RunResult[] = [];
  const results = new Map<Variant, { runs: RunResult[]; rps: number[]; p99: number[]; cpu: number[] }>(variants.map((v) => [v, { runs: [], rps: [], p99: [], cpu: [] }]));
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const [k, v] of order.entries()) {
      const pair: Variant[] = (r + k) % 2 ? [v, 'none'] : ['none', v];
      const got = new Map<Variant, RunResult>();
      for (const x of pair) {
        const res = await run(x, seconds, connections, pin);
        got.set(x, res);
        console.error(`  round ${r + 1} ${x}: ${res.rps.toFixed(0)} rps, p99 ${res.p99Ms} ms, ${res.cpuUsPerReq.toFixed(1)} µs CPU/req${res.scrapesMs.length ? `, scrapes ${res.scrapesMs.map((s) => s.toFixed(2)).join(' ')} ms` : ''}`);
      }
      const a = got.get(v)!;
      const b = got.get('none')!;
      none.push(b);
      const e = results.get(v)!;
      e.runs.push(a);
      e.rps.push(a.rps / b.rps);
      e.p99.push(a.p99Ms / b.p99Ms);
      e.cpu.push(a.cpuUsPerReq / b.cpuUsPerReq);
    }
  }
  console.log('\n| variant | rps (median) | rps × none | p99 ms | p99 × none | server CPU µs/req | CPU/req × none | /metrics under load, median / max ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const m = median;
  console.log(`| none | ${m(none.map((x) => x.rps)).toFixed(0)} | 1 | ${m(none.map((x) => x.p99Ms))} | 1 | ${m(none.map((x) => x.cpuUsPerReq)).toFixed(1)} | 1 | |`);
  for (const v of variants) {
    const e = results.get(v)!;
    const scrapes = e.runs.flatMap((x) => x.scrapesMs);
    const sc = scrapes.length ? `${m(scrapes).toFixed(2)} / ${Math.max(...scrapes).toFixed(2)} (${scrapes.length})` : '';
    console.log(
      `| ${v} | ${m(e.runs.map((x) => x.rps)).toFixed(0)} | ${m(e.rps).toFixed(3)} | ${m(e.runs.map((x) => x.p99Ms))} | ${m(e.p99).toFixed(2)} | ${m(e.runs.map((x) => x.cpuUsPerReq)).toFixed(1)} | ${m(e.cpu).toFixed(3)} | ${sc} |`,
    );
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
        const [, , url] = (await once(child, (x) => x.startsWith('listening '))).split(' ');
        bytes = (await (await fetch(url)).text()).length;
      } finally {
        child.kill();
      }
      console.log(`| ${v} | ${quantile(l.clientMs, 0.5).toFixed(3)} | ${quantile(l.clientMs, 0.99).toFixed(3)} | ${quantile(l.renderMs, 0.5).toFixed(3)} | ${quantile(l.renderMs, 0.99).toFixed(3)} | ${bytes} |`);
    }
  }
}

await main();
