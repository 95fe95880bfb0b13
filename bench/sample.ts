// bench/sample.ts — the cost of one reading.
// memstats' readMemStats() and one full sampler tick (SampleReader.read()), side
// by side with prom-client 15's collectDefaultMetrics() + register.metrics(),
// alternating rounds in one process. Prints medians, p99s and the ratio.
// Run: npm run build && node dist/bench/sample.js [--rounds 7] [--calls 2000]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import { readMemStats, SampleReader } from '../src/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, calls: { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);
const calls = Number(values.calls);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function timeCalls(fn: () => unknown | Promise<unknown>, n: number, gapMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    out.push((performance.now() - t0) * 1000);
    // Give the loop a turn now and then, as a real 1 Hz consumer would.
    if (gapMs > 0 && i % 50 === 49) await new Promise((res) => setTimeout(res, gapMs));
  }
  return out;
}

// Some steady garbage so GCs happen during the run, as in a live service.
let junk: unknown[] = [];
const churn = setInterval(() => {
  for (let i = 0; i < 2000; i++) junk.push({ i, s: `x${i}` });
  if (junk.length > 20000) junk = [];
}, 5);

const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });
const reader = new SampleReader();

const variants: Array<[string, () => unknown | Promise<unknown>]> = [
  ['memstats readMemStats()', () => readMemStats()],
  ['memstats sampler tick', () => reader.read()],
  ['prom-client register.metrics()', () => registry.metrics()],
];
const results = new Map<string, number[]>(variants.map(([n]) => [n, []]));
// warm-up
for (const [, fn] of variants) await timeCalls(fn, 200, 0);
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of r % 2 ? [...variants].reverse() : variants) {
    results.get(name)!.push(...(await timeCalls(fn, name.startsWith('prom') ? Math.max(50, calls / 10) : calls, 1)));
  }
}
clearInterval(churn);
reader.close();

console.log(`node ${process.version}, ${rounds} alternating rounds`);
console.log('variant                               median µs    p99 µs   calls');
const medians = new Map<string, number>();
for (const [name, xs] of results) {
  xs.sort((a, b) => a - b);
  medians.set(name, quantile(xs, 0.5));
  console.log(`${name.padEnd(36)} ${quantile(xs, 0.5).toFixed(2).padStart(9)} ${quantile(xs, 0.99).toFixed(2).padStart(9)} ${String(xs.length).padStart(7)}`);
}
const prom = medians.get('prom-client register.metrics()')!;
console.log(`ratio prom-client / memstats sampler tick: ${(prom / medians.get('memstats sampler tick')!).toFixed(1)}×`);
console.log(`ratio prom-client / memstats readMemStats: ${(prom / medians.get('memstats readMemStats()')!).toFixed(1)}×`);
void junk;
