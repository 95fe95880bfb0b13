// bench/attach.ts — attaching to a process started with nothing (issue 7): how long from `memstats attach`
// to the first sample, and what being attached and sampled at 1 Hz costs the target's CPU.
//
// Part 1, time to first sample: fresh idle targets, each attached through the library (attachToPid) with
// one sample subscriber, as `memstats top` and the dashboard do: the attachment (SIGUSR1, port found,
// connect, install), then the first sample; a second attachment to the same process; then the CLI end to
// end: `node bin/memstats.js top <pid> -n 1 --json`, from spawn to exit (node startup, attach, first
// sample, detach).
//
// Part 2, the target's CPU over a window, as the sum of its threads' on-CPU time from
// /proc/<pid>/task/*/schedstat (ns). Variants, on a fresh target each, order alternating every round:
//   none        not attached (the baseline)
//   attach@N    attached, one sample subscriber (as top and the dashboard), event-loop delay timer every
//               N ms: 10 (memstats' in-process default), 20, 50 (memstats attach's default,
//               ATTACH_LOOP_RESOLUTION_MS)
//   agent       the rival way to get the same figures: the in-process agent (--import memstats/register)
//               with one dashboard-stream client (1 Hz samples, 10 ms timer)
// Two targets: `idle` (a 1 s no-op timer) and `light` (a 10 ms timer doing ~0.3 ms of work: a quiet service).
// Run: npx tsc -p tsconfig.json && npm run build:attach && node dist/bench/attach.js [--rounds 3] [--seconds 10] [--attaches 5]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { attachToPid, ATTACH_LOOP_RESOLUTION_MS } from '../src/attach/remote-backend.js';
import { median, processCpuNs } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTER = pathToFileURL(`${ROOT}dist/src/agent/register.js`).href;
const BIN = `${ROOT}bin/memstats.js`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    attaches: { type: 'string', default: '5' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const ATTACHES = Number(values.attaches);

const TARGETS = {
  idle: 'setInterval(() => {}, 1000); process.stdout.write("ready\\n");',
  light:
    'let x = 0; setInterval(() => { const end = performance.now() + 0.3; while (performance.now() < end) x += Math.sqrt(x + 1); }, 10); process.stdout.write("ready\\n");',
};
type TargetKind = keyof typeof TARGETS;
type Variant = 'none' | 'attach@10' | 'attach@20' | 'attach@50' | 'agent';
const VARIANTS: Variant[] = ['none', 'attach@10', 'attach@20', 'attach@50', 'agent'];

interface Target {
  child: ChildProcess;
  pid: number;
  url?: string;
}

async function startTarget(kind: TargetKind, agent = false): Promise<Target> {
  const args = agent ? [`--import=${REGISTER}`, '-e', TARGETS[kind]] : ['-e', TARGETS[kind]];
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.MEMSTATS_ADDR;
  if (agent) env.MEMSTATS_ADDR = '127.0.0.1:0';
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`target exited ${c}: ${err}`)));
  });
  let url: string | undefined;
  if (agent) {
    for (let i = 0; i < 200 && !url; i++) {
      url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1];
      if (!url) await sleep(25);
    }
    if (!url) throw new Error(`no agent URL: ${err}`);
  }
  return { child, pid: child.pid!, url };
}

async function stop(t: Target): Promise<void> {
  if (t.child.exitCode !== null) return;
  t.child.kill('SIGKILL');
  await once(t.child, 'exit');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** On-CPU time of every thread of `pid`, ns (helpers.processCpuNs; attach runs where /proc does). */
function cpuNs(pid: number): number {
  const ns = processCpuNs(pid);
  if (ns === undefined) throw new Error(`no /proc/${pid}/task`);
  return ns;
}

async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const c0 = cpuNs(pid);
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const c1 = cpuNs(pid);
  const wall = Number(process.hrtime.bigint() - t0);
  return ((c1 - c0) / wall) * 100;
}

async function measure(kind: TargetKind, v: Variant): Promise<number> {
  const t = await startTarget(kind, v === 'agent');
  try {
    await sleep(1000);
    if (v === 'none') return await cpuPercent(t.pid, SECONDS);
    if (v === 'agent') {
      const req = http.get(`${t.url}/debug/dashboard/stream`, (res) => res.resume());
      req.on('error', () => {});
      await sleep(2000);
      try {
        return await cpuPercent(t.pid, SECONDS);
      } finally {
        req.destroy();
      }
    }
    const b = await attachToPid(t.pid, { loopResolutionMs: Number(v.slice('attach@'.length)) });
    let n = 0;
    const off = b.subscribeSamples(() => n++);
    try {
      await sleep(2000);
      const pct = await cpuPercent(t.pid, SECONDS);
      if (n < SECONDS) throw new Error(`only ${n} samples arrived`);
      return pct;
    } finally {
      off();
      await b.close();
    }
  } finally {
    await stop(t);
  }
}

async function timeToFirstSample(): Promise<void> {
  const phases = { cold: [] as number[], first: [] as number[], total: [] as number[], warm: [] as number[], cli: [] as number[] };
  for (let i = 0; i < ATTACHES; i++) {
    const t = await startTarget('idle');
    try {
      await sleep(300);
      // Cold: a process never attached (SIGUSR1, the port found, connect, install).
      const t0 = performance.now();
      const b = await attachToPid(t.pid);
      const attached = performance.now();
      await new Promise<void>((resolve) => {
        const off = b.subscribeSamples(() => {
          off();
          resolve();
        });
      });
      const first = performance.now();
      await b.close();
      phases.cold.push(attached - t0);
      phases.first.push(first - attached);
      phases.total.push(first - t0);
      await sleep(200);
      // Warm: the same process again (its inspector was opened and closed once).
      const t1 = performance.now();
      const again = await attachToPid(t.pid);
      phases.warm.push(performance.now() - t1);
      await again.close();
      await sleep(200);
      const t2 = performance.now();
      const cli = spawn(process.execPath, [BIN, 'top', String(t.pid), '-n', '1', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
      cli.stdout!.resume();
      const [code] = (await once(cli, 'exit')) as [number];
      if (code !== 0) throw new Error(`memstats top exited ${code}`);
      phases.cli.push(performance.now() - t2);
    } finally {
      await stop(t);
    }
  }
  const row = (name: string, xs: number[]) => console.log(`| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} |`);
  console.log(`\nTime to first sample, ${ATTACHES} fresh idle targets (ms):\n`);
  console.log('| phase | median | range |\n|---|---:|---:|');
  row('attach, first time: SIGUSR1, port found, connect, install', phases.cold);
  row('then the first sample (the sampler starts on subscribe, 1 s interval)', phases.first);
  row('**attach → first sample**', phases.total);
  row('attach again (inspector opened once before)', phases.warm);
  row('CLI end to end: `memstats top <pid> -n 1 --json` (spawn → exit)', phases.cli);
}

async function cpuCost(): Promise<void> {
  for (const kind of Object.keys(TARGETS) as TargetKind[]) {
    const runs: Record<Variant, number[]> = { none: [], 'attach@10': [], 'attach@20': [], 'attach@50': [], agent: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        runs[v].push(await measure(kind, v));
        process.stderr.write('.');
      }
    }
    process.stderr.write('\n');
    console.log(`\nTarget CPU, ${kind} target, % of one core over ${SECONDS} s windows (median of ${ROUNDS}; runs):\n`);
    console.log('| variant | CPU % | over none | runs |\n|---|---:|---:|---|');
    const base = median(runs.none);
    for (const v of VARIANTS) {
      const m = median(runs[v]);
      const name = v === `attach@${ATTACH_LOOP_RESOLUTION_MS}` ? `**${v}** (default)` : v;
      console.log(`| ${name} | ${m.toFixed(3)} | ${v === 'none' ? '' : `${m - base >= 0 ? '+' : ''}${(m - base).toFixed(3)}`} | ${runs[v].map((x) => x.toFixed(3)).join(', ')} |`);
    }
  }
}

console.log(`# memstats attach benchmark — node ${process.version}, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
await timeToFirstSample();
await cpuCost();
