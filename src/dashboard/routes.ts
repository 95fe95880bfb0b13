/**
 * @module dashboard/routes
 * The dashboard's routes on the debug server (added through ROUTE_PROVIDERS):
 *
 * | path | answer |
 * |---|---|
 * | `/debug/dashboard` | the live page |
 * | `/debug/dashboard/stream` | Server-Sent Events: `config`, `limits`, `backlog`, then `sample` per tick |
 * | `/debug/dashboard/assets/<name>` | uPlot, the page script and styles, from the package |
 *
 * Everything goes through the request's DebugBackend, so a remote process
 * (`memstats attach`) gets the same dashboard. The page's actions use the
 * server's existing endpoints (/debug/gc, /debug/pprof/profile,
 * /debug/pprof/heapsnapshot).
 */
import type { Route, RouteContext } from '../server/routes.js';
import { HttpError, send } from '../server/http.js';
import { dashboardAsset } from './assets.js';
import { DASHBOARD_CSP, dashboardPage } from './page.js';
import { dashboardStreamFor } from './stream.js';

let pageHtml: string | undefined;

function page(ctx: RouteContext): void {
  // Fails here, with the reason, if the browser code was not built.
  dashboardAsset('dashboard.js');
  pageHtml ??= dashboardPage();
  send(ctx.res, 'text/html; charset=utf-8', pageHtml, 200, {
    'Content-Security-Policy': DASHBOARD_CSP,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
}

function asset(ctx: RouteContext): void {
  const name = ctx.url.pathname.slice(ctx.url.pathname.lastIndexOf('/') + 1);
  const a = ctx.url.pathname === `/debug/dashboard/assets/${name}` ? dashboardAsset(name) : undefined;
  if (!a) throw new HttpError(404, `memstats: no dashboard asset ${JSON.stringify(name.slice(0, 60))}`);
  // Revalidated each load (no-cache), answered 304 when unchanged: a reinstall is picked up at once.
  const headers = { 'Cache-Control': 'no-cache', ETag: a.etag };
  if (ctx.req.headers['if-none-match'] === a.etag) {
    ctx.res.statusCode = 304;
    for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
    ctx.res.end();
    return;
  }
  send(ctx.res, a.contentType, a.body, 200, headers);
}

async function stream(ctx: RouteContext): Promise<void> {
  await dashboardStreamFor(ctx.backend).serve(ctx.res, ctx.signal, ctx.req.method, { maxProfileSeconds: ctx.maxProfileSeconds });
}

/** dashboardRoutes returns the dashboard's routes: the page, its stream and its assets. */
export function dashboardRoutes(): Route[] {
  return [
    { methods: ['GET'], path: '/debug/dashboard', description: 'Live dashboard: heap, RSS, GC pauses, event loop, CPU, resources at 1 Hz; force a GC, CPU flame graph, heap snapshot (docs/dashboard.md)', handle: page },
    {
      methods: ['GET'],
      path: '/debug/dashboard/',
      handle: (ctx) => {
        // The page's links are relative to /debug/dashboard: send a trailing slash back.
        ctx.res.statusCode = 301;
        ctx.res.setHeader('Location', '../dashboard');
        ctx.res.end();
      },
    },
    { methods: ['GET'], path: '/debug/dashboard/stream', handle: stream },
    { methods: ['GET'], path: '/debug/dashboard/assets/*', handle: asset },
  ];
}
