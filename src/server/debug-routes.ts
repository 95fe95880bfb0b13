/**
 * @module server/debug-routes
 * The non-profile endpoints: `/debug/vars` (Go's expvar JSON), `POST /debug/gc`
 * (forces a full GC, like gops), and `/metrics` (Prometheus text format).
 */
import { send, sendJson } from './http.js';
import type { Route, RouteContext } from './routes.js';

async function vars(ctx: RouteContext): Promise<void> {
  const v = await ctx.backend.readVars();
  // Go's layout: one variable per line, each value compact.
  const lines = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x) ?? 'null'}`);
  // Which process these are: `memstats attach` serves another one than its own (the CLI reads this).
  send(ctx.res, 'application/json; charset=utf-8', `{\n${lines.join(',\n')}\n}\n`, 200, { 'X-Memstats-Pid': String(ctx.backend.pid) });
}

async function forceGC(ctx: RouteContext): Promise<void> {
  const r = await ctx.backend.gc();
  sendJson(ctx.res, r);
}

async function metrics(ctx: RouteContext): Promise<void> {
  const text = await ctx.prometheus.metrics();
  send(ctx.res, ctx.prometheus.contentType, text);
}

/** debugRoutes returns /debug/vars, /debug/gc and /metrics. */
export function debugRoutes(): Route[] {
  return [
    { methods: ['GET'], path: '/debug/vars', description: 'JSON: cmdline, memstats (Go field names) and variables added with publish(name, fn), like Go\'s expvar', handle: vars },
    { methods: ['POST'], path: '/debug/gc', description: 'Runs a full garbage collection; answers the heap used before and after (JSON)', handle: forceGC },
    { methods: ['GET'], path: '/metrics', description: 'Prometheus metrics: prom-client\'s default names with truthful values, plus memstats_* (docs/metrics.md)', handle: metrics },
  ];
}
