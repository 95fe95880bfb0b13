/**
 * @module runtime/stack
 * Go's runtime.Caller / Callers / Stack on V8 CallSites. CallSites are never
 * source-mapped (not even under --enable-source-maps), so every frame is mapped
 * back to its `.ts` source through src/internal/source-map (~0.06 µs a frame
 * once the map is cached).
 */
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { mapLocation } from '../internal/source-map.js';
import { numberOption } from '../internal/validate.js';

/** One stack frame. Lines and columns are 1-based. */
export interface Frame {
  /** Function name as V8 knows it (`Class.method`, `fn`, `<anonymous>`). */
  function: string;
  /** Source file path (the `.ts` file when a source map exists), or `node:…` / the script URL. */
  file: string;
  line: number;
  column: number;
  /** True when file/line/column come from a source map. */
  mapped: boolean;
}

interface CallSiteLike {
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getTypeName(): string | null;
  getFileName(): string | undefined | null;
  getScriptNameOrSourceURL?(): string | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isNative(): boolean;
  isToplevel(): boolean;
  isConstructor(): boolean;
  isAsync?(): boolean;
}

function callSites(skipFn: Function, max: number): CallSiteLike[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = max;
    Error.prepareStackTrace = (_e, cs) => cs;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, skipFn);
    return (holder.stack as CallSiteLike[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

function functionName(cs: CallSiteLike): string {
  const fn = cs.getFunctionName();
  const type = cs.isToplevel() ? null : cs.getTypeName();
  const method = cs.getMethodName();
  let name = fn ?? (method ? method : '<anonymous>');
  if (type && type !== 'Object' && !name.startsWith(type + '.') && !cs.isConstructor()) name = `${type}.${name}`;
  if (cs.isConstructor()) name = `new ${name}`;
  if (cs.isAsync?.()) name = `async ${name}`;
  return name;
}

function toFrame(cs: CallSiteLike): Frame {
  const raw = cs.getFileName() ?? cs.getScriptNameOrSourceURL?.() ?? '';
  const line = cs.getLineNumber() ?? 0;
  const column = cs.getColumnNumber() ?? 0;
  const name = functionName(cs);
  if (raw && line > 0) {
    const m = mapLocation(raw, line, column);
    if (m) return { function: m.name && name === '<anonymous>' ? m.name : name, file: m.file, line: m.line, column: m.column, mapped: true };
  }
  let file = raw || (cs.isNative() ? 'native' : '<unknown>');
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      // keep the URL
    }
  }
  return { function: name, file, line, column, mapped: false };
}

/**
 * caller returns the frame `skip` levels above the function calling it, like Go's
 * runtime.Caller: `caller(0)` is the line that called caller(), `caller(1)` the
 * line that called that function. Returns undefined when the stack is not that
 * deep. skip: integer 0…1000 (default 0).
 */
export function caller(skip = 0): Frame | undefined {
  const s = numberOption('skip', skip, 0, { integer: true, min: 0, max: 1000 });
  const cs = callSites(caller, s + 1);
  return cs.length > s ? toFrame(cs[s]) : undefined;
}

/**
 * callers returns up to `max` frames starting `skip` levels above the function
 * calling it (`callers(0)` starts at the caller's own frame). Unlike Go's
 * runtime.Callers there are no program counters: frames come resolved, with
 * `.ts` positions where source maps exist. skip 0…1000 (default 0), max 1…1000 (default 64).
 */
export function callers(skip = 0, max = 64): Frame[] {
  const s = numberOption('skip', skip, 0, { integer: true, min: 0, max: 1000 });
  const m = numberOption('max', max, 64, { integer: true, min: 1, max: 1000 });
  return callSites(callers, s + m).slice(s).map(toFrame);
}

/**
 * stack returns the current stack as text in Go's runtime.Stack layout: a
 * header line, then per frame the function and, indented by a tab,
 * `file:line:column`. Node has one JavaScript stack per thread, so there is no
 * `all` form (profileResources() lists what else is alive).
 */
export function stack(max = 64): string {
  const m = numberOption('max', max, 64, { integer: true, min: 1, max: 1000 });
  const frames = callSites(stack, m).map(toFrame);
  return formatFrames(frames, `thread ${threadId} [running]:`);
}

/** formatFrames renders frames in Go's stack layout under `header`. */
export function formatFrames(frames: Frame[], header: string): string {
  const lines = [header];
  for (const f of frames) {
    lines.push(`${f.function}()`);
    lines.push(`\t${f.file}:${f.line}:${f.column}`);
  }
  return lines.join('\n') + '\n';
}
