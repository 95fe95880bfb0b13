/**
 * @module dashboard/wire
 * What the dashboard stream sends, as types only (no values: the browser code
 * reads these through `import('../wire.js')` type queries and must not pull a
 * module into its bundle).
 *
 * The stream is Server-Sent Events:
 * - `event: config` once: a {@link DashboardConfig} (the plot descriptions);
 * - `event: backlog` once: a JSON array of {@link Frame}s, the recent past
 *   (ten minutes), oldest first;
 * - `event: sample` per tick: one {@link Frame}.
 *
 * A frame is a compact projection of a Sample: for each plot, the values of
 * its series in order, so the page needs no knowledge of Sample fields.
 */

/** Unit of a plot's y axis; the page formats ticks and legends by it. */
export type PlotUnit = 'bytes' | 'bytes/s' | 'ns' | 'ms' | 'fraction' | 'count' | 'count/s';

/**
 * How a plot draws its series: `line`; `stacked` (areas stacked in series
 * order, series marked `overlay` drawn as lines on top); `scatter` (series
 * marked `points` are events at their own times; others are lines).
 */
export type PlotType = 'line' | 'stacked' | 'scatter';

/** One series of a plot, as the page receives it. */
export interface WireSeries {
  /** Legend text. */
  name: string;
  /** The Sample field or the expression the value comes from (shown as the legend's tooltip). */
  source: string;
  /** CSS colour; default: the next colour of the palette. */
  color?: string;
  /** Hidden until clicked in the legend (e.g. the heap limit, which flattens the other lines). */
  hidden?: boolean;
  /** Dashed line. */
  dash?: boolean;
  /** Events with their own times: the frame value is `[dtMs, y, dtMs, y, …]`, dt relative to the frame's `t`. */
  points?: boolean;
  /** In a stacked plot: a line drawn over the stack, not part of it (e.g. RSS over its parts). */
  overlay?: boolean;
}

/** One plot, as the page receives it. */
export interface WirePlot {
  /** Stable id (CSS and test hook). */
  id: string;
  title: string;
  /** One or two sentences: what the plot shows and how to read it. */
  help: string;
  unit: PlotUnit;
  type: PlotType;
  series: WireSeries[];
  /**
   * One more series per key of a map (heap spaces, resource types, recycler
   * counters): the frame's last value for this plot is `{ key: value }`.
   * `source` names the map.
   */
  keyed?: { source: string };
  /** Shown only once a frame carried a value for it (e.g. the recycler, which exists only in some programs). */
  optional?: boolean;
}

/** One figure of the summary strip. */
export interface WireStat {
  id: string;
  label: string;
  unit: PlotUnit;
  source: string;
}

/** `event: config`. */
export interface DashboardConfig {
  version: 1;
  /** The process watched: `local` or a remote description, and its pid. */
  target: { description: string; pid: number };
  /** History the server keeps and the page shows, ms. */
  historyMs: number;
  plots: WirePlot[];
  stats: WireStat[];
}

/** Values of one plot in one frame: one entry per series, plus the key map last if the plot is keyed. */
export type FramePlotValues = Array<number | null | number[] | Record<string, number>>;

/** `event: sample` (and each element of `event: backlog`). */
export interface Frame {
  /** Time of the sample, ms since the Unix epoch. */
  t: number;
  /** Per plot, in config order. */
  p: FramePlotValues[];
  /** Per stat, in config order. */
  s: Array<number | null>;
}
