/**
 * @module export/expvar
 * Go's `expvar` for Node: `publish(name, fn)` adds a variable to the JSON that
 * `/debug/vars` serves, next to the two Go always publishes — `cmdline` (the
 * process arguments) and `memstats` (MemStats with Go's field names).
 *
 * @example
 * import { publish } from 'memstats';
 * let requests = 0;
 * publish('requests', () => requests);   // GET /debug/vars → {"cmdline":[…],"memstats":{…},"requests":42}
 */
import { readMemStats, toGoMemStats } from '../stats/mem-stats.js';
import { functionOption, invalidOption, stateError } from '../internal/validate.js';

/** Computes the value of a published variable; called on every read of /debug/vars. */
export type VarFunction = () => unknown;

/** Error code of publish() for a name already published. */
export const ERR_VAR_EXISTS = 'ERR_MEMSTATS_VAR_EXISTS';

const RESERVED = new Set(['cmdline', 'memstats']);
const vars = new Map<string, VarFunction>();

/**
 * publish adds variable `name` to /debug/vars; its value is `fn()` at each read
 * (JSON-serialisable; a function that throws, or returns something JSON cannot
 * hold, is served as null). Returns a function that removes it (calling that
 * twice is harmless). Like Go's expvar.Publish, publishing a name twice — or
 * `cmdline`/`memstats` — throws (code ERR_MEMSTATS_VAR_EXISTS); a non-string or
 * empty name, or a non-function, throws TypeError/RangeError (ERR_MEMSTATS_INVALID_OPTION).
 */
export function publish(name: string, fn: VarFunction): () => void {
  if (typeof name !== 'string') throw invalidOption('type', 'name', name, 'a non-empty string');
  if (name.length === 0) throw invalidOption('range', 'name', name, 'a non-empty string');
  const f = functionOption<VarFunction>('fn', fn);
  if (!f) throw invalidOption('type', 'fn', fn, 'a function');
  if (RESERVED.has(name) || vars.has(name)) throw stateError(ERR_VAR_EXISTS, `memstats: reuse of exported var name ${JSON.stringify(name)}`);
  vars.set(name, f);
  return () => {
    if (vars.get(name) === f) vars.delete(name);
  };
}

/** unpublish removes variable `name` (published by anyone). Returns whether it existed. */
export function unpublish(name: string): boolean {
  return vars.delete(name);
}

function jsonSafe(value: unknown): unknown {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v));
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/**
 * readVars returns what /debug/vars serves: `cmdline`, `memstats` (Go's
 * MemStats field names; null where Node has no value), then each published
 * variable in publication order. Never throws.
 */
export function readVars(): Record<string, unknown> {
  const out: Record<string, unknown> = {
    cmdline: [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    memstats: toGoMemStats(readMemStats()),
  };
  for (const [name, fn] of vars) {
    let v: unknown;
    try {
      v = fn();
    } catch {
      v = null;
    }
    out[name] = jsonSafe(v);
  }
  return out;
}
