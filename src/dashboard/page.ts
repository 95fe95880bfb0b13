/**
 * @module dashboard/page
 * The HTML of the dashboard: the live page served at /debug/dashboard (its
 * script and styles loaded from /debug/dashboard/assets/, links relative so
 * it works wherever the handler is mounted), and the self-contained report
 * page (`memstats report`: everything inlined, frames embedded as JSON).
 * The body is a skeleton; the script builds the plots from the config.
 */
import { readDashboardSources } from './assets.js';
import type { DashboardConfig, Frame } from './wire.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Content-Security-Policy of the live page: its own scripts only (no inline
 * script: a token in the page's memory stays out of reach of injected markup),
 * requests to its own origin only.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ACTIONS = `<section id="actions" aria-label="actions">
  <div class="controls"><button id="gc-button" type="button" title="POST /debug/gc: a full, forced garbage collection">Force GC</button></div>
  <div class="outcome"><progress id="gc-progress" hidden></progress><span id="gc-status" class="status" role="status"></span></div>
  <div class="controls"><button id="cpu-button" type="button" title="GET /debug/pprof/profile?seconds=N">CPU profile</button>
    <label>for <input id="cpu-seconds" type="number" min="1" max="300" value="5"> s</label></div>
  <div class="outcome"><progress id="cpu-progress" hidden></progress><span id="cpu-status" class="status" role="status"></span></div>
  <div class="controls"><button id="snapshot-button" type="button" title="GET /debug/pprof/heapsnapshot: pauses the process while V8 walks the heap">Heap snapshot</button></div>
  <div class="outcome"><progress id="snapshot-progress" hidden></progress><span id="snapshot-status" class="status" role="status"></span><a id="snapshot-download" hidden>save the snapshot again</a></div>
</section>
<section id="flame" hidden>
  <h2><span id="flame-title">CPU profile</span> <a id="cpu-download" hidden>download the profile (.pb.gz, for go tool pprof)</a></h2>
  <div id="flame-body"></div>
</section>`;

/** dashboardPage returns the live dashboard page. */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memstats dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/assets/uPlot.min.css">
<link rel="stylesheet" href="dashboard/assets/dashboard.css">
</head>
<body>
<header><h1>memstats</h1><span class="sub" id="target"></span><span class="sub">live · the last ten minutes · drag to zoom, double-click to reset</span><span id="connection" class="down" role="status" aria-live="polite">connecting…</span></header>
<section id="stats" aria-label="summary"></section>
${ACTIONS}
<main id="plots"></main>
<script src="dashboard/assets/uPlot.iife.min.js"></script>
<script src="dashboard/assets/dashboard.js"></script>
</body>
</html>
`;
}

/** What a report page shows besides the charts. */
export interface ReportPageOptions {
  title: string;
  /** HTML of the heading block (escaped by the caller). */
  headHtml: string;
  /** HTML of the diagnosis block (escaped by the caller). */
  diagnosisHtml: string;
  config: DashboardConfig;
  frames: Frame[];
}

/** Makes text safe inside an inline <script>: no `</script`, no `<!--`. */
function scriptSafe(text: string): string {
  return text.replace(/<(?=\/script|!--)/gi, '\\x3C');
}

/**
 * reportPage returns one self-contained HTML page: uPlot, the dashboard script
 * and styles inlined, the frames embedded as JSON. It opens from a file, offline.
 * Throws as readDashboardSources when the dashboard files are missing.
 */
export function reportPage(o: ReportPageOptions): string {
  const s = readDashboardSources();
  // JSON in a script element: `<` escaped so no data can close the element.
  const data = JSON.stringify({ config: o.config, frames: o.frames }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<link rel="icon" href="data:,">
<style>${s.uplotCss.replace(/<\/style/gi, '<\\/style')}</style>
<style>${s.dashboardCss}</style>
</head>
<body>
<header><h1>memstats report</h1><span class="sub">${esc(o.title)}</span></header>
${o.headHtml}
${o.diagnosisHtml}
<section id="stats" aria-label="summary at the end of the recording"></section>
<main id="plots"></main>
<script type="application/json" id="memstats-report-data">${data}</script>
<script>${scriptSafe(s.uplotJs)}</script>
<script>${scriptSafe(s.dashboardJs)}</script>
</body>
</html>
`;
}
