/**
 * @module server/server
 * `startDebugServer(options)`: the debug endpoints on their own node:http
 * server, bound to 127.0.0.1:6060 by default — Go's
 * `go http.ListenAndServe("localhost:6060", nil)` with net/http/pprof, minus
 * the side effect on a default mux.
 *
 * @example
 * import { startDebugServer } from 'memstats/server';
 * const debug = await startDebugServer();            // http://127.0.0.1:6060
 * // go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=5
 * await debug.close();
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createDebugHandler, type DebugHandler, type DebugHandlerOptions } from './handler.js';
import { resolveServerOptions } from './options.js';

export { resolveServerOptions, type ResolvedServerOptions } from './options.js';
import { serveError } from './http.js';
import { localBackend } from './backend.js';
import { optionsObject, type CodedError } from '../internal/validate.js';

/** Options of startDebugServer. */
export interface DebugServerOptions extends DebugHandlerOptions {
  /** Address to bind (default `127.0.0.1`). A non-loopback address requires `token`. */
  host?: string;
  /** Port (integer 0…65535, default 6060; 0 picks a free one — read it from `url`). */
  port?: number;
  /**
   * Let the process exit while the server is listening, serving, or capturing
   * a profile (default false). The agent sets it: a program that would end by
   * itself still ends.
   */
  unref?: boolean;
}

/** Where a running debug server listens, and how to stop it. */
export interface DebugEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:6060` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** close stops listening, aborts captures in progress, closes connections. Calling it twice is harmless. */
  close(): Promise<void>;
}

/** A running debug server. */
export interface DebugServer extends DebugEndpoint {
  /** The underlying node:http server. */
  readonly server: http.Server;
  /** The request handler it serves (routes, prometheus registration). */
  readonly handler: DebugHandler;
}

/**
 * startDebugServer starts the debug HTTP server and resolves once it listens.
 * Defaults: host 127.0.0.1, port 6060, no token, maxProfileSeconds 300.
 * Throws (synchronously-rejected promise) a RangeError with code
 * ERR_MEMSTATS_INVALID_OPTION when `host` is not a loopback address and no
 * `token` is given, and TypeError/RangeError for other bad options; rejects
 * with the system error (code EADDRINUSE, EACCES, EADDRNOTAVAIL, …) when it
 * cannot listen. Each call starts a new server.
 */
export async function startDebugServer(options?: DebugServerOptions): Promise<DebugServer> {
  const o = optionsObject<DebugServerOptions>('options', options);
  const { host, port, unref } = resolveServerOptions(o);
  // The handler takes the rest (its own check knows no host, port or unref).
  const { host: _host, port: _port, unref: _unref, ...handlerOptions } = o;

  // An unref'd server's own backend must not hold the process during a capture either.
  const ownBackend = unref && o.backend === undefined ? localBackend({ keepAlive: false }) : undefined;
  let handler: DebugHandler;
  try {
    handler = createDebugHandler(ownBackend ? { ...handlerOptions, backend: ownBackend } : handlerOptions);
  } catch (err) {
    await ownBackend?.close();
    throw err;
  }
  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    try {
      if (handler(req, res)) return;
      if (req.url === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
        // A person typing the address lands on the index.
        res.statusCode = 302;
        res.setHeader('Location', '/debug/pprof/');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.end();
        return;
      }
      handler.notFound(req, res);
    } catch {
      serveError(res, 500, 'memstats: internal error');
    }
  });
  // The server's own errors (a client sending garbage) must never reach the host.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? ['431 Request Header Fields Too Large', 'request headers too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', 'request not received in time']
          : ['400 Bad Request', `malformed HTTP request${err.code ? ` (${err.code})` : ''}`];
    const body = `memstats: ${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  if (unref) server.on('connection', (socket: Socket) => socket.unref());

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  }).catch(async (err: CodedError) => {
    await handler.close();
    await ownBackend?.close();
    throw err;
  });
  if (unref) server.unref();
  // After listening, a socket error is a client's problem, not the host's.
  server.on('error', () => {});

  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    server,
    handler,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await handler.close();
        await ownBackend?.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
