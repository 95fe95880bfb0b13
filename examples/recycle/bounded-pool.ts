/**
 * The seed's second program, in Node: the buffered channel of 5. Take a pooled
 * buffer if there is one (of whatever size), else make one; put the replaced
 * buffer back if the pool has room, else let the GC have it. Like Go's select
 * with a default case, neither step ever waits.
 *
 *   node dist/examples/recycle/bounded-pool.js [--iterations 1500] [--period-ms 20] [--every 10] > pool.csv
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { csvHeader, csvRow, exampleArgs } from './csv.js';

function makeBuffer(): Buffer {
  return Buffer.alloc(5_000_000 + Math.floor(Math.random() * 5_000_000));
}

const { iterations, periodMs, every } = exampleArgs();
const pool: (Buffer | null)[] = new Array(20).fill(null);
const buffer: Buffer[] = []; // the channel: at most 5
let makes = 0;
let frees = 0;

process.stdout.write(csvHeader('bounded pool of 5'));
for (let it = 1; it <= iterations; it++) {
  let b = buffer.pop(); // case b = <-buffer
  if (b === undefined) {
    makes++; // default: make one
    b = makeBuffer();
  }
  b.fill(it & 0xff);

  const i = Math.floor(Math.random() * pool.length);
  const old = pool[i];
  if (old !== null) {
    if (buffer.length < 5) buffer.push(old); // case buffer <- pool[i]
    else frees++; // default: the GC takes it
  }
  pool[i] = b;

  await sleep(periodMs);
  if (it % every === 0 || it === iterations) process.stdout.write(csvRow(it, pool, makes, frees));
}
