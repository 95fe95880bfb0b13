/**
 * @module profile/errors
 * Error codes and helpers shared by every profile: "already in use", "not enough
 * memory", "no inspector", and the AbortError a cancelled capture rejects with.
 */
import { abortError } from '../internal/abort.js';
import { stateError, type CodedError } from '../internal/validate.js';

/** Code of the error thrown when a profile of the same kind is already running (the HTTP server answers 409). */
export const ERR_PROFILE_IN_USE = 'ERR_MEMSTATS_PROFILE_IN_USE';
/** Code of the error thrown when a heap snapshot would need more memory than is available. */
export const ERR_INSUFFICIENT_MEMORY = 'ERR_MEMSTATS_INSUFFICIENT_MEMORY';
/** Code of the error thrown when this Node.js has no usable `node:inspector`. */
export const ERR_INSPECTOR_UNAVAILABLE = 'ERR_MEMSTATS_INSPECTOR_UNAVAILABLE';

/** An "already in use" error, e.g. `inUseError('cpu profiling already in use')`. */
export function inUseError(message: string): CodedError {
  return stateError(ERR_PROFILE_IN_USE, `memstats: ${message}`);
}

export { abortError };

/** Throws the AbortError when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts.
 * The timer is ref'd by default: someone awaits this capture, and a script doing
 * `await profileCpu({ seconds: 5 })` with nothing else to do must not exit before
 * the profile arrives. The wait is bounded (≤ 3600 s) and abortable. With
 * `keepAlive` false the timer is unref'd (the agent's server: a program that
 * finishes ends even while someone is profiling it).
 */
export function sleep(ms: number, signal?: AbortSignal, keepAlive = true): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (!keepAlive) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * runCapture lets a started capture run for `ms`, then resolves with what its
 * `stop()` resolves with. When `signal` aborts first, the capture is stopped,
 * its result discarded, and the promise rejects with the AbortError. The wait
 * keeps the process alive unless `keepAlive` is false (see sleep).
 */
export async function runCapture<T>(handle: { stop(): Promise<T> }, ms: number, signal?: AbortSignal, keepAlive = true): Promise<T> {
  try {
    await sleep(ms, signal, keepAlive);
  } catch (err) {
    await handle.stop().catch(() => undefined);
    throw err;
  }
  return handle.stop();
}
