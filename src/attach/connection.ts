/**
 * @module attach/connection
 * One Chrome DevTools Protocol connection to a target's inspector, through
 * chrome-remote-interface: commands that fail with a clear AttachError when
 * the target goes away, and `evaluate` returning plain values.
 */
import CDP from 'chrome-remote-interface';
import { AttachError } from './errors.js';
import type { InspectorEndpoint } from './inspector-port.js';

/** Options of InspectorConnection.evaluate. */
export interface EvaluateOptions {
  /** Expose the inspector's command-line API (`require` for built-in modules) during the evaluation. */
  commandLineAPI?: boolean;
  /** Wait for a returned promise (default true). */
  awaitPromise?: boolean;
  /** Give up after this long, ms (default: no limit); the target may be paused in a debugger, or busy. */
  timeoutMs?: number;
}

interface ExceptionDetails {
  text?: string;
  exception?: { description?: string; value?: unknown };
}

/** A CDP connection to one process. */
export class InspectorConnection {
  private dead: AttachError | undefined;
  private readonly goneListeners = new Set<(err: AttachError) => void>();
  /** Resolves when the connection is lost or closed. */
  readonly gone: Promise<AttachError>;
  private resolveGone!: (err: AttachError) => void;
  private closing = false;
  private exiting = false;

  private constructor(
    readonly client: CDP.Client,
    readonly pid: number,
  ) {
    this.gone = new Promise((resolve) => {
      this.resolveGone = resolve;
    });
    client.on('disconnect', () => this.markGone());
    // A process that ends while a debugger is connected waits for it to leave
    // ("Waiting for the debugger to disconnect..."): leave at once, so memstats
    // never holds a program that wants to exit.
    (client as unknown as NodeJS.EventEmitter).on('NodeRuntime.waitingForDisconnect', () => {
      this.exiting = true;
      this.markGone();
      client.close().catch(() => undefined);
    });
  }

  /**
   * connect opens the WebSocket to `endpoint` (loopback only) and checks that
   * the process behind it is `pid`. Rejects with AttachError
   * (ERR_MEMSTATS_INSPECTOR) when it cannot connect or the pid differs.
   */
  static async connect(endpoint: InspectorEndpoint, pid: number): Promise<InspectorConnection> {
    let client: CDP.Client;
    try {
      // local: use the protocol description shipped with the client rather than asking the target.
      client = await CDP({ host: endpoint.host, port: endpoint.port, target: endpoint.webSocketDebuggerUrl, local: true });
    } catch (err) {
      throw new AttachError('ERR_MEMSTATS_INSPECTOR', `cannot connect to the inspector of process ${pid} at ${endpoint.webSocketDebuggerUrl}: ${(err as Error).message}`, { cause: err });
    }
    const conn = new InspectorConnection(client, pid);
    try {
      await conn.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => undefined);
      const seen = await conn.evaluate('process.pid', { awaitPromise: false, timeoutMs: 15_000 });
      if (seen !== pid) throw new AttachError('ERR_MEMSTATS_INSPECTOR', `the inspector on port ${endpoint.port} belongs to process ${String(seen)}, not ${pid}`);
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  }

  /** Whether the connection is up. */
  get alive(): boolean {
    return this.dead === undefined;
  }

  /** onGone calls `fn` once when the connection is lost (not when close() is called); returns an unsubscribe function. */
  onGone(fn: (err: AttachError) => void): () => void {
    this.goneListeners.add(fn);
    return () => this.goneListeners.delete(fn);
  }

  private goneError(): AttachError {
    let exited = this.exiting;
    try {
      process.kill(this.pid, 0);
    } catch (err) {
      exited ||= (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
    return exited
      ? new AttachError('ERR_MEMSTATS_TARGET_GONE', `process ${this.pid} exited`)
      : new AttachError('ERR_MEMSTATS_TARGET_GONE', `the inspector connection to process ${this.pid} closed`);
  }

  private markGone(): void {
    if (this.dead) return;
    this.dead = this.goneError();
    this.resolveGone(this.dead);
    if (this.closing) return;
    for (const fn of [...this.goneListeners]) {
      try {
        fn(this.dead);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** The error commands fail with once the connection is gone (re-checks whether the process exited). */
  failure(): AttachError {
    return this.dead ? this.goneError() : new AttachError('ERR_MEMSTATS_TARGET_GONE', `the inspector connection to process ${this.pid} closed`);
  }

  /** send runs one protocol command; rejects with AttachError ERR_MEMSTATS_TARGET_GONE once the target is gone. */
  async send<T = unknown>(method: string, params?: object, timeoutMs?: number): Promise<T> {
    if (this.dead) throw this.failure();
    const sent = (this.client.send as (m: string, p?: object) => Promise<unknown>)(method, params);
    let timer: NodeJS.Timeout | undefined;
    const late =
      timeoutMs === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new AttachError('ERR_MEMSTATS_INSPECTOR', `process ${this.pid} did not answer within ${Math.round(timeoutMs / 1000)} s (is it paused in a debugger, or blocked?)`)),
              timeoutMs,
            );
          });
    try {
      const r = (await Promise.race([sent, this.gone.then((e) => Promise.reject(e)), ...(late ? [late] : [])])) as T;
      return r;
    } catch (err) {
      sent.catch(() => undefined);
      if (err instanceof AttachError && err.code === 'ERR_MEMSTATS_INSPECTOR') throw err;
      if (err instanceof AttachError) throw this.failure();
      if (this.dead) throw this.failure();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * evaluate runs `expression` in the target's main context and resolves with
   * its value (JSON-copied). A thrown exception rejects with an Error carrying
   * the target's message.
   */
  async evaluate(expression: string, options: EvaluateOptions = {}): Promise<unknown> {
    const r = await this.send<{ result: { value?: unknown; unserializableValue?: string }; exceptionDetails?: ExceptionDetails }>('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: options.awaitPromise !== false,
      includeCommandLineAPI: options.commandLineAPI === true,
      // Never stop in a debugger statement or on an exception of ours.
      silent: true,
    }, options.timeoutMs);
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      const text = d.exception?.description?.split('\n')[0] ?? (typeof d.exception?.value === 'string' ? d.exception.value : d.text) ?? 'exception';
      throw new Error(text);
    }
    if (r.result.unserializableValue !== undefined) return Number(r.result.unserializableValue);
    return r.result.value;
  }

  /** close closes the WebSocket. Calling it twice is harmless. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.dead) return;
    try {
      await this.client.close();
    } catch {
      // Already closed.
    }
    this.markGone();
  }
}
