/**
 * @module cli/target-output
 * Where `profile` and `snapshot` write: a file reserved under a temporary
 * name in its final directory before the capture starts (an unwritable path
 * fails at once, not after 30 s), filled, then renamed — a failed or
 * interrupted capture leaves no file, not even half of one. And writeOutput,
 * for a page made whole in memory (report, demo recycle).
 */
import { open } from 'node:fs/promises';
import { existsSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandError } from './command.js';
import { commit, discard, reserveTemp, writeFileAtomic } from '../internal/atomic-file.js';
import { describeError } from './target.js';

/** A reserved output: write to `temp`, then `commit()` or `discard()`. */
export interface ReservedOutput {
  /** Absolute final path. */
  final: string;
  /** Temporary file next to it (exists, empty). */
  temp: string;
  /** Writes `data` into the temporary file. */
  write(data: Uint8Array): Promise<void>;
  /** Renames the temporary file to the final path. */
  commit(): Promise<void>;
  /** Removes the temporary file. Calling it after commit is harmless. */
  discard(): Promise<void>;
}

/**
 * Temporary files reserved and not yet committed or discarded: a second Ctrl-C
 * leaves at once (process.exit), and removes these synchronously first.
 */
export const pendingTemps = new Set<string>();

/** removePendingTemps removes every temporary output still pending (synchronously: called right before exit). */
export function removePendingTemps(): void {
  for (const t of pendingTemps) {
    try {
      unlinkSync(t);
    } catch {
      // gone already
    }
  }
  pendingTemps.clear();
}

/** reserveOutput reserves `path` (created with `mode` before the umask); a CommandError names the path and the reason when it is not writable. */
export async function reserveOutput(path: string, mode = 0o666): Promise<ReservedOutput> {
  let r: { final: string; temp: string };
  try {
    r = await reserveTemp(path, 'output', mode);
  } catch (err) {
    const cause = (err as Error & { cause?: NodeJS.ErrnoException }).cause;
    const why = cause?.code === 'EISDIR' || cause?.code === 'ENOTREG' ? cause.message : (cause?.code ?? describeError(err));
    throw new CommandError(`cannot write ${path}: ${why}`);
  }
  let committed = false;
  pendingTemps.add(r.temp);
  return {
    final: r.final,
    temp: r.temp,
    async write(data) {
      const fh = await open(r.temp, 'w');
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
    },
    async commit() {
      try {
        await commit(r.temp, r.final, 'output');
      } catch (err) {
        throw new CommandError(`cannot write ${path}: ${describeError(err)}`);
      } finally {
        pendingTemps.delete(r.temp); // renamed, or removed by commit on failure
      }
      committed = true;
    },
    async discard() {
      pendingTemps.delete(r.temp);
      if (!committed) await discard(r.temp);
    },
  };
}

/**
 * writeOutput writes `data` to `path` through a temporary file in the same
 * directory and a rename: no reader ever sees half a page, and a failure leaves
 * no file. A CommandError names the path and the system's reason.
 */
export async function writeOutput(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (err) {
    const cause = (err as Error & { cause?: unknown }).cause;
    throw new CommandError(`cannot write ${path}: ${describeError(cause ?? err)}`);
  }
}

/** nextFreeName returns `stem-N.ext` in the current directory with the smallest N ≥ 1 that does not exist. */
export function nextFreeName(stem: string, ext: string): string {
  for (let n = 1; ; n++) {
    const p = `${stem}-${n}${ext}`;
    if (!existsSync(resolve(p))) return p;
  }
}
