/**
 * @module profile/resources
 * Live resources, Go's goroutine dump for Node: what keeps the event loop alive
 * (sockets, servers, timers, child processes, watchers, pending requests), how
 * many of each, and — with the opt-in tracker — grouped by the stack that
 * created them. As text like Go's `goroutine?debug=1` / `debug=2`, or as pprof.
 *
 * Counts by type come from `process.getActiveResourcesInfo()` (~0.2 µs, always
 * available; like Node it lists only resources that keep the loop alive, so
 * unref'd timers and handles are left out).
 *
 * The tracker (startResourceTracking) records a creation stack for every timer,
 * immediate and handle through an async_hooks `init` hook only. It has no
 * `destroy` hook (that makes Node track every promise for GC, 30–55× slower):
 * whether a resource is still alive is read from the resource itself when the
 * dump is made (a timer's `_destroyed`, a handle's `hasRef()`). Requests
 * (fs, dns, write) are short-lived and have no such flag: they are counted by
 * type only. The init hook still runs for every promise (Node enables its promise
 * hook for any init hook), which costs on promise-heavy code: opt-in only.
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import { Profile } from 'pprof-format';
import { mapLocation } from '../internal/source-map.js';
import { booleanOption, invalidOption, optionsObject, optionNames } from '../internal/validate.js';
import { intOption } from './options.js';
import { ProfileBuilder, displayPath, type RawFrame } from './pprof.js';
const RESOURCE_TRACKING_OPTIONS_NAMES = optionNames<ResourceTrackingOptions>({ stackDepth: true });
const RESOURCE_PROFILE_OPTIONS_NAMES = optionNames<ResourceProfileOptions>({ mapSources: true });
const FORMAT_RESOURCES_OPTIONS_NAMES = optionNames<FormatResourcesOptions>({ debug: true, mapSources: true });

/** Options of startResourceTracking. */
export interface ResourceTrackingOptions {
  /**
   * Frames kept per creation stack, an integer from 1 to 100. Default: what
   * `Error.stackTraceLimit` gives (10 frames, of which Node's own take 3–5). Passing
   * it makes each capture raise the limit for the moment, which costs ~6 µs more
   * per tracked resource (measured).
   */
  stackDepth?: number;
}

/** Options of profileResources. */
export interface ResourceProfileOptions {
  /** Map compiled frames to their `.ts` source (default true). */
  mapSources?: boolean;
}

/** Options of formatResources. */
export interface FormatResourcesOptions {
  /** 1: one entry per group with its count, like Go's `goroutine?debug=1` (default). 2: every tracked resource with its own stack and age, like `debug=2`. */
  debug?: 1 | 2;
  /** Map compiled frames to their `.ts` source (default true). */
  mapSources?: boolean;
}

/** One frame of a creation stack, already source-mapped when asked: 1-based line and column. */
export interface ResourceFrame {
  name: string;
  file: string;
  line: number;
  column: number;
}

/** Live resources of one type created at one place. */
export interface ResourceGroup {
  /** The resource type as `process.getActiveResourcesInfo()` names it (`Timeout`, `TCPSocketWrap`, …). */
  type: string;
  /** How many are alive. */
  count: number;
  /** The creation stack (innermost first), or null for resources created while tracking was off or that the tracker does not follow. */
  stack: ResourceFrame[] | null;
}

interface Tracked {
  asyncId: number;
  type: string;
  ref: WeakRef<object>;
  // The V8 structured stack is kept unformatted (cheap); it is turned into
  // frames only when a dump asks for it.
  holder: { stack?: unknown };
  createdAtMs: number;
  frames?: ResourceFrame[];
}

interface CallSiteLike {
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getTypeName(): string | null;
  getFileName(): string | null | undefined;
  getScriptNameOrSourceURL?(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isConstructor(): boolean;
}

let hook: AsyncHook | null = null;
// null: capture with the current Error.stackTraceLimit (changing it per call is
// measurably slower: ~6 µs each time).
let stackDepth: number | null = null;
const tracked = new Map<number, Tracked>();
let pruneAt = 1024;

// Node's active-resources names for async_hooks types whose names differ by more
// than case (the rest match case-insensitively: FSEVENTWRAP ↔ FSEventWrap, …).
const ACTIVE_NAME: Record<string, string> = {
  TCPWRAP: 'TCPSocketWrap',
  TCPSERVERWRAP: 'TCPServerWrap',
  PIPESERVERWRAP: 'PipeServerWrap',
};

function activeName(type: string, known: Iterable<string>): string {
  if (ACTIVE_NAME[type]) return ACTIVE_NAME[type];
  const lower = type.toLowerCase();
  for (const k of known) if (k.toLowerCase() === lower) return k;
  return type;
}

type Liveness = 'live' | 'unref' | 'gone';

/** Reads whether a tracked resource still keeps the loop alive, from the resource itself. */
function liveness(r: Tracked): Liveness {
  const res = r.ref.deref() as { _destroyed?: boolean; hasRef?: () => unknown } | undefined;
  if (!res) return 'gone';
  if (r.type === 'Timeout' || r.type === 'Immediate') {
    if (res._destroyed === true) return 'gone';
    return typeof res.hasRef === 'function' && res.hasRef() === true ? 'live' : 'unref';
  }
  if (typeof res.hasRef !== 'function') return 'gone';
  // A closed handle answers undefined; an open one true (ref'd) or false (unref'd).
  const v = res.hasRef();
  if (v === true) return 'live';
  if (v === false) return 'unref';
  return 'gone';
}

function prune(): void {
  for (const [id, r] of tracked) if (liveness(r) === 'gone') tracked.delete(id);
  pruneAt = Math.max(1024, tracked.size * 2);
}

function init(asyncId: number, type: string, _trigger: number, resource: object): void {
  // Promises (the vast majority of inits) and requests have no liveness flag
  // to read later: skip them as fast as possible.
  if (type === 'PROMISE' || typeof (resource as { hasRef?: unknown }).hasRef !== 'function') return;
  const holder: { stack?: unknown } = {};
  if (stackDepth === null) {
    Error.captureStackTrace(holder, init);
  } else {
    const limit = Error.stackTraceLimit;
    // Node's own frames (async_hooks plumbing, the Timeout constructor: 3–5)
    // come first; leave room for them.
    Error.stackTraceLimit = stackDepth + 6;
    Error.captureStackTrace(holder, init);
    Error.stackTraceLimit = limit;
  }
  tracked.set(asyncId, { asyncId, type, ref: new WeakRef(resource), holder, createdAtMs: Date.now() });
  if (tracked.size >= pruneAt) prune();
}

/**
 * startResourceTracking records the creation stack of every timer, immediate and
 * handle (socket, server, child process, watcher…) created from now on, so dumps
 * group live resources by where they were made (see ResourceTrackingOptions for
 * the depth). Costs, measured: 10–15 µs per timer or handle created (stack capture
 * ~8 µs, WeakRef ~2 µs; a setTimeout costs ~0.8 µs without), and Node's promise
 * hook for every promise (a promise-heavy loop ran 1.6–3× slower) — opt-in, for
 * diagnosis, not always-on. Calling it again while tracking is harmless (the new
 * depth applies). Throws
 * RangeError/TypeError (code ERR_MEMSTATS_INVALID_OPTION) for bad options.
 */
export function startResourceTracking(options?: ResourceTrackingOptions): void {
  const o = optionsObject<ResourceTrackingOptions>('options', options, RESOURCE_TRACKING_OPTIONS_NAMES);
  stackDepth = o.stackDepth === undefined ? null : intOption('stackDepth', o.stackDepth, 10, 1, 100);
  if (hook) return;
  hook = createHook({ init });
  hook.enable();
}

/** stopResourceTracking stops recording creation stacks and forgets those recorded. Calling it when not tracking is harmless. */
export function stopResourceTracking(): void {
  if (hook) hook.disable();
  hook = null;
  tracked.clear();
  pruneAt = 1024;
}

/** True while startResourceTracking is in effect. */
export function isTrackingResources(): boolean {
  return hook !== null;
}

function callSites(holder: { stack?: unknown }): CallSiteLike[] {
  const saved = Error.prepareStackTrace;
  try {
    // V8 formats a captured stack lazily, on first read, through the current
    // prepareStackTrace: read it once as structured call sites.
    Error.prepareStackTrace = (_e, sites) => sites;
    const s = holder.stack;
    return Array.isArray(s) ? (s as CallSiteLike[]) : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = saved;
  }
}

/** The creation stack as plain frames (compiled positions), read once; the V8 call sites are then released. */
function rawFramesOf(r: Tracked): ResourceFrame[] {
  if (r.frames) return r.frames;
  const out: ResourceFrame[] = [];
  const sites = callSites(r.holder).filter((site) => {
    // Node's internals (async_hooks plumbing, Timeout constructor) say nothing
    // about who created the resource.
    const file = site.getFileName() ?? '';
    return !file.startsWith('node:internal/');
  });
  // Of the innermost run of Node's own frames (createServerHandle → … →
  // Server.listen), keep only the outermost: the API the application called.
  let first = 0;
  while (first + 1 < sites.length && (sites[first + 1].getFileName() ?? '').startsWith('node:')) first++;
  if (!(sites[first]?.getFileName() ?? '').startsWith('node:')) first = 0;
  for (const site of sites.slice(first)) {
    const file = site.getFileName() ?? site.getScriptNameOrSourceURL?.() ?? '';
    let name = site.getFunctionName() ?? '';
    if (!name) {
      const method = site.getMethodName();
      const type = site.getTypeName();
      name = method ? `${type ? `${type}.` : ''}${method}` : '(anonymous)';
    }
    if (site.isConstructor() && !name.startsWith('new ')) name = `new ${name}`;
    out.push({ name, file, line: site.getLineNumber() ?? 0, column: site.getColumnNumber() ?? 0 });
    if (stackDepth !== null && out.length >= stackDepth) break;
  }
  r.frames = out;
  // The call sites hold the functions and receivers of every frame: drop them.
  r.holder = {};
  return out;
}

function framesOf(r: Tracked, mapSources: boolean): ResourceFrame[] {
  return rawFramesOf(r).map((f) => {
    const m = mapSources && f.file ? mapLocation(f.file, f.line, f.column) : null;
    return m ? { name: f.name, file: m.file, line: m.line, column: m.column } : { ...f, file: displayPath(f.file) };
  });
}

interface Snapshot {
  total: number;
  groups: ResourceGroup[];
  live: Array<{ r: Tracked; name: string }>;
}

function snapshot(mapSources: boolean): Snapshot {
  const info = process.getActiveResourcesInfo();
  const activeCounts = new Map<string, number>();
  for (const name of info) activeCounts.set(name, (activeCounts.get(name) ?? 0) + 1);
  const groups = new Map<string, ResourceGroup>();
  const trackedCounts = new Map<string, number>();
  const live: Array<{ r: Tracked; name: string }> = [];
  if (tracked.size > 0) {
    prune();
    for (const r of tracked.values()) {
      if (liveness(r) !== 'live') continue;
      const name = activeName(r.type, activeCounts.keys());
      const frames = framesOf(r, mapSources);
      const key = `${name}\0${frames.map((f) => `${f.name}@${f.file}:${f.line}:${f.column}`).join('\0')}`;
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { type: name, count: 1, stack: frames });
      trackedCounts.set(name, (trackedCounts.get(name) ?? 0) + 1);
      live.push({ r, name });
    }
  }
  // What the tracker does not account for (created before tracking, requests,
  // or tracking off) is reported by type, without a stack.
  for (const [name, n] of activeCounts) {
    const rest = n - (trackedCounts.get(name) ?? 0);
    if (rest > 0) groups.set(`${name}\0?`, { type: name, count: rest, stack: null });
  }
  const list = [...groups.values()].sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
  const total = list.reduce((a, g) => a + g.count, 0);
  return { total, groups: list, live };
}

/**
 * listResources returns the live resources grouped by type and, for tracked ones,
 * creation stack; largest groups first. Synchronous and cheap without tracking
 * (one `process.getActiveResourcesInfo()`).
 */
export function listResources(options?: ResourceProfileOptions): ResourceGroup[] {
  const o = optionsObject<ResourceProfileOptions>('options', options, RESOURCE_PROFILE_OPTIONS_NAMES);
  return snapshot(booleanOption('mapSources', o.mapSources, true)).groups;
}

function frameText(f: ResourceFrame): string {
  return f.file ? `${f.file}:${f.line}:${f.column}` : '?';
}

/**
 * formatResources renders the live resources as text. `debug: 1` (default), like
 * Go's `goroutine?debug=1`: a total, then one entry per group — `N @ Type` and its
 * creation stack as `#\tfunction\tfile:line:col` lines. `debug: 2`, like
 * `debug=2`: every tracked resource on its own with id, age and stack, then the
 * untracked counts. Throws RangeError/TypeError (code ERR_MEMSTATS_INVALID_OPTION)
 * for bad options.
 */
export function formatResources(options?: FormatResourcesOptions): string {
  const o = optionsObject<FormatResourcesOptions>('options', options, FORMAT_RESOURCES_OPTIONS_NAMES);
  if (o.debug !== undefined && o.debug !== 1 && o.debug !== 2) throw invalidOption(typeof o.debug === 'number' ? 'range' : 'type', 'debug', o.debug, '1 or 2');
  const debug = o.debug ?? 1;
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  const snap = snapshot(mapSources);
  const lines: string[] = [];
  const untracked = snap.groups.filter((g) => g.stack === null);
  if (debug === 1) {
    lines.push(`resources profile: total ${snap.total}`);
    for (const g of snap.groups) {
      if (g.stack === null) {
        lines.push(`${g.count} @ ${g.type}`, `#\t(creation stack not tracked${hook ? '' : '; call startResourceTracking()'})`, '');
        continue;
      }
      lines.push(`${g.count} @ ${g.type}`);
      for (const f of g.stack) lines.push(`#\t${f.name}\t${frameText(f)}`);
      lines.push('');
    }
  } else {
    const now = Date.now();
    for (const { r, name } of snap.live.sort((a, b) => a.r.asyncId - b.r.asyncId)) {
      lines.push(`${name} ${r.asyncId} [${((now - r.createdAtMs) / 1000).toFixed(1)} s]:`);
      for (const f of framesOf(r, mapSources)) lines.push(`${f.name}()`, `\t${frameText(f)}`);
      lines.push('');
    }
    for (const g of untracked) lines.push(`${g.type}: ${g.count} (creation stack not tracked)`);
    if (untracked.length > 0) lines.push('');
  }
  return lines.join('\n');
}

/**
 * resourcesProfileBuilder starts a resources profile (sample type resources/count,
 * period 1, taken now), in-process or of an attached process. Frames are mapped
 * already (or deliberately not): the builder does not map them again.
 */
export function resourcesProfileBuilder(comments?: string[]): ProfileBuilder {
  return new ProfileBuilder({
    sampleTypes: [['resources', 'count']],
    periodType: ['resources', 'count'],
    period: 1,
    timeNanos: BigInt(Date.now()) * 1_000_000n,
    mapSources: false,
    comments,
  });
}

/**
 * profileResources returns the live resources as a pprof profile (sample type
 * resources/count): each group's stack is its type as the leaf frame, then its
 * creation stack; untracked resources have only the type frame. Read it with
 * `go tool pprof -top` or `-traces`.
 */
export async function profileResources(options?: ResourceProfileOptions): Promise<Profile> {
  const o = optionsObject<ResourceProfileOptions>('options', options, RESOURCE_PROFILE_OPTIONS_NAMES);
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  const snap = snapshot(mapSources);
  const b = resourcesProfileBuilder();
  for (const g of snap.groups) {
    const stack = [b.syntheticLocation(g.type)];
    for (const f of g.stack ?? []) {
      const raw: RawFrame = { name: f.name, url: f.file, line: f.line, column: f.column };
      stack.push(f.file ? b.location(raw) : b.syntheticLocation(f.name));
    }
    b.addSample(stack, [g.count]);
  }
  return b.build();
}
