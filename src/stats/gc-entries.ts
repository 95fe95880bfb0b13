/**
 * @module stats/gc-entries
 * Makes Node's GC performance entries cheap to observe.
 *
 * For every entry made in C++ with a `detail` (GC and HTTP/2 entries), Node
 * 16 on (`lib/internal/perf/observe.js`, `observerCallback`; measured on 20) also defines the
 * deprecated accessors of DEP0152 (`entry.kind`, `entry.flags`, …): a `SafeMap`
 * and, per key, a getter and a setter each wrapped by `util.deprecate`, whose
 * `Object.setPrototypeOf(wrapper, fn)` makes maps in the old generation that
 * point at the new closures. A scavenge keeps what old objects point at, so
 * every entry outlives every scavenge until the next full GC: ~3.4 KB promoted
 * per scavenge, a young generation that V8 grows 1.6–4× in answer, longer
 * scavenges and slower application code (docs/benchmarks.md, seventh session:
 * +2–7 % CPU per request in an HTTP server, +15–25 % in an allocating loop,
 * and nothing measurable without those accessors).
 *
 * shareEntryAccessors replaces that callback with one that builds the same
 * entry and defines the same accessors — same names, same values, same
 * DEP0152 warning, settable as before — from functions made once per key, so
 * that an entry holds nothing new and dies young. The callback is reachable
 * only from Node's internals: through this process's own inspector session,
 * `process.binding`'s closure gives `internalBinding` (whose `performance`
 * binding's `setupObservers` sets the callback) and `PerformanceObserver`'s
 * gives the module's `enqueue`, `createPerformanceNodeEntry`, `deprecate` and
 * deprecation message. Anything missing (another Node, no inspector, the
 * permission model) leaves Node as it is. `MEMSTATS_GC_ENTRIES=node` (read at
 * the first call) keeps Node's own callback. The replacement stays for the life
 * of the process: it behaves as Node's, and Node's is not reachable to put back.
 */
import { createRequire } from 'node:module';

/** What shareEntryAccessors did: replaced the callback (now or before), or why not. */
export type EntryAccessorsState = 'shared' | 'disabled' | 'unsupported';

let state: EntryAccessorsState | undefined;
/** Why the last attempt was 'unsupported' (for docs and tests). */
let reason = '';

/** The state, and the reason when unsupported. */
export function entryAccessorsState(): { state: EntryAccessorsState | undefined; reason: string } {
  return { state, reason };
}

/**
 * What the entries of this process are, as /metrics reports it
 * (`memstats_gc_entries_info`): `shared` (made by memstats' callback),
 * `node` (Node's own: opted out, attached to, or not tried yet) or
 * `unsupported` (tried, and Node's internals were not the expected ones).
 */
export type GCEntriesMode = 'shared' | 'node' | 'unsupported';

/** gcEntriesMode maps the state to what /metrics reports. */
export function gcEntriesMode(): GCEntriesMode {
  return state === 'shared' || state === 'unsupported' ? state : 'node';
}

interface RemoteObject {
  type: string;
  value?: unknown;
  objectId?: string;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}
interface InspectorSession {
  connect(): void;
  disconnect(): void;
  post(method: string, params: object, cb: (err: Error | null, res: unknown) => void): void;
}

const GROUP = 'memstats-gc-entries';

/**
 * The replacement callback's maker, run inside the process through the
 * inspector (so it is sent as source text: it closes over nothing here).
 * `this` is Node's `internalBinding`.
 */
function install(
  this: (name: string) => { setupObservers(cb: (...args: unknown[]) => void): void },
  enqueue: (entry: object) => void,
  createEntry: (name: unknown, type: unknown, startTime: unknown, duration: unknown, details: unknown) => object,
  deprecate: (fn: (...args: never[]) => unknown, msg: string, code: string) => (...args: never[]) => unknown,
  message: string,
): string {
  const overrides = Symbol('memstats.deprecatedFieldValues');
  type Entry = { detail?: Record<string, unknown>; [overrides]?: Map<string, unknown> };
  const accessors = new Map<string, PropertyDescriptorMap[string]>();
  const propsByKeys = new Map<string, PropertyDescriptorMap>();
  const accessor = (key: string): PropertyDescriptorMap[string] => {
    let a = accessors.get(key);
    if (!a) {
      // The detail's value, or what was set since. (Node's copies the detail's values when it makes the
      // entry: the two differ only for a detail changed afterwards.)
      const get = deprecate(function (this: Entry) {
        const o = this[overrides];
        return o !== undefined && o.has(key) ? o.get(key) : this.detail?.[key];
      }, message, 'DEP0152');
      const set = deprecate(function (this: Entry, value: unknown) {
        (this[overrides] ??= new Map()).set(key, value);
      } as (...args: never[]) => unknown, message, 'DEP0152');
      a = { configurable: true, enumerable: true, get, set: set as (v: unknown) => void };
      accessors.set(key, a);
    }
    return a;
  };
  const keysOf = Object.keys;
  const define = Object.defineProperties;
  this('performance').setupObservers((name: unknown, type: unknown, startTime: unknown, duration: unknown, details: unknown) => {
    const entry = createEntry(name, type, startTime, duration, details);
    if (details !== undefined && details !== null) {
      const keys = keysOf(details);
      const id = keys.join('\u0000');
      let props = propsByKeys.get(id);
      if (!props) {
        props = {};
        for (const k of keys) props[k] = accessor(k);
        propsByKeys.set(id, props);
      }
      define(entry, props);
    }
    enqueue(entry);
  });
  return 'shared';
}

/**
 * keepNodeEntryCallback makes later shareEntryAccessors calls leave Node's
 * callback alone (as MEMSTATS_GC_ENTRIES=node does), unless it was replaced
 * already: `memstats attach` leaves nothing behind in a process it attached
 * to, and the replacement cannot be undone.
 */
export function keepNodeEntryCallback(): void {
  state ??= 'disabled';
}

/**
 * shareEntryAccessors replaces Node's performance-entry callback (see the
 * module comment) once per process; later calls return the first result.
 * Synchronous: the in-process inspector session answers before `post` returns.
 */
export function shareEntryAccessors(): EntryAccessorsState {
  if (state !== undefined) return state;
  if (process.env.MEMSTATS_GC_ENTRIES === 'node') return (state = 'disabled');
  state = 'unsupported';
  let session: InspectorSession | undefined;
  try {
    // Loaded here, not imported: a Node built without the inspector throws on loading it. (In the attach
    // bundle, import.meta is empty; process.getBuiltinModule, Node ≥ 20.16, serves there.)
    const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const { Session } = (builtin ? builtin('node:inspector') : createRequire(import.meta.url)('node:inspector')) as { Session: new () => InspectorSession };
    const s = new Session();
    s.connect();
    session = s;
    const post = <T>(method: string, params: object): T => {
      let out: { err: Error | null; res: unknown } | undefined;
      s.post(method, params, (err, res) => (out = { err, res }));
      if (!out) throw new Error('the inspector answered asynchronously');
      if (out.err) throw out.err;
      return out.res as T;
    };
    /** The variables that a function's closure holds, by name. */
    const closureOf = (expression: string): Map<string, RemoteObject> => {
      const { result } = post<{ result: RemoteObject }>('Runtime.evaluate', { expression, objectGroup: GROUP, silent: true });
      if (result.type !== 'function' || !result.objectId) throw new Error(`${expression} is not a function`);
      const own = post<{ internalProperties?: PropertyDescriptor[] }>('Runtime.getProperties', { objectId: result.objectId, ownProperties: true });
      const scopes = own.internalProperties?.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
      if (!scopes) throw new Error(`no scopes for ${expression}`);
      const vars = new Map<string, RemoteObject>();
      for (const scope of post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', { objectId: scopes, ownProperties: true }).result) {
        if (!scope.value?.objectId) continue;
        for (const v of post<{ result: PropertyDescriptor[] }>('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true }).result) {
          if (v.value && !vars.has(v.name)) vars.set(v.name, v.value);
        }
      }
      return vars;
    };
    const binding = closureOf('process.binding').get('internalBinding');
    const perf = closureOf('PerformanceObserver');
    const needed = ['enqueue', 'createPerformanceNodeEntry', 'deprecate', 'kDeprecationMessage', 'kDeprecatedFields'];
    const missing = needed.filter((n) => !perf.has(n));
    if (!binding?.objectId || binding.type !== 'function' || missing.length > 0) {
      throw new Error(`Node's internals are not the expected ones (missing: ${[...(binding?.objectId ? [] : ['internalBinding']), ...missing].join(', ')})`);
    }
    const arg = (n: string): object => {
      const v = perf.get(n)!;
      return v.objectId ? { objectId: v.objectId } : { value: v.value };
    };
    const { result, exceptionDetails } = post<{ result: RemoteObject; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.callFunctionOn', {
      functionDeclaration: install.toString(),
      objectId: binding.objectId,
      arguments: [arg('enqueue'), arg('createPerformanceNodeEntry'), arg('deprecate'), arg('kDeprecationMessage')],
      returnByValue: true,
      silent: true,
    });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    if (result.value !== 'shared') throw new Error('the replacement did not install');
    state = 'shared';
    reason = '';
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  } finally {
    try {
      session?.post('Runtime.releaseObjectGroup', { objectGroup: GROUP }, () => {});
      session?.disconnect();
    } catch {
      // nothing held
    }
  }
  return state;
}
