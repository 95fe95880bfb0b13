// bench/dashboard-stream.ts — what serving the live dashboard costs the host.
// The host (a child process: the debug server, nothing else) is measured with
// process.cpuUsage() over a window while 5 clients in this process watch at
// 1 Hz. Variants, alternating, a fresh host for each run:
//   idle          the debug server with nobody connected (its 1 s sampler runs anyway)
//   memstats      5 clients on /debug/dashboard/stream (a compact frame, serialized once per tick)
//   naive         5 clients on an SSE route that JSON.stringify()s the whole Sample for each client
//   prom-client   5 scrapers of prom-client 15's collectDefaultMetrics() registry, each at 1 Hz
// Prints, per variant, the host's median CPU as a share of one core, the
// increase over sampling (the stream's own cost), and the bytes each client
// received per tick. Then, in this process, the serializing work of one tick
// for 5 clients, timed directly: memstats' projection + one JSON.stringify,
// against JSON.stringify of the whole Sample per client. Last, what a 100 Hz
// timer costs a process here (the event-loop monitor's), three ways.
// Run: npm run build && node dist/bench/dashboard-stream.js [--rounds 3] [--seconds 20] [--micro-only]
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './helpers.js';

type Variant = 'idle' | 'sampling' | 'memstats' | 'naive' | 'prom-client';
const VARIANTS: Variant[] = ['idle', 'sampling', 'memstats', 'naive', 'prom-client'];
const CLIENTS = 5;

interface HostReport {
  cpuUs: number;
  wallUs: number;
  rssBytes: number;
}

// ---------------------------------------------------------------- host side
async function host(variant: Variant): Promise<void> {
  let url: string;
  if (variant === 'prom-client') {
    const client = (await import('prom-client')).default;
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const server = http.createServer(async (req, res) => {
      if (req.url !== '/metrics') {
        res.statusCode = 404;
        res.end();
        return;
      }
      const body = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  } else {
    const { startDebugServer } = await import('../src/server/index.js');
    const { getSampler } = await import('../src/sampler/sampler.js');
    // The straightforward way: each client subscribes and gets JSON.stringify(sample) of its own.
    const naive = {
      methods: ['GET' as const],
      path: '/naive/stream',
      handle: (ctx: { res: http.ServerResponse }) =>
        new Promise<void>((resolve) => {
          ctx.res.setHeader('Content-Type', 'text/event-stream');
          ctx.res.flushHeaders();
          const unsubscribe = getSampler(1000).subscribe((s) => ctx.res.write(`event: sample\ndata: ${JSON.stringify(s)}\n\n`));
          ctx.res.on('close', () => {
            unsubscribe();
            resolve();
          });
        }),
    };
    const server = await startDebugServer({ port: 0, routes: [naive] });
    url = server.url;
    if (variant === 'sampling') getSampler(1000).subscribe(() => {});
  }
  let start: { cpu: NodeJS.CpuUsage; wall: bigint } | undefined;
  process.on('message', (m: string) => {
    if (m === 'start') {
      start = { cpu: process.cpuUsage(), wall: process.hrtime.bigint() };
      process.send!({ cpuUs: 0, wallUs: 0, rssBytes: 0 });
    }
    // A clean exit (so --cpu-prof can write its profile when investigating the host).
    if (m === 'exit') process.exit(0);
    if (m === 'stop' && start) {
      const cpu = process.cpuUsage(start.cpu);
      const report: HostReport = { cpuUs: cpu.user + cpu.system, wallUs: Number(process.hrtime.bigint() - start.wall) / 1000, rssBytes: process.memoryUsage.rss() };
      process.send!(report);
    }
  });
  process.send!({ url });
}

// -------------------------------------------------------------- client side
interface Watchers {
  /** Sizes of the `event: sample` messages the first client received. */
  tickBytes: number[];
  close(): void;
}

function watchStream(url: string): Watchers {
  const tickBytes: number[] = [];
  const reqs: http.ClientRequest[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const req = http.get(url, { agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end + 2);
          buf = buf.slice(end + 2);
          if (i === 0 && block.startsWith('event: sample')) tickBytes.push(Buffer.byteLength(block));
        }
      });
      res.on('error', () => {});
    });
    req.on('error', () => {});
    reqs.push(req);
  }
  return { tickBytes, close: () => reqs.forEach((r) => r.destroy()) };
}

function scrape(url: string): Watchers {
  const tickBytes: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    // Spread over the second, as independent scrapers would be.
    timers.push(
      setTimeout(() => {
        timers.push(
          setInterval(() => {
            http
              .get(url, { agent }, (res) => {
                let n = 0;
                res.on('data', (d: Buffer) => (n += d.length));
                res.on('end', () => {
                  if (i === 0) tickBytes.push(n);
                });
              })
              .on('error', () => {});
          }, 1000),
        );
      }, i * 200),
    );
  }
  return {
    tickBytes,
    close: () => {
      timers.forEach((t) => clearInterval(t));
      agent.destroy();
    },
  };
}

function startHost(variant: Variant): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--host', variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ child, url: m.url }));
    child.once('exit', (code) => reject(new Error(`host ${variant} exited (${code})`)));
  });
}

function request(child: ChildProcess, message: string): Promise<HostReport> {
  return new Promise((resolve) => {
    child.once('message', (m: HostReport) => resolve(m));
    child.send(message);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(variant: Variant, seconds: number): Promise<{ cpuShare: number; tickBytes: number; rssBytes: number }> {
  const { child, url } = await startHost(variant);
  let watchers: Watchers | undefined;
  try {
    if (variant === 'memstats') watchers = watchStream(`${url}/debug/dashboard/stream`);
    else if (variant === 'naive') watchers = watchStream(`${url}/naive/stream`);
    else if (variant === 'prom-client') watchers = scrape(`${url}/metrics`);
    // Warm-up: connections made, backlog sent, code optimized.
    await sleep(3000);
    await request(child, 'start');
    await sleep(seconds * 1000);
    const r = await request(child, 'stop');
    return { cpuShare: r.cpuUs / r.wallUs, tickBytes: watchers ? median(watchers.tickBytes) : 0, rssBytes: r.rssBytes };
  } finally {
    watchers?.close();
    child.kill();
  }
}

async function bench(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' }, 'micro-only': { type: 'boolean' } } });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const results = new Map<Variant, Array<{ cpuShare: number; tickBytes: number; rssBytes: number }>>(VARIANTS.map((v) => [v, []]));
  console.log(`node ${process.version}; ${CLIENTS} clients at 1 Hz; ${rounds} rounds of ${seconds} s per variant, alternating`);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no variant always runs first.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
    for (const v of order) {
      const res = await run(v, seconds);
      results.get(v)!.push(res);
      console.log(`round ${r + 1} ${v.padEnd(12)} host CPU ${(res.cpuShare * 100).toFixed(3)}% of a core, ${res.tickBytes.toFixed(0)} B/tick per client`);
    }
  }
  const sampling = median(results.get('sampling')!.map((x) => x.cpuShare));
  console.log('\nvariant       host CPU, % of one core: median (runs)        over sampling   bytes per tick per client');
  for (const v of VARIANTS) {
    const rs = results.get(v)!;
    const cpu = median(rs.map((x) => x.cpuShare));
    const bytes = median(rs.map((x) => x.tickBytes));
    const over = v === 'memstats' || v === 'naive' ? `${((cpu - sampling) * 100).toFixed(3)}%` : '';
    const runs = `${(cpu * 100).toFixed(3)}% (${rs.map((x) => (x.cpuShare * 100).toFixed(3)).join(', ')})`;
    console.log(`${v.padEnd(12)}  ${runs.padEnd(40)}  ${over.padStart(13)}   ${bytes > 0 ? bytes.toFixed(0) : ''}`);
  }
}

/** Median µs of the serializing work of one tick for CLIENTS clients, memstats' way and the naive way. */
async function micro(): Promise<void> {
  const { SampleReader } = await import('../src/sampler/sample.js');
  const { createProjector } = await import('../src/dashboard/projection.js');
  const reader = new SampleReader();
  const samples = Array.from({ length: 50 }, () => reader.read());
  const reads: number[] = [];
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) reader.read();
    reads.push(((performance.now() - t0) * 1000) / 200);
  }
  reader.close();
  const projector = createProjector();
  const ways: Array<[string, (s: (typeof samples)[number]) => number]> = [
    ['memstats: project + stringify once', (s) => Buffer.from(`event: sample\ndata: ${JSON.stringify(projector.project(s))}\n\n`).length],
    [`naive: stringify the Sample ×${CLIENTS}`, (s) => {
      let n = 0;
      for (let c = 0; c < CLIENTS; c++) n += Buffer.from(`event: sample\ndata: ${JSON.stringify(s)}\n\n`).length;
      return n;
    }],
  ];
  const times = new Map<string, number[]>(ways.map(([n]) => [n, []]));
  for (let round = 0; round < 7; round++) {
    for (const [name, fn] of ways) {
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++) fn(samples[i % samples.length]);
      times.get(name)!.push(((performance.now() - t0) * 1000) / 2000);
    }
  }
  console.log(`\nserializing one tick for ${CLIENTS} clients (median of 7 rounds of 2,000 ticks):`);
  for (const [name] of ways) console.log(`  ${name.padEnd(40)} ${median(times.get(name)!).toFixed(1)} µs`);
  console.log(`  ${'(the reading itself: SampleReader.read())'.padEnd(40)} ${median(reads).toFixed(1)} µs`);
}

type TimerKind = 'setInterval-10ms' | 'monitorEventLoopDelay-10ms' | 'memstats-event-loop-window';
const TIMERS: TimerKind[] = ['setInterval-10ms', 'monitorEventLoopDelay-10ms', 'memstats-event-loop-window'];

let heldTimer: unknown;

/** A process holding only one timer; reports its CPU share over 6 s. */
async function timerChild(kind: TimerKind): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  if (kind === 'setInterval-10ms') setInterval(() => {}, 10);
  else if (kind === 'monitorEventLoopDelay-10ms') {
    // Held in a variable that outlives the measurement: a collected histogram stops its timer.
    heldTimer = (await import('node:perf_hooks')).monitorEventLoopDelay({ resolution: 10 });
    (heldTimer as { enable(): void }).enable();
  } else heldTimer = (await import('../src/stats/event-loop.js')).openEventLoopWindow();
  await sleep(1000);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(6000);
  const c = process.cpuUsage(c0);
  process.send!((c.user + c.system) / ((performance.now() - t0) * 1000));
  clearInterval(keepAlive);
  heldTimer = undefined;
  process.exit(0);
}

async function timers(): Promise<void> {
  const shares = new Map<TimerKind, number[]>(TIMERS.map((k) => [k, []]));
  for (let round = 0; round < 3; round++) {
    for (const kind of TIMERS) {
      const child = fork(fileURLToPath(import.meta.url), ['--timer', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
      shares.get(kind)!.push(await new Promise<number>((resolve) => child.once('message', (m: number) => resolve(m))));
    }
  }
  console.log('\na process holding only a 10 ms timer (median of 3 runs of 6 s, % of one core):');
  for (const kind of TIMERS) console.log(`  ${kind.padEnd(30)} ${(median(shares.get(kind)!) * 100).toFixed(3)}%  (${shares.get(kind)!.map((x) => (x * 100).toFixed(3)).join(', ')})`);
}

const hostAt = process.argv.indexOf('--host');
const timerAt = process.argv.indexOf('--timer');
if (hostAt >= 0) await host(process.argv[hostAt + 1] as Variant);
else if (timerAt >= 0) await timerChild(process.argv[timerAt + 1] as TimerKind);
else {
  const { values } = parseArgs({ options: { 'micro-only': { type: 'boolean' }, rounds: { type: 'string' }, seconds: { type: 'string' } } });
  if (!values['micro-only']) await bench();
  await micro();
  if (!values['micro-only']) await timers();
}
