/**
 * The seed's third program, in Node: a recycler that hands out buffers, takes
 * them back, and lets go of those idle for a minute. Unlike the seed's (which
 * handed out whatever buffer it had), memstats' recycler serves the size asked
 * for, from size classes.
 *
 *   node dist/examples/recycle/recycler.js [--iterations 1500] [--period-ms 20] [--every 10]
 *       [--max-age-ms 60000] [--backing resizable|fixed] > recycler.csv
 *
 * backing 'resizable' (used here by default) keeps only the requested bytes of
 * each buffer resident, which suits big buffers of varying size handled by
 * native code (fill, I/O); the library default, 'fixed', suits the rest.
 * docs/recycling.md compares them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createRecycler, type RecyclerBacking } from '../../src/pool/index.js';
import { csvHeader, csvRow, exampleArgs } from './csv.js';

const { iterations, periodMs, every, values } = exampleArgs({ 'max-age-ms': { type: 'string' }, backing: { type: 'string' } });
const recycler = createRecycler({
  maxAgeMs: values['max-age-ms'] !== undefined ? Number(values['max-age-ms']) : 60_000,
  backing: (values.backing ?? 'resizable') as RecyclerBacking,
});
const pool: (Buffer | null)[] = new Array(20).fill(null);

process.stdout.write(csvHeader(`recycler (${recycler.backing})`));
for (let it = 1; it <= iterations; it++) {
  const b = recycler.get(5_000_000 + Math.floor(Math.random() * 5_000_000)); // b := <-get
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
