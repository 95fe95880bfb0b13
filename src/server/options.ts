/**
 * @module server/options
 * Validation of the debug server's and handler's options, apart from the
 * server itself: the agent checks them on the application's thread before
 * starting the server in a worker (server/thread-server.ts), and this module
 * loads no HTTP or prom-client code there.
 */
import type { DebugHandlerOptions } from './handler.js';
import type { DebugServerOptions } from './server.js';
import type { DebugBackend } from './backend.js';
import { isLoopbackHost } from './http.js';
import { booleanOption, invalidOption, knownOptions, numberOption, optionNames } from '../internal/validate.js';

/** The options createDebugHandler takes. */
export const HANDLER_OPTION_KEYS = optionNames<DebugHandlerOptions>({ token: true, maxProfileSeconds: true, backend: true, routes: true, registry: true, compatibleMetrics: true });
/** The options startDebugServer takes. */
export const SERVER_OPTION_KEYS = optionNames<DebugServerOptions>({ token: true, maxProfileSeconds: true, backend: true, routes: true, registry: true, compatibleMetrics: true, host: true, port: true, unref: true });

/** Resolved, validated handler options. */
export interface ResolvedHandlerOptions {
  token: string | undefined;
  maxProfileSeconds: number;
  compatibleMetrics: boolean;
}

/** Validates the options shared by createDebugHandler and startDebugServer (`keys`: the names the caller takes). */
export function resolveHandlerOptions(o: Partial<DebugHandlerOptions>, keys: readonly string[] = HANDLER_OPTION_KEYS): ResolvedHandlerOptions {
  knownOptions(o, keys);
  const token = o.token;
  if (token !== undefined) {
    if (typeof token !== 'string') throw invalidOption('type', 'token', token, 'a non-empty string');
    if (token.length === 0) throw invalidOption('range', 'token', token, 'a non-empty string');
  }
  const maxProfileSeconds = numberOption('maxProfileSeconds', o.maxProfileSeconds, 300, { integer: true, min: 1, max: 3600 });
  if (o.routes !== undefined && (!Array.isArray(o.routes) || o.routes.some((r) => !r || typeof r.path !== 'string' || typeof r.handle !== 'function' || !Array.isArray(r.methods)))) {
    throw invalidOption('type', 'routes', o.routes, 'an array of routes ({ methods, path, handle })');
  }
  if (o.backend !== undefined && (typeof o.backend !== 'object' || o.backend === null || typeof (o.backend as DebugBackend).readMetrics !== 'function')) {
    throw invalidOption('type', 'backend', o.backend, 'a DebugBackend');
  }
  const compatibleMetrics = booleanOption('compatibleMetrics', o.compatibleMetrics, true);
  return { token, maxProfileSeconds, compatibleMetrics };
}

/** Resolved, validated server options. */
export interface ResolvedServerOptions extends ResolvedHandlerOptions {
  host: string;
  port: number;
  unref: boolean;
}

/** Validates the options of startDebugServer (and of startDebugServerThread, which takes more `keys`). */
export function resolveServerOptions(o: Partial<DebugServerOptions>, keys: readonly string[] = SERVER_OPTION_KEYS): ResolvedServerOptions {
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw invalidOption('type', 'host', host, 'a non-empty string (an IP address or host name)');
  const port = numberOption('port', o.port, 6060, { integer: true, min: 0, max: 65535 });
  const unref = booleanOption('unref', o.unref, false);
  const handler = resolveHandlerOptions(o, keys);
  if (!isLoopbackHost(host) && handler.token === undefined) {
    throw invalidOption('range', 'token', handler.token, `a non-empty string when host is not a loopback address (host ${JSON.stringify(host)}): the endpoints expose profiles, heap contents and the command line`);
  }
  return { ...handler, host, port, unref };
}
