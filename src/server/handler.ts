/**
 * @module server/handler
 * `createDebugHandler(options)`: the debug endpoints as one request handler,
 * to serve from startDebugServer or mount in an existing node:http, express,
 * connect or fastify server. It checks access (token, loopback, Host and
 * Origin), finds the route, runs it with an AbortSignal tied to the client's
 * connection, and turns every failure into one status line — never a stack
 * trace, never an exception into the host.
 *
 * @example
 * import http from 'node:http';
 * import { createDebugHandler } from 'memstats/server';
 * const debug = createDebugHandler();
 * http.createServer((req, res) => { if (!debug(req, res)) app(req, res); }).listen(8080, '127.0.0.1');
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { localBackend, type DebugBackend } from './backend.js';
import { defaultRoutes, RouteTable, type Route, type RouteContext } from './routes.js';
import { HttpError, TokenCheck, hostOfHeader, isLoopbackHost, oneLine, serveError } from './http.js';
import { registerPrometheusMetrics, type PrometheusMetrics } from '../export/prometheus.js';
import { optionsObject } from '../internal/validate.js';
import { resolveHandlerOptions } from './options.js';

export { resolveHandlerOptions, type ResolvedHandlerOptions } from './options.js';

/** Options of createDebugHandler (and of startDebugServer). */
export interface DebugHandlerOptions {
  /**
   * Secret required as `Authorization: Bearer <token>` (or as the password of
   * Basic auth, which `go tool pprof http://x:TOKEN@host/…` sends). Default
   * none: then only loopback clients, with a loopback Host header, are served.
   */
  token?: string;
  /** Longest capture (`seconds`) a request may ask for, s (integer 1…3600, default 300). */
  maxProfileSeconds?: number;
  /** The process to serve (default: this one, `localBackend()`, closed by close()). A backend you pass is not closed. */
  backend?: DebugBackend;
  /** Extra routes, matched before the default ones (see docs/server.md). */
  routes?: Route[];
  /** prom-client Registry that /metrics serves; memstats' metrics are registered in it (default: a registry of its own). */
  registry?: Registry;
  /** Include prom-client's default metric names in /metrics (default true). */
  compatibleMetrics?: boolean;
}

/** A mountable request handler. */
export interface DebugHandler {
  /**
   * Serves `req` if its path is a debug route and returns true; otherwise
   * leaves `res` alone, calls `next()` when given (connect/express middleware)
   * and returns false.
   */
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): boolean;
  /** notFound answers 404 after the access checks: what startDebugServer does for other paths. */
  notFound(req: IncomingMessage, res: ServerResponse): void;
  /** The routes served. */
  readonly routes: readonly Route[];
  /** The /metrics registration (its `registry` is a prom-client Registry). */
  readonly prometheus: PrometheusMetrics;
  /** close aborts captures in progress and releases the default backend. Calling it twice is harmless. */
  close(): Promise<void>;
}

/** Maps a failure to [status, reason]; undefined when the client is gone (nothing to answer). */
function failure(err: unknown, route: Route, aborted: boolean): [number, string] | undefined {
  if (err instanceof HttpError) return [err.status, err.message];
  const e = err as { name?: string; code?: string; message?: string } | null;
  if (aborted || e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return aborted ? undefined : [503, 'capture aborted'];
  // The first line only: a message may carry more (a nested error's stack).
  const message = oneLine(String(e?.message ?? err).split('\n')[0]);
  switch (e?.code) {
    case 'ERR_MEMSTATS_PROFILE_IN_USE':
      return [409, message];
    case 'ERR_MEMSTATS_INSUFFICIENT_MEMORY':
      return [503, message];
    case 'ERR_MEMSTATS_INVALID_OPTION':
      return [400, message];
    default:
      return [500, `memstats: ${route.path} failed: ${message}`];
  }
}

/**
 * fromLoopback tells whether the client of `req` is on this machine. A server
 * listening on a loopback address only has loopback peers, which the server's
 * own address tells without touching the connection. Reading
 * `socket.remoteAddress` caches the peer on the socket as a new property, so
 * the debug server's sockets would get another hidden class than the
 * application's: V8 then deoptimizes node:net/http/stream code shared by both
 * servers and runs it polymorphic — with the two response-shape differences
 * (server/http.ts send, run below), 6–12 % of a saturated application server's
 * throughput for a scrape a second (docs/benchmarks.md).
 * The peer address is read only on a server bound to a public address.
 */
function fromLoopback(req: IncomingMessage): boolean {
  const socket = req.socket as (Socket & { server?: { address?: () => AddressInfo | string | null } }) | undefined;
  if (!socket) return false;
  let bound: AddressInfo | string | null | undefined;
  try {
    bound = socket.server?.address?.();
  } catch {
    bound = undefined;
  }
  if (bound && typeof bound === 'object' && isLoopbackHost(bound.address)) return true;
  if (typeof bound === 'string') return true; // a Unix socket or named pipe: local by construction
  const remote = socket.remoteAddress;
  return remote !== undefined && isLoopbackHost(remote);
}

/**
 * createDebugHandler returns a request handler serving the debug endpoints
 * (docs/server.md). Without a token it serves only clients on loopback whose
 * Host header is a loopback name (a guard against DNS rebinding); with one,
 * every request must carry it (401 otherwise), compared in constant time.
 * Throws TypeError/RangeError (ERR_MEMSTATS_INVALID_OPTION) for bad options.
 */
export function createDebugHandler(options?: DebugHandlerOptions): DebugHandler {
  const o = optionsObject<DebugHandlerOptions>('options', options);
  const { token, maxProfileSeconds } = resolveHandlerOptions(o);
  const ownBackend = o.backend === undefined;
  const backend: DebugBackend = o.backend ?? localBackend();
  const table = new RouteTable([...(o.routes ?? []), ...defaultRoutes()]);
  const check = token === undefined ? undefined : new TokenCheck(token);
  const busy = new Map<string, string>();
  const inflight = new Set<AbortController>();
  let prometheus: PrometheusMetrics;
  try {
    prometheus = registerPrometheusMetrics({
      read: () => backend.readMetrics(),
      ...(o.registry !== undefined ? { registry: o.registry } : {}),
      ...(o.compatibleMetrics !== undefined ? { compatibleMetrics: o.compatibleMetrics } : {}),
    });
  } catch (err) {
    if (ownBackend) void backend.close();
    throw err;
  }
  let closed = false;

  const exclusive = (name: string, what: string) => {
    if (busy.has(name)) throw new HttpError(409, `${what} is already in progress; try again when it ends`);
    busy.set(name, what);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      busy.delete(name);
    };
  };

  /** Access rules; returns [status, reason, headers?] to refuse, or undefined to serve. */
  const refuse = (req: IncomingMessage): [number, string, Record<string, string>?] | undefined => {
    if (check) {
      if (!check.allows(req)) return [401, 'memstats: missing or wrong token (send Authorization: Bearer <token>)', { 'WWW-Authenticate': 'Basic realm="memstats", charset="UTF-8", Bearer realm="memstats"' }];
    } else {
      if (!fromLoopback(req)) return [403, 'memstats: without a token the debug endpoints answer loopback clients only'];
      const host = req.headers.host;
      // A page on another site that rebinds its name to 127.0.0.1 sends its own name here.
      if (host && !isLoopbackHost(hostOfHeader(host))) return [403, `memstats: Host ${JSON.stringify(hostOfHeader(host).slice(0, 80))} is not a loopback name; set a token to serve other names`];
    }
    // A page on another site can make the browser GET a URL (an <img>, a link) without reading the answer —
    // enough to start a 300 s CPU profile or a heap snapshot. Browsers say where such a request comes from;
    // go tool pprof, curl and Prometheus send no Sec-Fetch-Site.
    if (req.headers['sec-fetch-site'] === 'cross-site') return [403, 'memstats: cross-site request refused'];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = req.headers.origin;
      // A cross-site form or fetch carries the attacker's Origin: refuse state changes from it.
      if (origin && origin !== 'null') {
        let originHost = '';
        try {
          originHost = new URL(origin).host;
        } catch {
          originHost = '';
        }
        if (originHost !== req.headers.host) return [403, 'memstats: cross-origin request refused'];
      } else if (origin === 'null') {
        return [403, 'memstats: cross-origin request refused'];
      }
    }
    return undefined;
  };

  const run = async (route: Route, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    // The abort signal — and the 'close' listener on `res` behind it — is made
    // only for a route that reads ctx.signal (the captures). Adding and removing
    // a listener on every response would give the debug server's responses
    // another hidden class than the application's (see fromLoopback).
    let ac: AbortController | undefined;
    let onClose: (() => void) | undefined;
    const signal = (): AbortSignal => {
      if (!ac) {
        const c = new AbortController();
        ac = c;
        inflight.add(c);
        // The client went away before the answer was complete: stop its capture.
        onClose = () => {
          if (!res.writableFinished) c.abort();
        };
        res.on('close', onClose);
        if (res.destroyed) c.abort();
      }
      return ac.signal;
    };
    const ctx: RouteContext = {
      req,
      res,
      url,
      backend,
      get signal() {
        return signal();
      },
      maxProfileSeconds,
      prometheus,
      exclusive,
      routes: table.routes,
    };
    try {
      await route.handle(ctx);
    } catch (err) {
      // Stopped by close() while its client still waits: tell it why rather than reset the connection.
      const f = closed && !res.destroyed && !res.headersSent ? ([503, 'memstats: the debug server is closing; the capture was stopped'] as const) : failure(err, route, ac?.signal.aborted === true);
      if (f) serveError(res, f[0], f[1]);
      else if (!res.writableEnded) res.destroy();
    } finally {
      if (ac) {
        inflight.delete(ac);
        res.off('close', onClose!);
      }
    }
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): boolean => {
    if (!table.mayMatch(req.url ?? '/')) {
      next?.();
      return false;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      serveError(res, 400, 'memstats: malformed request URL');
      return true;
    }
    const match = table.match(req.method ?? 'GET', url.pathname);
    if (!match) {
      // Not ours: the application (or the next middleware) answers.
      next?.();
      return false;
    }
    try {
      if (closed) {
        serveError(res, 503, 'memstats: the debug server is closing');
        return true;
      }
      const refusal = refuse(req);
      if (refusal) {
        serveError(res, refusal[0], refusal[1], refusal[2]);
        return true;
      }
      if ('allow' in match) {
        serveError(res, 405, `memstats: ${req.method} is not allowed here; use ${match.allow.join(' or ')}`, { Allow: match.allow.join(', ') });
        return true;
      }
      void run(match.route, req, res, url);
    } catch (err) {
      // Nothing above should throw; if it does, the host must not see it.
      serveError(res, 500, `memstats: ${oneLine(String((err as Error)?.message ?? err))}`);
    }
    return true;
  }) as DebugHandler;

  Object.defineProperty(handler, 'notFound', {
    enumerable: true,
    value: (req: IncomingMessage, res: ServerResponse) => {
      const refusal = refuse(req);
      if (refusal) serveError(res, refusal[0], refusal[1], refusal[2]);
      else serveError(res, 404, `memstats: no debug endpoint at ${(req.url ?? '/').split('?')[0].slice(0, 80)} (see /debug/pprof/)`);
    },
  });
  Object.defineProperty(handler, 'routes', { value: table.routes, enumerable: true });
  Object.defineProperty(handler, 'prometheus', { value: prometheus, enumerable: true });
  Object.defineProperty(handler, 'close', {
    enumerable: true,
    value: async () => {
      if (closed) return;
      closed = true;
      for (const ac of inflight) ac.abort();
      prometheus.unregister();
      if (ownBackend) await backend.close();
    },
  });
  return handler;
}
