/**
 * The seed's first program, in Node: every period, make a new 5-10 MB buffer,
 * keep it in one of 20 slots at random, and let the GC have the one it replaces.
 *
 *   node dist/examples/recycle/naive.js [--iterations 1500] [--period-ms 20] [--every 10] > naive.csv
 *
 * RSS settles near twice the live bytes: see docs/recycling.md for why.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { csvHeader, csvRow, exampleArgs } from './csv.js';

function makeBuffer(): Buffer {
  return Buffer.alloc(5_000_000 + Math.floor(Math.random() * 5_000_000));
}

const { iterations, periodMs, every } = exampleArgs();
const pool: (Buffer | null)[] = new Array(20).fill(null);
let makes = 0;
let frees = 0;

process.stdout.write(csvHeader('naive'));
for (let it = 1; it <= iterations; it++) {
  const b = makeBuffer();
  makes++;
  // Real code writes what it allocates; pages never written never become resident.
  b.fill(it & 0xff);
  const i = Math.floor(Math.random() * pool.length);
  if (pool[i] !== null) frees++;
  pool[i] = b;

  await sleep(periodMs);
  if (it % every === 0 || it === iterations) process.stdout.write(csvRow(it, pool, makes, frees));
}
