/**
 * @module dashboard/assets
 * The files the dashboard page loads, all from the installed package — no CDN,
 * so the page works offline and on an air-gapped host: uPlot (resolved from
 * node_modules at run time), the page's own script (dist/src/dashboard/
 * dashboard.js, built by `npm run build` from src/dashboard/browser/) and its
 * stylesheet. Read once, on first use, and kept in memory (~110 KB).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_CSS } from './style.js';

/** One asset as served. */
export interface DashboardAsset {
  contentType: string;
  body: Buffer;
  /** Strong ETag of the body (quoted). */
  etag: string;
}

/** The scripts and styles of the page, as text (what `memstats report` inlines). */
export interface DashboardSources {
  uplotJs: string;
  uplotCss: string;
  /** The page script wrapped in a function scope, without its source-map comment. */
  dashboardJs: string;
  dashboardCss: string;
}

let sources: DashboardSources | undefined;
let sourceMap: string | undefined;
let assets: Map<string, DashboardAsset> | undefined;

const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=\S+\s*$/;

/**
 * readDashboardSources returns the page's scripts and styles. Throws an Error
 * naming the missing file when uPlot is not installed or the browser code was
 * not built (`npm run build`).
 */
export function readDashboardSources(): DashboardSources {
  if (sources) return sources;
  const require = createRequire(import.meta.url);
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`memstats: the dashboard's ${what} is missing (${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); reinstall memstats or run npm run build`);
    }
  };
  const resolve = (id: string): string => {
    try {
      return require.resolve(id);
    } catch {
      throw new Error(`memstats: the dashboard needs the uplot package (${id} not found); reinstall memstats`);
    }
  };
  const bundlePath = fileURLToPath(new URL('./dashboard.js', import.meta.url));
  const bundle = read(bundlePath, 'browser code');
  sourceMap = (() => {
    try {
      return readFileSync(`${bundlePath}.map`, 'utf8');
    } catch {
      return undefined;
    }
  })();
  // The bundle is classic scripts concatenated: a function scope keeps its names off `window`.
  // Opened on the first line, so source-map lines stay true.
  const dashboardJs = `(function () {${bundle.replace(SOURCE_MAP_COMMENT, '')}\n})();\n`;
  sources = {
    uplotJs: read(resolve('uplot/dist/uPlot.iife.min.js'), 'uPlot script'),
    uplotCss: read(resolve('uplot/dist/uPlot.min.css'), 'uPlot stylesheet'),
    dashboardJs,
    dashboardCss: DASHBOARD_CSS,
  };
  return sources;
}

function asset(contentType: string, text: string): DashboardAsset {
  const body = Buffer.from(text);
  return { contentType, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * dashboardAsset returns the asset served as `/debug/dashboard/assets/<name>`,
 * or undefined for an unknown name. Throws as readDashboardSources when the
 * files are missing.
 */
export function dashboardAsset(name: string): DashboardAsset | undefined {
  if (!assets) {
    const s = readDashboardSources();
    assets = new Map([
      ['uPlot.iife.min.js', asset('text/javascript; charset=utf-8', s.uplotJs)],
      ['uPlot.min.css', asset('text/css; charset=utf-8', s.uplotCss)],
      ['dashboard.js', asset('text/javascript; charset=utf-8', `${s.dashboardJs}//# sourceMappingURL=dashboard.js.map\n`)],
      ['dashboard.css', asset('text/css; charset=utf-8', s.dashboardCss)],
    ]);
    if (sourceMap) assets.set('dashboard.js.map', asset('application/json; charset=utf-8', sourceMap));
  }
  return assets.get(name);
}
