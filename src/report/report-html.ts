/**
 * @module report/report-html
 * `renderReport(samples)`: the session report — one self-contained HTML page
 * with the dashboard's charts over a whole recording (uPlot and the dashboard
 * script inlined, the frames embedded: it opens offline, from a file) and the
 * diagnosis (report/diagnose.ts) above them. What `memstats report` writes.
 */
import type { Sample } from '../sampler/sample.js';
import { createProjector, dashboardConfig, selectPoints, MAX_POINTS_PER_SERIES } from '../dashboard/projection.js';
import { DASHBOARD_PLOTS, pauseSinceNs } from '../dashboard/plots.js';
import { reportPage } from '../dashboard/page.js';
import type { Frame, FramePlotValues } from '../dashboard/wire.js';
import { diagnose, type DiagnoseOptions, type Finding } from './diagnose.js';
import { formatBytes, formatDuration, formatPercent } from './format.js';
import { invalidOption, numberOption, optionsObject, optionNames } from '../internal/validate.js';
const REPORT_OPTIONS_NAMES = optionNames<ReportOptions>({ source: true, maxPoints: true, note: true, diagnose: true });

/** Options of renderReport. */
export interface ReportOptions {
  /** Where the samples came from (shown in the heading), e.g. the recording's file name. */
  source?: string;
  /** Most chart points per series (integer 100…100,000; default 4000): longer recordings are merged, k samples per point, keeping each group's maximum. */
  maxPoints?: number;
  /** A note shown under the heading (e.g. "the last line was incomplete and was left out"). */
  note?: string;
  /** Thresholds of the diagnosis. */
  diagnose?: DiagnoseOptions;
}

/** What renderReport returns. */
export interface RenderedReport {
  html: string;
  findings: Finding[];
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Advice text with its `backquoted` commands (the part users copy) as <code>. */
function adviceHtml(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function maxValue(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/**
 * mergeFrames merges `group` (consecutive frames) into one at the last frame's
 * time: each value the group's maximum (so spikes survive), the events of
 * every frame kept (re-timed), the stats of the last frame.
 */
export function mergeFrames(group: Frame[]): Frame {
  const last = group[group.length - 1];
  const p: FramePlotValues[] = last.p.map((values, pi) =>
    values.map((v, si) => {
      if (Array.isArray(v)) {
        const events: Array<[number, number]> = [];
        for (const f of group) {
          const flat = f.p[pi]?.[si];
          if (Array.isArray(flat)) for (let k = 0; k + 1 < flat.length; k += 2) events.push([f.t + flat[k], flat[k + 1]]);
        }
        const flat: number[] = [];
        for (const [at, y] of selectPoints(events, MAX_POINTS_PER_SERIES)) flat.push(at - last.t, y);
        return flat;
      }
      if (v !== null && typeof v === 'object') {
        const out: Record<string, number> = {};
        for (const f of group) {
          const m = f.p[pi]?.[si];
          if (m && typeof m === 'object' && !Array.isArray(m)) for (const [k, x] of Object.entries(m)) out[k] = Math.max(out[k] ?? -Infinity, x);
        }
        return out;
      }
      let m: number | null = null;
      for (const f of group) {
        const x = f.p[pi]?.[si];
        if (typeof x === 'number') m = maxValue(m, x);
      }
      return m;
    }),
  );
  return { t: last.t, p, s: last.s };
}

function findingHtml(f: Finding): string {
  return `<div class="finding ${f.severity}" data-finding="${esc(f.id)}">
<h3>${f.severity === 'critical' ? 'Critical' : 'Warning'}: ${esc(f.title)}</h3>
<ul>${f.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>
<p class="next"><b>What to do next</b></p>
<ul>${f.next.map((n) => `<li>${adviceHtml(n)}</li>`).join('')}</ul>
</div>`;
}

/**
 * renderReport builds the report of `samples` (any order; at least one).
 * Throws TypeError/RangeError (ERR_MEMSTATS_INVALID_OPTION) for bad arguments,
 * and an Error naming the missing file when the dashboard's browser code or
 * uPlot is not installed.
 */
export function renderReport(samples: readonly Sample[], options?: ReportOptions): RenderedReport {
  if (!Array.isArray(samples) || samples.length === 0) throw invalidOption('range', 'samples', samples, 'a non-empty array of Samples');
  const o = optionsObject<ReportOptions>('options', options, REPORT_OPTIONS_NAMES);
  const maxPoints = numberOption('maxPoints', o.maxPoints, 4000, { integer: true, min: 100, max: 100_000 });
  const s = [...samples].sort((a, b) => a.timeMs - b.timeMs);
  const findings = diagnose(s, o.diagnose);

  const projector = createProjector();
  let frames = s.map((x) => projector.project(x));
  const k = Math.ceil(frames.length / maxPoints);
  if (k > 1) {
    const merged: Frame[] = [];
    for (let i = 0; i < frames.length; i += k) merged.push(mergeFrames(frames.slice(i, i + k)));
    frames = merged;
  }

  const first = s[0];
  const last = s[s.length - 1];
  const durationMs = last.timeMs - first.timeMs + first.windowMs;
  const intervals = s.map((x) => x.windowMs).sort((a, b) => a - b);
  const interval = intervals[intervals.length >> 1];
  let peakRss = 0;
  let peakHeap = 0;
  let maxDelay = 0;
  for (const x of s) {
    if (Number.isFinite(x.rssBytes)) peakRss = Math.max(peakRss, x.rssBytes);
    if (Number.isFinite(x.heapUsedBytes)) peakHeap = Math.max(peakHeap, x.heapUsedBytes);
    if (Number.isFinite(x.loopDelayMaxNs)) maxDelay = Math.max(maxDelay, x.loopDelayMaxNs);
  }
  // Summed sample by sample: MEMSTATS_RECORD appends, so one file may hold several runs, each counting from 0
  // (a total that goes down is a new process), and a field a recording lacks (NaN) counts as nothing.
  let gcs = 0;
  let gcNs = 0;
  let runs = 1;
  s.forEach((x, i) => {
    const prev = s[i - 1];
    if (prev && x.numGC < prev.numGC) runs++;
    const dGc = prev && x.numGC >= prev.numGC ? x.numGC - prev.numGC : x.gcCount;
    if (Number.isFinite(dGc)) gcs += dGc;
    gcNs += pauseSinceNs(x, prev);
  });
  const recordedMs = s.reduce((a, x) => a + (Number.isFinite(x.windowMs) ? x.windowMs : 0), 0);
  const title = `${o.source ?? 'recording'} — ${new Date(first.timeMs).toISOString().replace('T', ' ').slice(0, 19)} UTC, ${formatDuration(durationMs * 1e6)}`;
  const headHtml = `<section id="report-head">
<p><b>${esc(o.source ?? 'Recording')}</b>: ${s.length.toLocaleString('en-US')} samples about ${formatDuration(interval * 1e6)} apart, from ${esc(new Date(first.timeMs).toISOString())} to ${esc(new Date(last.timeMs).toISOString())} (${formatDuration(durationMs * 1e6)}).
Peak RSS ${formatBytes(peakRss)}, peak heap used ${formatBytes(peakHeap)}; ${gcs.toLocaleString('en-US')} GCs pausing ${formatDuration(gcNs)} (${formatPercent(gcNs / Math.max(1, recordedMs * 1e6))} of the ${formatDuration(recordedMs * 1e6)} recorded); longest event-loop delay ${formatDuration(maxDelay)}.${runs > 1 ? ` The file holds ${runs} runs (the counters start over ${runs - 1} time${runs > 2 ? 's' : ''}: a process restarted, appending to the same recording).` : ''}
Times in findings are offsets from the first sample.</p>
${k > 1 ? `<p>Charts: each point merges ${k} consecutive samples (their maximum; every GC event kept up to ${MAX_POINTS_PER_SERIES} per point and kind).</p>` : ''}
${o.note ? `<p>${esc(o.note)}</p>` : ''}
</section>`;
  const diagnosisHtml = `<section id="diagnosis">
<h2>Diagnosis</h2>
${
  findings.length === 0
    ? `<div class="finding ok" data-finding="none"><h3>Nothing stands out</h3><ul><li>GC under 10% of the time, no event-loop stall over 100 ms, no upward trend of the heap after GC, heap below 85% of its limit, RSS within twice the V8 heap (or within 128 MiB of it).</li></ul></div>`
    : findings.map(findingHtml).join('\n')
}
</section>`;
  const html = reportPage({
    title,
    headHtml,
    diagnosisHtml,
    config: dashboardConfig({ description: o.source ?? 'recording', pid: 0 }, DASHBOARD_PLOTS),
    frames,
  });
  return { html, findings };
}
