/**
 * @module profile/pprof
 * The one pprof encoder. Every profile memstats makes (CPU, heap, block,
 * resources) is built here into a pprof-format `Profile`: deduplicated strings,
 * functions and locations, aggregated samples, sample types with units, period
 * and duration. Compiled JavaScript frames are mapped back to their `.ts` source
 * through source maps (internal/source-map); V8's synthetic frames
 * (`(program)`, `(idle)`, `(garbage collector)`) stay as named frames without a file.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  Function as PprofFunction,
  Label,
  Line,
  Location,
  Mapping,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { mapLocation, type MappedLocation } from '../internal/source-map.js';
import { invalidOption } from '../internal/validate.js';
import { writeFileAtomic } from '../internal/atomic-file.js';
import { pathOption, signalOption } from './options.js';
import type { V8CallFrame } from './v8-types.js';

export { Profile };

const gzip = promisify(gzipCb);

/** One frame as V8 reports it: function name, script (path, `file:` URL, `node:` name or ''), 1-based line and column of the function's start (0 = unknown). */
export interface RawFrame {
  name: string;
  url: string;
  line: number;
  column: number;
}

/** A label attached to a sample: a string or a number (with an optional unit). */
export interface SampleLabel {
  key: string;
  str?: string;
  num?: number;
  unit?: string;
}

/** How to build one profile: its sample types (pprof `type/unit` pairs), period and time span. */
export interface ProfileBuilderOptions {
  sampleTypes: Array<[type: string, unit: string]>;
  periodType?: [type: string, unit: string];
  period?: number;
  /** The sample type `go tool pprof` shows by default (default: the last one). */
  defaultSampleType?: string;
  /** Wall-clock start of the profile, ns since the epoch. */
  timeNanos?: number | bigint;
  /** Length of the profile, ns. */
  durationNanos?: number | bigint;
  /** Map compiled frames to their original source (default true). */
  mapSources?: boolean;
  comments?: string[];
}

/** Renders a V8 script name as a file name: `file:` URLs become paths, anything else stays as written. */
export function displayPath(url: string): string {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      return url;
    }
  }
  return url;
}

/** Converts an inspector call frame (0-based, -1 when unknown) to a RawFrame (1-based, 0 when unknown). */
export function frameOf(cf: V8CallFrame): RawFrame {
  return {
    name: cf.functionName || '(anonymous)',
    url: cf.url || '',
    line: cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0,
    column: cf.columnNumber >= 0 ? cf.columnNumber + 1 : 0,
  };
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder), so the parts sum to `total`. */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0 && k < order.length; k++, left--) parts[order[k][1]]++;
  return parts;
}

/** Builds one pprof Profile; see ProfileBuilderOptions. Internal to memstats. */
export class ProfileBuilder {
  readonly #st = new StringTable();
  readonly #opts: ProfileBuilderOptions;
  readonly #mapSources: boolean;
  readonly #functions: PprofFunction[] = [];
  readonly #fnIds = new Map<string, number>();
  readonly #locations: Location[] = [];
  readonly #locIds = new Map<string, number>();
  readonly #samples = new Map<string, Sample>();
  readonly #mapped = new Map<string, MappedLocation | null>();

  constructor(opts: ProfileBuilderOptions) {
    this.#opts = opts;
    this.#mapSources = opts.mapSources !== false;
  }

  #map(url: string, line: number, column: number): MappedLocation | null {
    if (!this.#mapSources || !url || line < 1) return null;
    const key = `${url}\0${line}\0${column}`;
    let m = this.#mapped.get(key);
    if (m === undefined) {
      m = mapLocation(url, line, column);
      this.#mapped.set(key, m);
    }
    return m;
  }

  #functionId(name: string, file: string, startLine: number): number {
    const key = `${name}\0${file}\0${startLine}`;
    let id = this.#fnIds.get(key);
    if (id === undefined) {
      id = this.#functions.length + 1;
      const n = this.#st.dedup(name);
      this.#functions.push(new PprofFunction({ id, name: n, systemName: n, filename: this.#st.dedup(file), startLine }));
      this.#fnIds.set(key, id);
    }
    return id;
  }

  #locationId(functionId: number, line: number, column: number): number {
    // One location per line of a function (the column of the first position seen): a line reached as a
    // leaf (line ticks, no column) and as a caller (with its column) is one line for pprof.
    const key = `${functionId}:${line}`;
    let id = this.#locIds.get(key);
    if (id === undefined) {
      id = this.#locations.length + 1;
      this.#locations.push(new Location({ id, mappingId: 1, line: [new Line({ functionId, line, column })] }));
      this.#locIds.set(key, id);
    }
    return id;
  }

  /**
   * location returns the id of the location for `frame`, at `line`/`column` inside
   * it (1-based, in the compiled script; default: the function's start). Both the
   * function start and the position are source-mapped when a map exists.
   */
  location(frame: RawFrame, line = frame.line, column = line === frame.line ? frame.column : 0): number {
    const name = frame.name || '(anonymous)';
    if (!frame.url) {
      return this.#locationId(this.#functionId(name, '', 0), Math.max(0, line), 0);
    }
    let fnMapped = this.#map(frame.url, frame.line, frame.column);
    if (!fnMapped && frame.line <= 1 && frame.column <= 1) {
      // A module's top-level code has no position (V8 says -1) or starts at 1:1,
      // usually a comment with no mapping: the first mapped line names the file.
      for (let l = frame.line + 1; l <= 200 && !fnMapped; l++) fnMapped = this.#map(frame.url, l, 1);
    }
    if (fnMapped) {
      const fnId = this.#functionId(name, fnMapped.file, fnMapped.line);
      const pos = line === frame.line && column === frame.column ? fnMapped : this.#map(frame.url, line, column);
      // A position the map does not cover keeps the function's (mapped) start line:
      // a compiled line number next to a .ts file name would point at the wrong line.
      if (pos && pos.file === fnMapped.file) return this.#locationId(fnId, pos.line, pos.column);
      return this.#locationId(fnId, fnMapped.line, fnMapped.column);
    }
    const fnId = this.#functionId(name, displayPath(frame.url), Math.max(0, frame.line));
    return this.#locationId(fnId, Math.max(0, line), Math.max(0, column));
  }

  /** syntheticLocation returns a location for a frame with no source, e.g. `(idle)` or a resource type. */
  syntheticLocation(name: string, file = ''): number {
    return this.#locationId(this.#functionId(name, file, 0), 0, 0);
  }

  /** addSample adds `values` (one per sample type) for the stack `locationIds` (leaf first); equal stacks and labels are summed. */
  addSample(locationIds: number[], values: number[], labels?: SampleLabel[]): void {
    const labelKey = labels && labels.length ? JSON.stringify(labels) : '';
    const key = `${locationIds.join(',')}|${labelKey}`;
    const ints = values.map((v) => (Number.isFinite(v) ? Math.round(v) : 0));
    const existing = this.#samples.get(key);
    if (existing) {
      for (let i = 0; i < ints.length; i++) existing.value[i] = Number(existing.value[i]) + ints[i];
      return;
    }
    this.#samples.set(
      key,
      new Sample({
        locationId: locationIds,
        value: ints,
        label: (labels ?? []).map(
          (l) =>
            new Label({
              key: this.#st.dedup(l.key),
              str: l.str === undefined ? 0 : this.#st.dedup(l.str),
              num: l.num ?? 0,
              numUnit: l.unit ? this.#st.dedup(l.unit) : 0,
            }),
        ),
      }),
    );
  }

  /** The number of distinct samples so far. */
  get sampleCount(): number {
    return this.#samples.size;
  }

  /** build returns the finished Profile. */
  build(): Profile {
    const st = this.#st;
    const o = this.#opts;
    const sampleType = o.sampleTypes.map(([t, u]) => new ValueType({ type: st.dedup(t), unit: st.dedup(u) }));
    const periodType = o.periodType ? new ValueType({ type: st.dedup(o.periodType[0]), unit: st.dedup(o.periodType[1]) }) : undefined;
    // One mapping for the whole process, with functions, files and lines
    // already resolved: go tool pprof then never tries to symbolize.
    const mapping = new Mapping({
      id: 1,
      filename: st.dedup('node'),
      hasFunctions: true,
      hasFilenames: true,
      hasLineNumbers: true,
      hasInlineFrames: false,
    });
    const comment = (o.comments ?? []).map((c) => st.dedup(c));
    return new Profile({
      sampleType,
      sample: [...this.#samples.values()],
      mapping: [mapping],
      location: this.#locations,
      function: this.#functions,
      stringTable: st,
      timeNanos: o.timeNanos ?? 0,
      durationNanos: o.durationNanos ?? 0,
      periodType,
      period: o.period ?? 0,
      comment,
      defaultSampleType: o.defaultSampleType ? st.dedup(o.defaultSampleType) : 0,
    });
  }
}

function profileArg(value: unknown): Profile {
  if (!(value instanceof Profile)) throw invalidOption('type', 'profile', value, 'a Profile (from pprof-format, as memstats returns)');
  return value;
}

/**
 * encodeProfile serializes `profile` to the gzip-compressed protobuf that
 * `go tool pprof` reads (a `.pb.gz` file). Encoding yields to the event loop
 * between chunks; compression runs on the libuv thread pool. Throws a TypeError
 * (code ERR_MEMSTATS_INVALID_OPTION) when `profile` is not a Profile.
 */
export async function encodeProfile(profile: Profile): Promise<Buffer> {
  const p = profileArg(profile);
  const raw = await p.encodeAsync();
  return gzip(raw);
}

/** Options of writeProfile. */
export interface WriteProfileOptions {
  /** Aborts the write; an aborted write leaves no file and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** What writeProfile wrote. */
export interface WrittenFile {
  /** Absolute path of the file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
}

/**
 * writeProfile writes `profile` gzip-compressed (`.pb.gz` format, whatever the
 * name) to `path`: first to a temporary file in the same directory, then renamed,
 * so the final name never holds a partial profile. Rejects with a coded error
 * naming `path` (code ERR_MEMSTATS_INVALID_OPTION) when the path is not writable.
 * Writing the same path twice replaces the file.
 */
export async function writeProfile(profile: Profile, path: string, options?: WriteProfileOptions): Promise<WrittenFile> {
  const p = profileArg(profile);
  const file = pathOption(path);
  const signal = signalOption(options?.signal);
  const data = await encodeProfile(p);
  return writeFileAtomic(file, data, { signal });
}
