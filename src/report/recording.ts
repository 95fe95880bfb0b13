/**
 * @module report/recording
 * `readRecording(path)`: the samples of a recording — newline-delimited JSON,
 * one Sample per line, as `MEMSTATS_RECORD=path`, `memstats run --record` and
 * `startRecording()` write. Streams the file line by line. A last line cut
 * short (the process died mid-write) is skipped and reported; any other bad
 * line is an error naming the file and the line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Sample } from '../sampler/sample.js';

/** A recording that cannot be read; the message names the file and the line. */
export class RecordingError extends Error {
  override name = 'RecordingError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** What readRecording returns. */
export interface RecordingContents {
  samples: Sample[];
  /** The last line was incomplete and left out (1-based line number), or 0. */
  truncatedLine: number;
}

/** Fields every recorded sample must carry as finite numbers. */
const REQUIRED = ['timeMs', 'windowMs', 'rssBytes', 'heapUsedBytes', 'heapTotalBytes'] as const;

const NUMBER_FIELDS = [
  'uptimeMs', 'heapPhysicalBytes', 'heapInuseBytes', 'heapLimitBytes', 'externalBytes', 'codeBytes', 'mallocedBytes', 'nativeContexts', 'detachedContexts',
  'numGC', 'numMinorGC', 'numMajorGC', 'numIncrementalMarking', 'numWeakCallbacks', 'numForcedGC', 'gcPauseTotalNs', 'gcCount', 'gcPauseNs', 'gcPauseMaxNs',
  'gcCpuFraction', 'gcCpuFractionTotal', 'totalAllocBytes', 'allocRateBytesPerSec', 'loopDelayP50Ns', 'loopDelayP99Ns', 'loopDelayMaxNs', 'loopDelayMeanNs',
  'loopUtilization', 'cpuUserUs', 'cpuSystemUs', 'cpuUserFraction', 'cpuSystemFraction', 'resourcesTotal',
] as const;

/**
 * toSample checks one parsed line and fills what an older or partial writer
 * left out (numbers → NaN, drawn as gaps; maps → empty), so every consumer
 * can rely on the Sample shape. Returns the reason when it is not a sample.
 */
export function toSample(value: unknown): Sample | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  for (const k of REQUIRED) if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) return `no number "${k}": not a memstats Sample`;
  const s = { ...v } as Record<string, unknown>;
  for (const k of NUMBER_FIELDS) if (typeof s[k] !== 'number') s[k] = NaN;
  for (const k of ['spaceUsedBytes', 'spaceSizeBytes', 'resources'] as const) if (typeof s[k] !== 'object' || s[k] === null || Array.isArray(s[k])) s[k] = {};
  if (!Array.isArray(s.gcPauses)) s.gcPauses = [];
  else s.gcPauses = (s.gcPauses as unknown[]).filter((g): g is [number, number, string] => Array.isArray(g) && typeof g[0] === 'number' && typeof g[1] === 'number' && (g[2] === 'minor' || g[2] === 'major'));
  if (s.sources !== undefined && (typeof s.sources !== 'object' || s.sources === null)) delete s.sources;
  return s as unknown as Sample;
}

/**
 * readRecording reads every sample of the ndjson file at `path`, in file
 * order. Blank lines are skipped. Rejects with the file system's error when
 * the file cannot be read, and with a RecordingError naming the line when a
 * line other than the last is not a Sample.
 */
export async function readRecording(path: string): Promise<RecordingContents> {
  const samples: Sample[] = [];
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  // A bad line is an error only if another line follows it: the last may be a write cut short.
  let pending: { line: number; reason: string } | undefined;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      if (pending) throw new RecordingError(`${path}: line ${pending.line}: ${pending.reason}`, path, pending.line);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        pending = { line: lineNo, reason: `not JSON (${(err as Error).message})` };
        continue;
      }
      const s = toSample(parsed);
      if (typeof s === 'string') throw new RecordingError(`${path}: line ${lineNo}: ${s}`, path, lineNo);
      samples.push(s);
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return { samples, truncatedLine: pending ? pending.line : 0 };
}
