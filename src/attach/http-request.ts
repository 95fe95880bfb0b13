/**
 * @module attach/http-request
 * A small HTTP client over node:http for the CLI's own requests (inspector
 * discovery, a debug server's endpoints): a deadline, an AbortSignal, a cap on
 * the body read into memory, or a body streamed to a callback.
 */
import http from 'node:http';
import https from 'node:https';

/** Options of httpRequest. */
export interface HttpRequestOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  /** No answer headers within this long fails the request, ms (default 5000). */
  timeoutMs?: number;
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Bodies larger than this are refused, bytes (default 64 MiB); ignored with onData. */
  maxBytes?: number;
  /** Receives the body chunk by chunk instead of collecting it (e.g. into a file); may return a promise to apply backpressure. */
  onData?: (chunk: Buffer) => void | Promise<void>;
  /** Called once with the status and headers, before any body; returning false collects the body (e.g. an error text) instead of passing it to onData. */
  onResponse?: (status: number, headers: http.IncomingHttpHeaders) => boolean | void;
}

/** An HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body (empty when onData received it). */
  body: Buffer;
}

/**
 * httpRequest sends one request and resolves with the status, headers and
 * body, whatever the status. Rejects on connection errors (with the system
 * error's code), on the timeout (code ETIMEDOUT), an abort (AbortError) or a
 * body over maxBytes (code ERR_MEMSTATS_BODY_TOO_LARGE).
 */
export function httpRequest(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const lib = u.protocol === 'https:' ? https : http;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      req.destroy();
      reject(err);
    };
    const onAbort = () => {
      const e = new Error('the request was aborted') as Error & { code: string };
      e.name = 'AbortError';
      e.code = 'ABORT_ERR';
      fail(e);
    };
    const timer = setTimeout(() => {
      const e = new Error(`no answer from ${u.host} within ${timeoutMs} ms`) as Error & { code: string };
      e.code = 'ETIMEDOUT';
      fail(e);
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) {
      clearTimeout(timer);
      reject(Object.assign(new Error('the request was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const req = lib.request(u, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      // Headers arrived: a long body (a profile, a snapshot) is not timed out.
      clearTimeout(timer);
      const stream = options.onData !== undefined && options.onResponse?.(res.statusCode ?? 0, res.headers) !== false;
      if (!stream && options.onData === undefined) options.onResponse?.(res.statusCode ?? 0, res.headers);
      const chunks: Buffer[] = [];
      let size = 0;
      let pending: Promise<void> = Promise.resolve();
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (stream && options.onData) {
          const r = options.onData(chunk);
          if (r && typeof (r as Promise<void>).then === 'function') {
            res.pause();
            pending = (r as Promise<void>).then(
              () => {
                res.resume();
              },
              (err: Error) => fail(err),
            );
          }
          return;
        }
        size += chunk.length;
        if (size > maxBytes) {
          const e = new Error(`the answer of ${u.pathname} is larger than ${maxBytes} bytes`) as Error & { code: string };
          e.code = 'ERR_MEMSTATS_BODY_TOO_LARGE';
          fail(e);
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(err));
      res.on('aborted', () => fail(Object.assign(new Error(`the connection to ${u.host} closed before the answer was complete`), { code: 'ECONNRESET' })));
      res.on('end', () => {
        void pending.then(() => {
          if (settled) return;
          if (!res.complete) {
            fail(Object.assign(new Error(`the connection to ${u.host} closed before the answer was complete`), { code: 'ECONNRESET' }));
            return;
          }
          settled = true;
          cleanup();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
    });
    req.on('error', (err) => fail(err));
    req.end();
  });
}
