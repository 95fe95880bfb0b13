/**
 * @module server/routes
 * The route table of the debug server, and its extension point. A Route is
 * data — methods, a path (exact, or a prefix ending in `*`), a description
 * for the index page — plus a handler that translates one HTTP request into
 * DebugBackend calls. `defaultRoutes()` is the list every server and handler
 * serves; a feature adds its routes by adding one provider to ROUTE_PROVIDERS
 * (the dashboard adds `/debug/dashboard`, its SSE stream and its assets), and
 * applications add theirs with the `routes` option. See docs/server.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DebugBackend } from './backend.js';
import type { PrometheusMetrics } from '../export/prometheus.js';
import { pprofRoutes } from './pprof-routes.js';
import { debugRoutes } from './debug-routes.js';
import { dashboardRoutes } from '../dashboard/routes.js';

/** HTTP methods a route may answer (GET routes answer HEAD as well). */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a route handler receives. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The request URL, relative to where the handler is mounted. */
  url: URL;
  /** The process being debugged. Handlers call it, never the runtime. */
  backend: DebugBackend;
  /**
   * Aborted when the client disconnects or the server closes: pass it to
   * long captures, and end streams (SSE) when it fires.
   */
  signal: AbortSignal;
  /** Longest capture a request may ask for, s. */
  maxProfileSeconds: number;
  /** /metrics registry of this handler. */
  prometheus: PrometheusMetrics;
  /**
   * exclusive reserves `name` (e.g. `cpu`, `heapsnapshot`) for this request
   * and returns its release function, or throws an HttpError 409 with a reason
   * if another request of this handler holds it.
   */
  exclusive(name: string, what: string): () => void;
  /** Every route this handler serves (for index pages). */
  routes: readonly Route[];
}

/** One entry of the route table. */
export interface Route {
  /** Methods answered; a GET route answers HEAD too. Others get 405 with `Allow`. */
  methods: readonly RouteMethod[];
  /** Exact path (`/debug/vars`), or a prefix ending in `*` (`/debug/dashboard/assets/*`). */
  path: string;
  /** One line for the index page; routes without one are not listed. */
  description?: string;
  /** Runs a capture (a profile, a snapshot): HEAD gets 405 instead of running it for a body nobody reads. */
  capture?: boolean;
  /** Serves one request. Throw HttpError for a client error; anything else is a 500 with one line. */
  handle(ctx: RouteContext): void | Promise<void>;
}

/** A function contributing routes to every debug server. */
export type RouteProvider = () => Route[];

/**
 * ROUTE_PROVIDERS: the route lists every debug server serves, in order (the
 * first route matching a path wins). Add a feature's routes here with one line.
 */
export const ROUTE_PROVIDERS: RouteProvider[] = [pprofRoutes, debugRoutes, dashboardRoutes];

/** defaultRoutes returns the routes of every provider in ROUTE_PROVIDERS. */
export function defaultRoutes(): Route[] {
  return ROUTE_PROVIDERS.flatMap((p) => p());
}

/** Result of a lookup: a route, or the methods the path allows (405), or nothing (404). */
export type RouteMatch = { route: Route } | { allow: RouteMethod[] } | undefined;

/** A lookup table over routes: exact paths in a Map, prefixes in order. */
export class RouteTable {
  private readonly exact = new Map<string, Route[]>();
  private readonly prefixes: Array<[string, Route]> = [];
  /** The first path segment of every route (`/debug`, `/metrics`), for mayMatch. */
  private readonly heads: string[];
  readonly routes: readonly Route[];

  constructor(routes: readonly Route[]) {
    this.routes = routes;
    this.heads = [...new Set(routes.map((r) => '/' + r.path.split('/')[1]!.replace(/\*$/, '')))];
    for (const r of routes) {
      if (r.path.endsWith('*')) this.prefixes.push([r.path.slice(0, -1), r]);
      else {
        const list = this.exact.get(r.path) ?? [];
        list.push(r);
        this.exact.set(r.path, list);
      }
    }
  }

  /**
   * mayMatch is a cheap first look at a raw request target (`req.url`): false
   * when no route can match it, so that a handler mounted in an application
   * server costs its other requests a few string comparisons, not a URL parse.
   * Targets that parsing could rewrite (percent-escapes, backslashes, dot
   * segments, absolute form) answer true and get the full match.
   */
  mayMatch(target: string): boolean {
    if (target.charCodeAt(0) !== 47 /* / */ || target.includes('%') || target.includes('\\') || target.includes('/.')) return true;
    for (const head of this.heads) if (target.startsWith(head)) return true;
    return false;
  }

  /** match finds the route for `method` and `pathname`. */
  match(method: string, pathname: string): RouteMatch {
    const candidates = this.exact.get(pathname) ?? this.prefixes.filter(([p]) => pathname.startsWith(p)).map(([, r]) => r);
    if (candidates.length === 0) return undefined;
    const m = method === 'HEAD' ? 'GET' : method;
    for (const r of candidates) if ((r.methods as readonly string[]).includes(m) && !(method === 'HEAD' && r.capture)) return { route: r };
    const allow = new Set<RouteMethod>();
    for (const r of candidates) for (const x of r.methods) allow.add(x);
    return { allow: [...allow] };
  }
}
