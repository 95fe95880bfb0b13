/**
 * @module attach/errors
 * The errors of reaching another process: each has a `code` and a one-line
 * message a person can act on (the CLI prints it as is, after its own prefix).
 */

/** Codes of AttachError. */
export type AttachErrorCode =
  /** No process with that pid. */
  | 'ERR_MEMSTATS_NO_SUCH_PROCESS'
  /** The process belongs to another user (or /proc refuses to tell). */
  | 'ERR_MEMSTATS_PERMISSION_DENIED'
  /** The process is not Node.js. */
  | 'ERR_MEMSTATS_NOT_NODE'
  /** The inspector could not be opened or reached. */
  | 'ERR_MEMSTATS_INSPECTOR'
  /** The target went away (exited, closed its inspector, or its agent is gone) during the command. */
  | 'ERR_MEMSTATS_TARGET_GONE'
  /** A debug-server URL answered something else than memstats' endpoints, or an error status. */
  | 'ERR_MEMSTATS_TARGET_HTTP'
  /** The target refused because the operation is already running there. */
  | 'ERR_MEMSTATS_PROFILE_IN_USE';

/** An error reaching or using a target process; `message` is one line without a `memstats:` prefix. */
export class AttachError extends Error {
  override name = 'AttachError';
  constructor(
    readonly code: AttachErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** isAttachError tells whether `err` is an AttachError (optionally of `code`). */
export function isAttachError(err: unknown, code?: AttachErrorCode): err is AttachError {
  return err instanceof AttachError && (code === undefined || err.code === code);
}
