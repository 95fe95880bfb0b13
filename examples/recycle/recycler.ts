/**
 * The seed's third program, in Node: a recycler that hands out buffers, takes
 * them back, and lets go of those idle for a minute. As in the seed, `<-get`
 * hands out any idle buffer (here: of 5–10 MB, `getAtLeast(5_000_000, size)`)
 * and the program uses it whole; only when none is idle is one made, of the
 * size drawn (the seed's makeBuffer).
 *
 *   node dist/examples/recycle/recycler.js [--iterations 1500] [--period-ms 20] [--every 10]
 *       [--max-age-ms 60000] [--get any|exact] [--backing fixed|resizable] > recycler.csv
 *
 * `--get exact` asks `get(size)` for the size drawn instead: what code that needs
 * an exact length does. A recycled buffer bigger than the request then keeps its
 * spare capacity resident (backing 'fixed'), or the recycler resizes it and pays
 * page faults (backing 'resizable'); docs/recycling.md compares them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createRecycler, type RecyclerBacking } from '../../src/pool/index.js';
import { csvHeader, csvRow, exampleArgs } from './csv.js';

const { iterations, periodMs, every, values } = exampleArgs({
  'max-age-ms': { type: 'string' },
  get: { type: 'string' },
  backing: { type: 'string' },
});
const exact = values.get === 'exact';
if (!exact && values.get !== undefined && values.get !== 'any') throw new RangeError(`--get must be any or exact; received ${JSON.stringify(values.get)}`);
const recycler = createRecycler({
  maxAgeMs: values['max-age-ms'] !== undefined ? Number(values['max-age-ms']) : 60_000,
  backing: (values.backing ?? 'fixed') as RecyclerBacking,
});
const pool: (Buffer | null)[] = new Array(20).fill(null);

process.stdout.write(csvHeader(`recycler (${exact ? 'get(size)' : 'any buffer'}, ${recycler.backing})`));
for (let it = 1; it <= iterations; it++) {
  const size = 5_000_000 + Math.floor(Math.random() * 5_000_000);
  const b = exact ? recycler.get(size) : recycler.getAtLeast(5_000_000, size); // b := <-get
  b.fill(it & 0xff);
  const i = Math.floor(Math.random() * pool.length);
  const old = pool[i];
  if (old !== null) recycler.give(old); // give <- pool[i]
  pool[i] = b;

  await sleep(periodMs);
  if (it % every === 0 || it === iterations) {
    const s = recycler.stats();
    process.stdout.write(csvRow(it, pool, s.makes, s.drops + s.evictions));
  }
}
process.stderr.write(`recycler stats: ${JSON.stringify(recycler.stats())}\n`);
recycler.close();
