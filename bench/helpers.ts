// bench/helpers.ts — what several benchmarks share: the median, CPU pinning with
// taskset, a load-test server in a child process spoken to over IPC, autocannon
// runs, and the "each variant next to a fresh none run" pairing with its table.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const require = createRequire(import.meta.url);

/** The median of `xs` (the mean of the two middle values for an even count); NaN when empty. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * pinToCpu0 tells whether taskset exists. When it does and this process is not
 * pinned yet, it re-runs the benchmark (`script`, with the same arguments)
 * pinned to CPU 0 — so the load generator and the server (CPU 1) do not
 * compete — and exits with that run's status.
 */
export function pinToCpu0(script: string): boolean {
  const pin = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
  if (pin && !process.env.MEMSTATS_BENCH_PINNED) {
    const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, MEMSTATS_BENCH_PINNED: '1' },
    });
    process.exit(r.status ?? 1);
  }
  return pin;
}

/** spawnNode runs `node <nodeArgs>` in a child process with IPC, pinned to CPU 1 with taskset when `pin`. */
export function spawnNode(nodeArgs: string[], pin: boolean, o: { stdio: StdioOptions; env?: NodeJS.ProcessEnv }): ChildProcess {
  const cmd = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', '1', process.execPath, ...nodeArgs] : nodeArgs;
  return spawn(cmd, args, { stdio: o.stdio, env: o.env });
}

/** messageFrom resolves with the first IPC string message of `child` that `pred` accepts; rejects if the child exits first. */
export function messageFrom(child: ChildProcess, pred: (m: string) => boolean): Promise<string> {
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

/** What autocannon reports, the part the benchmarks read. */
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number };
  errors: number;
  non2xx: number;
}

/** autocannon, loaded on first use. */
export function autocannon(o: object): Promise<AutocannonResult> {
  return (require('autocannon') as (o: object) => Promise<AutocannonResult>)(o);
}

/** One load run against a server: requests per second, p99 latency, server CPU per request. */
export interface LoadResult {
  rps: number;
  p99Ms: number;
  cpuUsPerReq: number;
}

/**
 * loadRun drives a server child that speaks the benchmarks' IPC protocol
 * (`listening <port> …` once ready; `mark` → `marked`; `report` → a JSON line
 * with `cpuUs`, the server's CPU time since the mark): 1 s of warm-up load,
 * mark, `seconds` of load, report. `during` starts something alongside the
 * measured load (it gets the words of the listening line) and returns what
 * stops it. The child is killed at the end.
 */
export async function loadRun(
  child: ChildProcess,
  label: string,
  connections: number,
  seconds: number,
  during?: (listening: string[]) => () => void,
): Promise<LoadResult> {
  try {
    const listening = (await messageFrom(child, (m) => m.startsWith('listening '))).split(' ');
    const url = `http://127.0.0.1:${listening[1]}/`;
    await autocannon({ url, connections, duration: 1 });
    child.send('mark');
    await messageFrom(child, (m) => m === 'marked');
    const stop = during?.(listening);
    const r = await autocannon({ url, connections, duration: seconds });
    stop?.();
    child.send('report');
    const report = JSON.parse(await messageFrom(child, (m) => m.startsWith('{'))) as { cpuUs: number };
    if (r.errors || r.non2xx) throw new Error(`${label}: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return { rps: r.requests.average, p99Ms: r.latency.p99, cpuUsPerReq: report.cpuUs / Math.max(1, r.requests.total) };
  } finally {
    child.kill();
  }
}

/** The runs of one variant and their ratios to the "none" run beside each. */
export interface PairedVariant<R extends LoadResult> {
  runs: R[];
  /** The "none" run paired with each of `runs`. */
  nones: R[];
  rps: number[];
  p99: number[];
  cpu: number[];
}

/**
 * runPaired runs every variant `rounds` times, each run next to a fresh "none"
 * run (order alternating, variant order rotated each round) so that a pair sees
 * the same machine load, which drifts a lot on a shared 2-core VM. `log` is
 * called after each run.
 */
export async function runPaired<V extends string, R extends LoadResult>(
  variants: V[],
  rounds: number,
  run: (v: V | 'none') => Promise<R>,
  log: (round: number, v: V | 'none', r: R) => void,
): Promise<{ none: R[]; results: Map<V, PairedVariant<R>> }> {
  const none: R[] = [];
  const results = new Map<V, PairedVariant<R>>(variants.map((v) => [v, { runs: [], nones: [], rps: [], p99: [], cpu: [] }]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no variant always runs first or last.
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const [k, v] of order.entries()) {
      const pair: Array<V | 'none'> = (r + k) % 2 ? [v, 'none'] : ['none', v];
      const got = new Map<V | 'none', R>();
      for (const x of pair) {
        const res = await run(x);
        got.set(x, res);
        log(r, x, res);
      }
      const a = got.get(v)!;
      const b = got.get('none')!;
      none.push(b);
      const e = results.get(v)!;
      e.runs.push(a);
      e.nones.push(b);
      e.rps.push(a.rps / b.rps);
      e.p99.push(a.p99Ms / b.p99Ms);
      e.cpu.push(a.cpuUsPerReq / b.cpuUsPerReq);
    }
  }
  return { none, results };
}

/** The header of a paired results table; `extra` adds columns after the common ones. */
export function pairedHeader(extra: string[] = []): string {
  const cols = ['variant', 'rps (median)', 'rps × none', 'p99 ms', 'p99 × none', 'server CPU µs/req', 'CPU/req × none', ...extra];
  return `| ${cols.join(' | ')} |\n|---|${cols.slice(1).map(() => '---:').join('|')}|`;
}

/** A latency in ms as the tables show it: autocannon's whole ms as they are, finer ones to the µs. */
const msCell = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(3));

/** The cells of the "none" row (without the leading `| none |` and trailing `|`). */
export function noneCells(none: LoadResult[]): string {
  const m = median;
  return `${m(none.map((x) => x.rps)).toFixed(0)} | 1 | ${msCell(m(none.map((x) => x.p99Ms)))} | 1 | ${m(none.map((x) => x.cpuUsPerReq)).toFixed(1)} | 1`;
}

/** The cells of a variant's row: medians of its runs and of its ratios to "none". */
export function variantCells(e: PairedVariant<LoadResult>): string {
  const m = median;
  return `${m(e.runs.map((x) => x.rps)).toFixed(0)} | ${m(e.rps).toFixed(3)} | ${msCell(m(e.runs.map((x) => x.p99Ms)))} | ${m(e.p99).toFixed(2)} | ${m(e.runs.map((x) => x.cpuUsPerReq)).toFixed(1)} | ${m(e.cpu).toFixed(3)}`;
}

/**
 * processCpuNs: the CPU time of every live thread of process `pid` (its main
 * thread, V8's helper threads, workers), ns, from Linux's per-task schedstat;
 * undefined where there is no /proc/<pid>/task. (A thread that has exited no
 * longer counts.)
 */
export function processCpuNs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread gone
    }
  }
  return ns;
}

/**
 * startBareGCObserver starts what every GC metric in Node builds on: a
 * PerformanceObserver on 'gc' with an empty callback; with `shared`, after
 * memstats' shareEntryAccessors() (stats/gc-entries), which must succeed.
 */
export async function startBareGCObserver(shared: boolean): Promise<void> {
  if (shared) {
    const { shareEntryAccessors, entryAccessorsState } = await import('../src/stats/gc-entries.js');
    if (shareEntryAccessors() !== 'shared') throw new Error(`shareEntryAccessors: ${entryAccessorsState().reason}`);
  }
  new PerformanceObserver(() => {}).observe({ entryTypes: ['gc'] });
}

/**
 * sharedCoreRuns: for every variant, `rounds` times, a fresh "none" server and
 * the variant's server (both from `start`, both pinned to the same CPU) are
 * loaded at the same time, one autocannon each. The scheduler splits the core
 * between them, so the ratio of the requests each served is the ratio of their
 * costs per request, and the machine's drift moves both alike (none against
 * none reads 1.00 ± 0.02 here, where back-to-back runs read 0.8–1.1).
 * On Linux it also compares their CPU time per request (every thread of each
 * process, from schedstat), read over the same seconds: host noise slows both
 * processes alike, and a process that answers a little later (a closed-loop
 * client sharing its connections' turns) is not charged for it.
 * `during` starts something beside the measured load of the variant (it gets
 * the words of the variant's listening line) and returns what stops it.
 * Returns the ratios (variant / none) by variant and prints their table.
 */
export async function sharedCoreRuns<V extends string>(
  variants: V[],
  rounds: number,
  start: (v: V | 'none') => ChildProcess,
  o: { seconds: number; connections: number; warmSeconds?: number; label?: string; during?: (listening: string[]) => () => Promise<void> },
): Promise<Map<V, number[]>> {
  const ratios = new Map<V, number[]>(variants.map((v) => [v, []]));
  const cpuRatios = new Map<V, number[]>(variants.map((v) => [v, []]));
  const load = (l: string[], duration: number) => autocannon({ url: `http://127.0.0.1:${l[1]}/`, connections: o.connections, duration });
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? [...variants].reverse() : variants) {
      const a = start('none');
      const b = start(v);
      try {
        const [la, lb] = await Promise.all([a, b].map((c) => messageFrom(c, (m) => m.startsWith('listening ')).then((m) => m.split(' '))));
        const stop = o.during?.(lb); // from the warm-up on, so a long warm-up also takes the first scrapes' one-off cost
        await Promise.all([load(la, o.warmSeconds ?? 1), load(lb, o.warmSeconds ?? 1)]);
        const cpu0 = [processCpuNs(a.pid), processCpuNs(b.pid)];
        const [ra, rb] = await Promise.all([load(la, o.seconds), load(lb, o.seconds)]);
        const cpu1 = [processCpuNs(a.pid), processCpuNs(b.pid)];
        await stop?.();
        const ratio = rb.requests.total / Math.max(1, ra.requests.total);
        ratios.get(v)!.push(ratio);
        let cpuText = '';
        if (cpu0.every((x) => x !== undefined) && cpu1.every((x) => x !== undefined)) {
          const perReq = (i: number, n: number) => (cpu1[i]! - cpu0[i]!) / 1000 / Math.max(1, n);
          const cpuRatio = perReq(1, rb.requests.total) / perReq(0, ra.requests.total);
          cpuRatios.get(v)!.push(cpuRatio);
          cpuText = `; CPU ${perReq(1, rb.requests.total).toFixed(2)} vs ${perReq(0, ra.requests.total).toFixed(2)} µs/request, ratio ${cpuRatio.toFixed(3)}`;
        }
        console.error(`  ${o.label ?? ''}round ${r + 1} ${v}: ${rb.requests.total} vs none ${ra.requests.total} requests, ratio ${ratio.toFixed(3)}${cpuText}`);
      } finally {
        a.kill();
        b.kill();
      }
    }
  }
  const cell = (xs: number[]): string => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length ? `${median(s).toFixed(3)} | ${s[0].toFixed(3)}–${s[s.length - 1].toFixed(3)}` : '– | –';
  };
  console.log('| variant | requests × none (median) | range | process CPU per request × none (median) | range |');
  console.log('|---|---:|---|---:|---|');
  for (const v of variants) console.log(`| ${v} | ${cell(ratios.get(v)!)} | ${cell(cpuRatios.get(v)!)} |`);
  return ratios;
}

/** Latencies of an open-loop run, ms, sorted, and how many requests were sent. */
export interface OpenLoopResult {
  latenciesMs: number[];
  sent: number;
}

/**
 * openLoopLoad sends GET / to a local HTTP/1.1 server at a fixed `rate` per
 * second (open loop: a request's latency runs from when it was due, so a
 * stalled server is charged for the requests waiting behind the stall — no
 * coordinated omission), over `sockets` keep-alive connections. Latencies are
 * timed with performance.now() (µs resolution; autocannon's are whole ms) and
 * kept only for requests due after `warmMs`; `onMeasure` is called when that
 * window starts. The response must carry Content-Length.
 */
export function openLoopLoad(port: number, o: { rate: number; warmMs: number; measureMs: number; sockets?: number; onMeasure?: () => void }): Promise<OpenLoopResult> {
  const { rate, warmMs, measureMs } = o;
  return new Promise((resolve, reject) => {
    const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const latenciesMs: number[] = [];
    const waiting: number[] = []; // due times of requests no connection was free for
    const free: Array<(due: number) => void> = [];
    const sockets: Socket[] = [];
    let begin = 0;
    let sent = 0;
    let measuring = false;
    let failed: Error | undefined;
    for (let i = 0; i < (o.sockets ?? 64); i++) {
      const s = connect(port, '127.0.0.1');
      s.setNoDelay(true);
      sockets.push(s);
      let text = '';
      let need = -1;
      let due = 0;
      let busy = false;
      const send = (t: number): void => {
        due = t;
        busy = true;
        s.write(request);
      };
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        for (;;) {
          if (need < 0) {
            const end = text.indexOf('\r\n\r\n');
            if (end < 0) return;
            const m = /content-length: *(\d+)/i.exec(text.slice(0, end));
            if (!m) return void (failed ??= new Error('openLoopLoad: a response without Content-Length'));
            need = end + 4 + Number(m[1]);
          }
          if (text.length < need) return;
          text = text.slice(need);
          need = -1;
          if (due >= begin + warmMs) latenciesMs.push(performance.now() - due);
          busy = false;
          const next = waiting.shift();
          if (next !== undefined) send(next);
          else free.push(send);
        }
      });
      s.on('error', (err) => void (failed ??= err));
      // The server may close a connection left idle past its keep-alive timeout: drop it (an answer it owed is an error).
      s.on('end', () => {
        const at = free.indexOf(send);
        if (at >= 0) free.splice(at, 1);
        if (busy) failed ??= new Error('openLoopLoad: the server closed a connection with a request outstanding');
        s.destroy();
      });
      s.on('connect', () => free.push(send));
    }
    const tick = (): void => {
      const now = performance.now();
      if (failed) {
        for (const s of sockets) s.destroy();
        return reject(failed);
      }
      if (!measuring && now - begin >= warmMs) {
        measuring = true;
        o.onMeasure?.();
      }
      if (now - begin >= warmMs + measureMs) {
        for (const s of sockets) s.destroy();
        return resolve({ latenciesMs: latenciesMs.sort((a, b) => a - b), sent });
      }
      const dueCount = Math.floor(((now - begin) * rate) / 1000);
      for (; sent < dueCount; sent++) {
        const t = begin + (sent * 1000) / rate;
        const send = free.shift(); // the one idle longest: every connection stays in use
        if (send) send(t);
        else waiting.push(t);
      }
      setImmediate(tick);
    };
    // Connections first, then the clock.
    setTimeout(() => {
      begin = performance.now();
      tick();
    }, 200);
  });
}

/** The q-quantile (0…1) of ascending `sorted`, NaN when empty. */
export function sortedQuantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
