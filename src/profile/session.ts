/**
 * @module profile/session
 * A small promise wrapper around an in-process `node:inspector` Session, shared by
 * every profile. Each capture opens its own session and closes it when done: two
 * in-process sessions coexist (REFERENCE.md), so a CPU profile, a block profile
 * and heap sampling never step on each other's protocol state. Sessions work
 * under `node --inspect` too (only `inspector.open()` throws there).
 *
 * In-process sessions dispatch synchronously: a `post` issued in one tick is
 * handled before the next line runs. Callers rely on that to issue short
 * sequences (enable → setSamplingInterval → start) without anything else
 * interleaving.
 */
import * as inspector from 'node:inspector';
import { stateError, type CodedError } from '../internal/validate.js';
import { ERR_INSPECTOR_UNAVAILABLE } from './errors.js';

type Listener = (message: { method: string; params: any }) => void;

/** An open in-process inspector session. */
export class InspectorSession {
  readonly #session: inspector.Session;
  #closed = false;

  private constructor(session: inspector.Session) {
    this.#session = session;
  }

  /**
   * open connects a new in-process session. Throws an Error with code
   * ERR_MEMSTATS_INSPECTOR_UNAVAILABLE when this Node.js has no inspector
   * (built `--without-inspector`) or refuses the connection.
   */
  static open(): InspectorSession {
    let session: inspector.Session;
    try {
      session = new inspector.Session();
      session.connect();
    } catch (err) {
      const e = stateError(ERR_INSPECTOR_UNAVAILABLE, `memstats: node:inspector is not available in this process (${(err as Error).message})`);
      (e as Error).cause = err;
      throw e;
    }
    return new InspectorSession(session);
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** post sends one protocol command and resolves with its result (rejects with the protocol error). */
  post<T = unknown>(method: string, params?: object): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed) {
        reject(stateError('ERR_MEMSTATS_SESSION_CLOSED', `memstats: inspector session closed before ${method}`));
        return;
      }
      try {
        this.#session.post(method, params ?? {}, (err: Error | null, result?: unknown) => {
          if (err) reject(commandError(method, err));
          else resolve(result as T);
        });
      } catch (err) {
        reject(commandError(method, err as Error));
      }
    });
  }

  /**
   * postSync sends one command and returns its result in the same tick, which an
   * in-process session always does on Node 20. Throws the protocol error, or an
   * error when this runtime answered asynchronously (never seen; handled so a
   * future Node cannot leave a capture half-started).
   */
  postSync<T = unknown>(method: string, params?: object): T {
    if (this.#closed) throw stateError('ERR_MEMSTATS_SESSION_CLOSED', `memstats: inspector session closed before ${method}`);
    let done = false;
    let error: Error | null = null;
    let result: unknown;
    this.#session.post(method, params ?? {}, (err: Error | null, res?: unknown) => {
      done = true;
      error = err;
      result = res;
    });
    if (!done) throw stateError(ERR_INSPECTOR_UNAVAILABLE, `memstats: inspector ${method} did not answer synchronously`);
    if (error) throw commandError(method, error);
    return result as T;
  }

  /** on adds a listener for one protocol event (e.g. 'Profiler.consoleProfileFinished'). */
  on(event: string, listener: Listener): this {
    this.#session.on(event, listener);
    return this;
  }

  /** off removes a listener added with on(). */
  off(event: string, listener: Listener): this {
    this.#session.off(event, listener);
    return this;
  }

  /** close disconnects the session; the inspector drops whatever it enabled. Calling it twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#session.disconnect();
    } catch {
      // Already disconnected by the runtime (process exiting): nothing to undo.
    }
  }
}

function commandError(method: string, err: Error): CodedError {
  const e = stateError((err as CodedError).code ?? 'ERR_INSPECTOR_COMMAND', `memstats: inspector ${method} failed: ${err.message}`);
  (e as Error).cause = err;
  return e;
}
