/**
 * @module server/pprof-routes
 * Go's net/http/pprof endpoints with Go's parameters, so that
 * `go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=5` just works:
 *
 * | path | parameters | answer |
 * |---|---|---|
 * | `/debug/pprof/` | | HTML index of the profiles |
 * | `/debug/pprof/profile` | `seconds` (default 30), `format=cpuprofile` | CPU profile |
 * | `/debug/pprof/heap` | `gc=1`, `debug=1` | sampled live heap |
 * | `/debug/pprof/allocs` | `gc=1`, `debug=1` | sampled allocations, collected ones included |
 * | `/debug/pprof/block` | `seconds` (default 30), `threshold_ms`, `debug=1` | event-loop stalls |
 * | `/debug/pprof/goroutine` | `debug=0|1|2` | live resources (handles, requests) |
 * | `/debug/pprof/heapsnapshot` | | V8 heap snapshot (DevTools) |
 * | `/debug/pprof/cmdline` | | arguments, NUL-separated |
 */
import { open, unlink } from 'node:fs/promises';
import { HttpError, boolParam, intParam, send, sendAttachment, setSafetyHeaders } from './http.js';
import { pprofIndexPage } from './index-page.js';
import type { Route, RouteContext } from './routes.js';

function seconds(ctx: RouteContext): number {
  return intParam(ctx.url, 'seconds', Math.min(30, ctx.maxProfileSeconds), 1, ctx.maxProfileSeconds);
}

function debugLevel(ctx: RouteContext, max: number): number {
  return intParam(ctx.url, 'debug', 0, 0, max);
}

function noSeconds(ctx: RouteContext, name: string): void {
  if (ctx.url.searchParams.has('seconds')) {
    throw new HttpError(400, `seconds is not supported by ${name}: it is a snapshot of what is alive now`);
  }
}

/** exclusively runs `fn` holding the capture slot `name` (409 with a reason while another holds it). */
async function exclusively<T>(ctx: RouteContext, name: string, what: string, fn: () => Promise<T>): Promise<T> {
  const release = ctx.exclusive(name, what);
  try {
    return await fn();
  } finally {
    release();
  }
}

async function cpu(ctx: RouteContext): Promise<void> {
  const s = seconds(ctx);
  const format = ctx.url.searchParams.get('format') ?? 'pprof';
  if (format !== 'pprof' && format !== 'cpuprofile') throw new HttpError(400, `format must be pprof or cpuprofile; received ${JSON.stringify(format.slice(0, 40))}`);
  await exclusively(ctx, 'cpu', 'a CPU profile', async () => {
    const body = await ctx.backend.profileCpu({ seconds: s, format, signal: ctx.signal });
    if (format === 'cpuprofile') sendAttachment(ctx.res, `cpu-${ctx.backend.pid}.cpuprofile`, body, 'application/json');
    else sendAttachment(ctx.res, `cpu-${ctx.backend.pid}.pb.gz`, body);
  });
}

function heapRoute(name: 'heap' | 'allocs'): (ctx: RouteContext) => Promise<void> {
  return async (ctx) => {
    const debug = debugLevel(ctx, 2);
    const gc = boolParam(ctx.url, 'gc');
    const delta = ctx.url.searchParams.has('seconds') ? intParam(ctx.url, 'seconds', 30, 1, ctx.maxProfileSeconds) : undefined;
    const capture = () =>
      ctx.backend.profileHeap({
        gc,
        ...(name === 'allocs' ? { includeCollected: true } : {}),
        ...(delta !== undefined ? { seconds: delta } : {}),
        signal: ctx.signal,
      });
    // One heap profile over `seconds` at a time, as for the other captures.
    const body = delta !== undefined ? await exclusively(ctx, 'heap-delta', 'a heap profile over seconds', capture) : await capture();
    if (debug > 0) {
      const m = await ctx.backend.readMemStats();
      // Loaded on demand: the decoder is not needed to serve binary profiles.
      const { heapText } = await import('./pprof-text.js');
      send(ctx.res, 'text/plain; charset=utf-8', heapText(body, m));
    } else {
      sendAttachment(ctx.res, `${name}-${ctx.backend.pid}.pb.gz`, body);
    }
  };
}

async function block(ctx: RouteContext): Promise<void> {
  const s = seconds(ctx);
  const debug = debugLevel(ctx, 2);
  const thresholdMs = ctx.url.searchParams.has('threshold_ms') ? intParam(ctx.url, 'threshold_ms', 50, 1, 60_000) : undefined;
  const body = await exclusively(ctx, 'block', 'a block profile', () =>
    ctx.backend.profileBlock({ seconds: s, ...(thresholdMs !== undefined ? { thresholdMs } : {}), signal: ctx.signal }),
  );
  if (debug > 0) {
    const { contentionText } = await import('./pprof-text.js');
    send(ctx.res, 'text/plain; charset=utf-8', contentionText(body));
  }
  else sendAttachment(ctx.res, `block-${ctx.backend.pid}.pb.gz`, body);
}

async function goroutine(ctx: RouteContext): Promise<void> {
  noSeconds(ctx, 'goroutine');
  const debug = debugLevel(ctx, 2) as 0 | 1 | 2;
  const body = await ctx.backend.profileGoroutine({ debug, signal: ctx.signal });
  if (debug === 0) sendAttachment(ctx.res, `goroutine-${ctx.backend.pid}.pb.gz`, Buffer.isBuffer(body) ? body : Buffer.from(body));
  else send(ctx.res, 'text/plain; charset=utf-8', typeof body === 'string' ? body : body.toString('utf8'));
}

async function heapSnapshot(ctx: RouteContext): Promise<void> {
  const release = ctx.exclusive('heapsnapshot', 'a heap snapshot');
  let file: string | undefined;
  try {
    const snap = await ctx.backend.heapSnapshot({ signal: ctx.signal });
    file = snap.path;
    if (ctx.signal.aborted) return;
    const res = ctx.res;
    setSafetyHeaders(res);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="heap-${ctx.backend.pid}.heapsnapshot"`);
    res.setHeader('Content-Length', snap.bytes);
    res.setHeader('X-Memstats-Duration-Ms', snap.durationMs.toFixed(0));
    res.statusCode = 200;
    const handle = await open(snap.path, 'r');
    // Removed before the first byte goes out: the open handle keeps the bytes readable, so the file is gone
    // by the time the client has the snapshot, and a crash mid-download leaves nothing behind. (Where an open
    // file cannot be removed, the finally below removes it after the download.)
    await unlink(snap.path).then(
      () => (file = undefined),
      () => {},
    );
    if (ctx.signal.aborted || res.destroyed) {
      // The client left while the file was opened: its 'close' has passed.
      await handle.close();
      return;
    }
    await new Promise<void>((resolve) => {
      const stream = handle.createReadStream();
      const done = () => resolve();
      stream.on('error', () => {
        res.destroy();
        done();
      });
      res.on('close', () => {
        stream.destroy();
        done();
      });
      stream.pipe(res);
    });
  } finally {
    release();
    if (file) await unlink(file).catch(() => {});
  }
}

async function cmdline(ctx: RouteContext): Promise<void> {
  const args = await ctx.backend.cmdline();
  send(ctx.res, 'text/plain; charset=utf-8', args.join('\x00'));
}

async function index(ctx: RouteContext): Promise<void> {
  let resources: number | undefined;
  try {
    const samples = await ctx.backend.readSamples();
    resources = samples[samples.length - 1]?.resourcesTotal;
  } catch {
    resources = undefined;
  }
  send(ctx.res, 'text/html; charset=utf-8', pprofIndexPage(ctx.routes, { goroutine: resources }));
}

/** pprofRoutes returns the /debug/pprof/* routes. */
export function pprofRoutes(): Route[] {
  return [
    { methods: ['GET'], path: '/debug/pprof/', description: 'Profiles index (Go\'s net/http/pprof)', handle: index },
    {
      methods: ['GET'],
      path: '/debug/pprof',
      handle: (ctx) => {
        setSafetyHeaders(ctx.res);
        ctx.res.statusCode = 301;
        ctx.res.setHeader('Location', 'pprof/');
        ctx.res.end();
      },
    },
    { methods: ['GET'], path: '/debug/pprof/profile', capture: true, handle: cpu },
    { methods: ['GET'], path: '/debug/pprof/heap', capture: true, handle: heapRoute('heap') },
    { methods: ['GET'], path: '/debug/pprof/allocs', capture: true, handle: heapRoute('allocs') },
    { methods: ['GET'], path: '/debug/pprof/block', capture: true, handle: block },
    { methods: ['GET'], path: '/debug/pprof/goroutine', handle: goroutine },
    { methods: ['GET'], path: '/debug/pprof/heapsnapshot', capture: true, handle: heapSnapshot },
    { methods: ['GET'], path: '/debug/pprof/cmdline', handle: cmdline },
    {
      methods: ['GET'],
      path: '/debug/pprof/*',
      handle: (ctx) => {
        const name = ctx.url.pathname.slice('/debug/pprof/'.length);
        const why = ['mutex', 'threadcreate', 'trace', 'symbol'].includes(name) ? ': Node has no equivalent (one JavaScript thread, no mutexes; see docs/server.md)' : '';
        throw new HttpError(404, `Unknown profile${why}`);
      },
    },
  ];
}
