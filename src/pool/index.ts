/**
 * @module memstats/pool
 * Recycling instead of garbage: a Buffer recycler with size classes, idle caps
 * and stale eviction (the seed's recycler), and a generic object pool. See
 * docs/recycling.md for what recycling does to memory in Node, measured.
 */
export { createRecycler, RESIZABLE_MIN_BYTES } from './recycler.js';
export type { Recycler, RecyclerOptions, RecyclerStats, RecyclerBacking } from './recycler.js';
export { createPool } from './object-pool.js';
export type { Pool, PoolOptions, PoolStats } from './object-pool.js';
export { MISUSE_CODES } from './errors.js';
export type { MisuseAction, MisuseKind } from './errors.js';
