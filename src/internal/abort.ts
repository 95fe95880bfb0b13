/**
 * @module internal/abort
 * The AbortError every cancelled memstats operation (a capture, a file being
 * written) rejects with.
 */

/**
 * The error an aborted capture rejects with: `name` is 'AbortError' and `code`
 * 'ABORT_ERR', like Node's own; `cause` is the signal's reason.
 */
export function abortError(signal?: AbortSignal): Error & { code: string } {
  const err = new Error('memstats: the capture was aborted', { cause: signal?.reason }) as Error & { code: string };
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}
