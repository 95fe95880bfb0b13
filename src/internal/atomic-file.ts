/**
 * @module internal/atomic-file
 * Every file memstats writes (profiles, snapshots, HTML pages) is written to a
 * temporary name in the same directory and renamed into place, so a failed or
 * interrupted write never leaves a partial file under the final name (rename is
 * atomic within one filesystem).
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { abortError } from './abort.js';
import { ERR_INVALID_OPTION, describeValue, type CodedError } from './validate.js';

/** The temporary name used while `path` is being written: hidden, same directory, unique. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * The error for a path memstats cannot write: code ERR_MEMSTATS_INVALID_OPTION,
 * a message naming the option, the path and the system error, and that error as `cause`.
 */
export function unwritableError(name: string, path: string, cause: unknown): CodedError {
  const sys = cause as NodeJS.ErrnoException;
  const why = sys && typeof sys.code === 'string' ? `${sys.code}: ${sys.message.replace(/^[A-Z]+: /, '')}` : String(cause);
  const err = new Error(`memstats: option "${name}" must be a writable file path; received ${describeValue(path)} (${why})`, { cause }) as CodedError;
  err.code = ERR_INVALID_OPTION;
  return err;
}

/**
 * reserveTemp creates the (empty) temporary file for `path` right away, so an
 * unwritable directory is reported before a long capture starts. Returns the
 * absolute final path (a symlink's target) and the temporary path. `mode`:
 * the new file's permissions before the umask (0o600 for heap snapshots,
 * which hold the program's data).
 */
export async function reserveTemp(path: string, optionName = 'path', mode = 0o666): Promise<{ final: string; temp: string }> {
  let final = resolve(path);
  try {
    // A symlink is written through (its target replaced, the link kept); a directory, a FIFO or a
    // device cannot take a renamed file's place: refused now, not after the capture.
    let st = await lstat(final).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st?.isSymbolicLink()) {
      final = await realpath(final).catch(() => final);
      st = await lstat(final).catch(() => undefined);
    }
    if (st?.isDirectory()) throw Object.assign(new Error(`${final} is a directory`), { code: 'EISDIR' });
    if (st && !st.isFile()) throw Object.assign(new Error(`${final} is not a regular file (a FIFO, socket or device)`), { code: 'ENOTREG' });
    const temp = tempPathFor(final);
    const fh = await open(temp, 'wx', mode);
    await fh.close();
    return { final, temp };
  } catch (err) {
    throw unwritableError(optionName, path, err);
  }
}

/** Removes a temporary file, ignoring "already gone". */
export async function discard(temp: string): Promise<void> {
  await unlink(temp).catch(() => undefined);
}

/** Renames `temp` to `final`; on failure removes `temp` and throws the unwritable-path error. */
export async function commit(temp: string, final: string, optionName = 'path', signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) {
    await discard(temp);
    throw abortError(signal);
  }
  try {
    // On the disk before it takes the real name: after a crash or power loss the name holds the whole
    // file or the old one, never an empty or partial file.
    const fh = await open(temp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, final);
  } catch (err) {
    await discard(temp);
    throw unwritableError(optionName, final, err);
  }
}

/**
 * writeFileAtomic writes `data` (a string is written as UTF-8) to a temporary
 * file next to `path` and renames it to `path`. Resolves with the absolute path
 * and the byte count. Rejects with the unwritable-path error (code
 * ERR_MEMSTATS_INVALID_OPTION, the system error as `cause`) or, when `signal`
 * aborts before the rename, an AbortError; either way no file is left behind.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { signal?: AbortSignal; optionName?: string } = {},
): Promise<{ path: string; bytes: number }> {
  const name = opts.optionName ?? 'path';
  const { final, temp } = await reserveTemp(path, name);
  try {
    const fh = await open(temp, 'w');
    try {
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
  } catch (err) {
    await discard(temp);
    throw unwritableError(name, path, err);
  }
  await commit(temp, final, name, opts.signal);
  return { path: final, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength };
}
