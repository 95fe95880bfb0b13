// bench/profile-overhead.ts — what profiling costs a live HTTP server.
// A node:http server in a child process (pinned to CPU 1 with taskset when it
// exists; autocannon runs here, pinned to CPU 0) answers small JSON, or allocates
// ~50 KB of garbage per request first. Variants, alternating in every round:
// no profiling / memstats CPU profile at 100 Hz / @datadog/pprof's time profiler
// at 100 Hz / memstats heap sampling at 512 KiB / @datadog/pprof's heap profiler at 512 KiB / memstats
// block profile (50 ms).
// Each run: 1 s warm-up, then `--seconds` of load; the server reports the CPU time
// it spent. Every variant run is paired with a "none" run next to it; prints
// medians and the median of the paired ratios.
// With --paired, instead: each variant's server and a "none" server share CPU 1 and are loaded at the same
// time; the ratio of requests each served is the ratio of their costs per request (helpers.ts, sharedCoreRuns).
// Run: npx tsc -p tsconfig.json && node dist/bench/profile-overhead.js [--rounds 3] [--seconds 5] [--connections 10] [--modes json,garbage] [--variants memstats-cpu,...] [--paired]
//      node dist/bench/profile-overhead.js --micro [--rounds 60]    (in-process, see micro())
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadRun, median, noneCells, pairedHeader, pinToCpu0, runPaired, sharedCoreRuns, spawnNode, variantCells, type LoadResult } from './helpers.js';

const require = createRequire(import.meta.url);

// 'control' is "none" again: its ratio to the paired "none" run shows the noise floor.
type Variant = 'none' | 'control' | 'memstats-cpu' | 'datadog-time' | 'memstats-heap' | 'datadog-heap' | 'memstats-block';
type Mode = 'json' | 'garbage';
const VARIANTS: Variant[] = ['none', 'control', 'memstats-cpu', 'datadog-time', 'memstats-heap', 'datadog-heap', 'memstats-block'];
const MODES: Mode[] = ['json', 'garbage'];

// ---------------------------------------------------------------- server side
interface DatadogPprof {
  time: { start(o: object): void; stop(): unknown };
  heap: { start(intervalBytes: number, stackDepth: number): void; stop(): void };
}

/** Starts a variant's profiler; resolves to its stop. */
async function startVariant(v: Variant): Promise<() => Promise<unknown>> {
  const profile = await import('../src/profile/index.js');
  if (v === 'memstats-cpu') {
    const h = profile.startCpuProfile({ intervalUs: 10_000 });
    return () => h.stop();
  }
  if (v === 'datadog-time' || v === 'datadog-heap') {
    const dd = require('@datadog/pprof') as DatadogPprof;
    if (v === 'datadog-time') {
      dd.time.start({ intervalMicros: 10_000, durationMillis: 600_000 });
      return async () => dd.time.stop();
    }
    // @datadog/pprof's default stack depth is 64 (V8's inspector uses 128).
    dd.heap.start(512 * 1024, 64);
    return async () => dd.heap.stop();
  }
  if (v === 'memstats-heap') {
    profile.startHeapSampling({ intervalBytes: 512 * 1024 });
    return async () => profile.stopHeapSampling();
  }
  if (v === 'memstats-block') {
    const h = profile.startBlockProfile({ thresholdMs: 50 });
    return () => h.stop();
  }
  return async () => undefined;
}

async function serve(variant: Variant, mode: Mode): Promise<void> {
  const stopProfiling = await startVariant(variant);
  const body = JSON.stringify({ ok: true, service: 'bench', items: [1, 2, 3] });
  let sink = 0;
  const server = createServer((_req, res) => {
    if (mode === 'garbage') {
      // ~50 KB of short-lived objects per request (500 objects of ~100 bytes).
      const junk: Array<{ id: number; name: string; tags: number[] }> = [];
      for (let i = 0; i < 500; i++) junk.push({ id: i, name: `item-${i}-${sink}`, tags: [i, i + 1, i + 2, i + 3] });
      sink = (sink + junk.length) & 0xffff;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  let mark = process.cpuUsage();
  process.on('message', async (msg: string) => {
    if (msg === 'mark') {
      mark = process.cpuUsage();
      process.send!('marked');
    } else if (msg === 'report') {
      const cpu = process.cpuUsage(mark);
      const t0 = performance.now();
      await stopProfiling();
      const stopMs = performance.now() - t0;
      process.send!(JSON.stringify({ cpuUs: cpu.user + cpu.system, stopMs }));
      server.close();
      process.exit(0);
    }
  });
  process.send!(`listening ${port}`);
}

// ---------------------------------------------------------------- in-process (--micro)
// The same variants on a request-like workload inside one process: many small
// tasks (setImmediate), each serializing JSON (and, in garbage mode, allocating
// ~50 KB). Profilers start before and stop after each timed block, so start-up
// pauses are not counted; each ~40 ms block of a variant is paired with an
// adjacent "none" block, which keeps the comparison fair on a shared, noisy machine.
async function micro(rounds: number, modes: Mode[], variants: Variant[]): Promise<void> {
  // A full GC after each block: stopping a profiler leaves garbage (the discarded
  // profile's JSON) whose collection would otherwise land in the next block —
  // measured: the block after stopHeapSampling() ran up to 40% slower.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const body = { ok: true, service: 'bench', items: [1, 2, 3] };
  let sink = 0;
  const task = (mode: Mode): void => {
    if (mode === 'garbage') {
      const junk: Array<{ id: number; name: string; tags: number[] }> = [];
      for (let i = 0; i < 500; i++) junk.push({ id: i, name: `item-${i}-${sink}`, tags: [i, i + 1, i + 2, i + 3] });
      sink = (sink + junk.length) & 0xffff;
    }
    sink = (sink + JSON.stringify(body).length) & 0xffff;
  };
  const block = (mode: Mode, tasks: number): Promise<number> =>
    new Promise((resolve) => {
      const c0 = process.cpuUsage();
      let left = tasks;
      const step = (): void => {
        for (let k = 0; k < 20 && left > 0; k++, left--) task(mode);
        if (left > 0) setImmediate(step);
        else {
          const c = process.cpuUsage(c0);
          resolve((c.user + c.system) / tasks);
        }
      };
      setImmediate(step);
    });
  console.log(`node ${process.version}, in-process, ${rounds} rounds; each variant block paired with an adjacent "none" block`);
  for (const mode of modes) {
    // ~40 ms blocks on a quiet machine: short, so the two blocks of a pair see
    // the same load from other processes.
    const tasks = mode === 'garbage' ? 1500 : 50_000;
    const cpu = new Map<Variant, number[]>([['none', []], ...variants.map((v) => [v, []] as [Variant, number[]])]);
    const ratios = new Map<Variant, number[]>(variants.map((v) => [v, []]));
    for (const v of ['none', ...variants] as Variant[]) {
      const stop = await startVariant(v);
      await block(mode, tasks); // warm-up, with the profiler on
      await stop();
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, v] of variants.entries()) {
        const pair: Variant[] = (r + k) % 2 ? [v, 'none'] : ['none', v];
        const got = new Map<Variant, number>();
        for (const x of pair) {
          const stop = await startVariant(x);
          // Let the profiler settle (its first samples, the monitor's first tick).
          await new Promise((ok) => setTimeout(ok, 15));
          got.set(x, await block(mode, tasks));
          await stop();
          gc();
        }
        cpu.get(v)!.push(got.get(v)!);
        cpu.get('none')!.push(got.get('none')!);
        ratios.get(v)!.push(got.get(v)! / got.get('none')!);
      }
    }
    console.log(`\n${mode} (${tasks} tasks per block):`);
    console.log('| variant | CPU µs/task (median) | × none (median of pairs) |');
    console.log('|---|---:|---:|');
    console.log(`| none | ${median(cpu.get('none')!).toFixed(3)} | 1 |`);
    for (const v of variants) console.log(`| ${v} | ${median(cpu.get(v)!).toFixed(3)} | ${median(ratios.get(v)!).toFixed(3)} |`);
  }
}

// ---------------------------------------------------------------- load side
function run(variant: Variant, mode: Mode, seconds: number, connections: number, pin: boolean): Promise<LoadResult> {
  const self = fileURLToPath(import.meta.url);
  const child = spawnNode([self, '--serve', variant, '--mode', mode], pin, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return loadRun(child, variant, connections, seconds);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      mode: { type: 'string', default: 'json' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      modes: { type: 'string', default: MODES.join(',') },
      variants: { type: 'string', default: VARIANTS.slice(1).join(',') },
      micro: { type: 'boolean', default: false },
      paired: { type: 'boolean', default: false },
    },
  });
  if (values.serve) {
    await serve(values.serve as Variant, values.mode as Mode);
    return;
  }
  if (values.micro) {
    await micro(Number(values.rounds), values.modes!.split(',') as Mode[], (values.variants!.split(',') as Variant[]).filter((v) => v !== 'control'));
    return;
  }
  const pin = pinToCpu0(fileURLToPath(import.meta.url));
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const modes = values.modes!.split(',') as Mode[];
  const variants = values.variants!.split(',') as Variant[];
  console.log(`node ${process.version}, ${rounds} rounds × ${seconds} s per run, ${connections} connections, server pinned: ${pin}`);
  if (values.paired) {
    console.log('Paired on one core: each variant and a "none" server share CPU 1 under simultaneous load; ratio = requests served by the variant / by "none".');
    for (const mode of modes) {
      console.log(`\n${mode}:`);
      const self = fileURLToPath(import.meta.url);
      await sharedCoreRuns(variants, rounds, (v) => spawnNode([self, '--serve', v, '--mode', mode], pin, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), { seconds, connections, label: `${mode} ` });
    }
    return;
  }
  console.log('Each variant runs next to a fresh "none" run (order alternating); ratios are medians of those pairs.');
  for (const mode of modes) {
    const { none, results } = await runPaired(variants, rounds, (x) => run(x, mode, seconds, connections, pin), (r, x, res) => {
      console.error(`  ${mode} round ${r + 1} ${x}: ${res.rps.toFixed(0)} rps, p99 ${res.p99Ms} ms, ${res.cpuUsPerReq.toFixed(1)} µs CPU/req`);
    });
    console.log(`\n${mode}:`);
    console.log(pairedHeader());
    console.log(`| none | ${noneCells(none)} |`);
    for (const v of variants) console.log(`| ${v} | ${variantCells(results.get(v)!)} |`);
  }
}

await main();
