/**
 * @module export/recorder
 * `startRecording(path)`: one Sample per tick appended to a file as
 * newline-delimited JSON — each line is exactly one `Sample` (see
 * sampler/sample.ts), nothing else — for `memstats report` and any tool that
 * reads ndjson. Writes are synchronous appends of one line (~10 µs per second
 * at the default interval): nothing is buffered, so a crash loses nothing
 * already sampled, and no pending write keeps the process alive.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { getSampler } from '../sampler/sampler.js';
import type { Sample } from '../sampler/sample.js';
import { invalidOption, numberOption, optionsObject, optionNames } from '../internal/validate.js';
const RECORDING_OPTIONS_NAMES = optionNames<RecordingOptions>({ intervalMs: true });

/** Options of startRecording. */
export interface RecordingOptions {
  /** Time between samples, ms (integer 10…3,600,000; default 1000). Shares the sampler of that interval. */
  intervalMs?: number;
}

/** A running recording. */
export interface Recording {
  /** Absolute path of the file written. */
  readonly path: string;
  /** Samples written so far. */
  readonly samples: number;
  /** stop ends the recording and closes the file. Calling it twice is harmless. */
  stop(): void;
}

/**
 * startRecording appends one Sample per interval (default 1000 ms) to `path` as
 * a line of JSON, creating the file if needed (`%p` in the path is replaced by
 * the process id, so processes sharing a configuration write apart). Throws the
 * file system's error (ENOENT, EACCES, …) if the file cannot be opened, and
 * TypeError/RangeError (ERR_MEMSTATS_INVALID_OPTION) for bad arguments. If a
 * write later fails (disk full), the recording stops with one warning; the
 * host is never affected. The sampler timer is unref'd.
 */
export function startRecording(path: string, options?: RecordingOptions): Recording {
  if (typeof path !== 'string' || path.length === 0) throw invalidOption('type', 'path', path, 'a non-empty string');
  const o = optionsObject<RecordingOptions>('options', options, RECORDING_OPTIONS_NAMES);
  const intervalMs = numberOption('intervalMs', o.intervalMs, 1000, { integer: true, min: 10, max: 3_600_000 });
  const file = resolve(path.replaceAll('%p', String(process.pid)));
  let fd: number | undefined = openSync(file, 'a');
  let samples = 0;
  let unsubscribe: (() => void) | undefined;

  const stop = () => {
    unsubscribe?.();
    unsubscribe = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      fd = undefined;
    }
    process.off('exit', stop);
  };

  unsubscribe = getSampler(intervalMs).subscribe((s: Sample) => {
    if (fd === undefined) return;
    try {
      writeSync(fd, JSON.stringify(s) + '\n');
      samples++;
    } catch (err) {
      stop();
      process.emitWarning(`memstats: recording to ${file} stopped: ${(err as Error).message}`, 'MemstatsWarning');
    }
  });
  process.on('exit', stop);

  return {
    path: file,
    get samples() {
      return samples;
    },
    stop,
  };
}
