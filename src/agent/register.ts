/**
 * @module memstats/register
 * The zero-code agent: `node --import memstats/register app.js` (or
 * `NODE_OPTIONS=--import=memstats/register`) serves the debug endpoints of
 * `app.js` on http://127.0.0.1:6060 — /debug/pprof/*, /debug/vars, /metrics —
 * configured by MEMSTATS_ADDR, MEMSTATS_TOKEN, MEMSTATS_GC_LOG,
 * MEMSTATS_RECORD and MEMSTATS_HEAP_SAMPLING (docs/server.md). The only
 * memstats module with an import side effect. It never stops or keeps alive
 * the program: problems are one line on stderr, and everything is unref'd.
 *
 * @example
 * // node --import memstats/register app.js
 * // MEMSTATS_ADDR=127.0.0.1:7070 MEMSTATS_GC_LOG=1 node --import memstats/register app.js
 */
import { startAgentFromEnv, type Agent } from './agent.js';

/** The agent started by this import (undefined in worker threads or if it could not start). Never rejects. */
export const agent: Promise<Agent | undefined> = startAgentFromEnv();
