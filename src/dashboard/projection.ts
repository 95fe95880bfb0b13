/**
 * @module dashboard/projection
 * Samples to frames: the compact projection of a Sample the dashboard stream
 * sends (and `memstats report` embeds) — for each plot of DASHBOARD_PLOTS the
 * values of its series, rounded to what a chart can show, and the summary
 * figures. About 550 bytes of JSON per tick where a whole Sample is ~1.5 KB
 * (bench/dashboard-stream.ts measures both).
 *
 * A projector is stateful (rates need the previous sample, p99 the last 256
 * pauses): feed it every sample of one source, in time order.
 */
import type { Sample } from '../sampler/sample.js';
import { DASHBOARD_PLOTS, DASHBOARD_STATS, wirePlots, wireStats, type PlotDescription, type ProjectionState, type StatDescription } from './plots.js';
import type { DashboardConfig, Frame, FramePlotValues } from './wire.js';

/** GC events sent per plot series per frame at most: a burst of 256 scavenges would otherwise be ~3 KB. */
export const MAX_POINTS_PER_SERIES = 24;

/** How much history the stream keeps and the page shows, ms (ten minutes, statsviz's default). */
export const DASHBOARD_HISTORY_MS = 10 * 60_000;

const PAUSE_RING = 256;

/**
 * compactValue rounds a value for the wire: integers stay exact (byte and GC
 * counts must be true), large non-integers become integers, small ones keep 4
 * significant digits. Non-finite values become null (a gap).
 */
export function compactValue(v: number | null | undefined): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  if (Number.isInteger(v)) return v;
  if (Math.abs(v) >= 100) return Math.round(v);
  return Number(v.toPrecision(4));
}

/**
 * selectPoints keeps at most `max` events: the longest half, and an even
 * spread of the rest, so a burst's outliers always show and its bulk is
 * represented. Returned in time order.
 */
export function selectPoints(points: Array<[number, number]>, max: number): Array<[number, number]> {
  if (points.length <= max) return points;
  const byValue = points.map((p, i) => [p[1], i] as const).sort((a, b) => b[0] - a[0]);
  const keep = new Set<number>();
  const top = Math.ceil(max / 2);
  for (let k = 0; k < top; k++) keep.add(byValue[k][1]);
  const rest = byValue.slice(top).map(([, i]) => i).sort((a, b) => a - b);
  const spread = max - top;
  for (let k = 0; k < spread; k++) keep.add(rest[Math.floor(((k + 0.5) * rest.length) / spread)]);
  return [...keep].sort((a, b) => a - b).map((i) => points[i]);
}

/** A stateful Sample → Frame function. */
export interface Projector {
  /** project returns the frame of `sample`; call it with every sample, in time order. */
  project(sample: Sample): Frame;
  /** The descriptions it projects. */
  readonly plots: readonly PlotDescription[];
  readonly stats: readonly StatDescription[];
}

/** createProjector returns a projector for `plots` and `stats` (default: the dashboard's). */
export function createProjector(plots: readonly PlotDescription[] = DASHBOARD_PLOTS, stats: readonly StatDescription[] = DASHBOARD_STATS): Projector {
  const ring = new Float64Array(PAUSE_RING);
  let ringCount = 0;
  let prev: Sample | undefined;
  const state: ProjectionState = { prev: undefined, recentPausesNs: [] };

  const project = (s: Sample): Frame => {
    // The pause ring first: this sample's p99 includes its own GCs.
    if (s.gcPauses.length > 0) {
      for (const [, pauseNs] of s.gcPauses) ring[ringCount++ % PAUSE_RING] = pauseNs;
      state.recentPausesNs = Array.from(ring.subarray(0, Math.min(ringCount, PAUSE_RING)));
    }
    state.prev = prev;
    const t = s.timeMs;
    const p: FramePlotValues[] = plots.map((plot) => {
      const values: FramePlotValues = plot.series.map((d) => {
        if (d.points) {
          const flat: number[] = [];
          for (const [at, y] of selectPoints(d.points(s, state), MAX_POINTS_PER_SERIES)) flat.push(Math.round(at - t), compactValue(y) ?? 0);
          return flat;
        }
        const v = d.value ? d.value(s, state) : (s as unknown as Record<string, unknown>)[d.source];
        return compactValue(typeof v === 'number' ? v : null);
      });
      if (plot.keyed) {
        const map = plot.keyed.read(s, state) ?? {};
        const out: Record<string, number> = {};
        for (const [k, v] of Object.entries(map)) {
          const c = compactValue(v);
          if (c !== null) out[k] = c;
        }
        values.push(out);
      }
      return values;
    });
    const sv = stats.map((d) => {
      const v = d.value ? d.value(s) : (s as unknown as Record<string, unknown>)[d.source];
      return compactValue(typeof v === 'number' ? v : null);
    });
    prev = s;
    return { t: Math.round(t), p, s: sv };
  };

  return { project, plots, stats };
}

/** dashboardConfig builds the `event: config` payload for a target process. */
export function dashboardConfig(target: { description: string; pid: number }, plots: readonly PlotDescription[] = DASHBOARD_PLOTS, stats: readonly StatDescription[] = DASHBOARD_STATS): DashboardConfig {
  return { version: 1, target: { description: target.description, pid: target.pid }, historyMs: DASHBOARD_HISTORY_MS, plots: wirePlots(plots), stats: wireStats(stats) };
}
