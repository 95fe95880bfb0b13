/**
 * @module report/svg-chart
 * Line charts as inline SVG strings, with no script and no external resource:
 * any number of series on a shared x axis, each on the left or the right y axis
 * (two units on one chart, like the seed's graphs: bytes on the left, counts on
 * the right), nice ticks, grid, legend, and gaps where a value is missing.
 * Long series are thinned to a min/max per pixel column, so the shape (and
 * every spike) survives while the SVG stays small.
 */

/** One line of a chart. */
export interface ChartSeries {
  /** Legend text. */
  name: string;
  /** y values, one per x; `null`, `undefined` or a non-finite number leaves a gap. */
  values: ReadonlyArray<number | null | undefined>;
  /** Axis the series is read against. Default `'left'`. */
  axis?: 'left' | 'right';
  /** Stroke colour (any CSS colour). Default: the next colour of a colour-blind-safe palette. */
  color?: string;
  /** SVG stroke-dasharray, e.g. `'6 3'`. Default solid. */
  dash?: string;
  /** Stroke width, px. Default 1.75. */
  widthPx?: number;
}

/** A y axis (or the x axis). */
export interface ChartAxis {
  /** Text beside the axis. */
  label?: string;
  /** Formats a tick value. Default: compact numbers (1.5k, 2M). */
  format?: (value: number) => string;
  /** Fixed bounds; default from the data (the y axes include 0). */
  min?: number;
  max?: number;
  /** Ticks at round multiples of 1024^k (for bytes: 100M, 200M rather than 95.37M). Default false. */
  binary?: boolean;
}

/** Options of {@link renderLineChart}. */
export interface LineChartOptions {
  /** Heading drawn above the plot (also the SVG's accessible title). */
  title?: string;
  /** x values, ascending; series values are aligned with them. */
  x: ReadonlyArray<number>;
  xAxis?: ChartAxis;
  left?: ChartAxis;
  right?: ChartAxis;
  series: ReadonlyArray<ChartSeries>;
  /** Size of the whole SVG, px. Defaults 860 × 380. */
  widthPx?: number;
  heightPx?: number;
}

/** Okabe–Ito: distinguishable with every common colour-vision deficiency. */
export const CHART_PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** escapeXml makes text safe inside SVG/HTML text and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** compactNumber renders 1234 as `1.23k`, 5e6 as `5M`: the default tick format. */
export function compactNumber(v: number): string {
  const a = Math.abs(v);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [n, u] of units) if (a >= n) return `${trim(v / n)}${u}`;
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** niceTicks returns about `count` round tick values covering [min, max] (1, 2, 2.5 or 5 × 10^k apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let t = start; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/** axisTicks: niceTicks, in units of 1024^k when the axis is binary. */
function axisTicks(min: number, max: number, count: number, binary: boolean | undefined): number[] {
  if (!binary) return niceTicks(min, max, count);
  const span = Math.max(Math.abs(min), Math.abs(max));
  const unit = span >= 1024 ? 1024 ** Math.floor(Math.log(span) / Math.log(1024)) : 1;
  return niceTicks(min / unit, max / unit, count).map((t) => t * unit);
}

/** Rough rendered width of 12px sans-serif text, px (no font metrics in a string renderer). */
function textWidth(text: string): number {
  return text.length * 6.6;
}

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function bounds(series: ReadonlyArray<ChartSeries>, axis: ChartAxis | undefined, includeZero: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (!finite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) [lo, hi] = [0, 1];
  if (includeZero) [lo, hi] = [Math.min(0, lo), Math.max(0, hi)];
  if (axis?.min !== undefined) lo = axis.min;
  if (axis?.max !== undefined) hi = axis.max;
  if (hi <= lo) hi = lo + 1;
  return [lo, hi];
}

/**
 * Thins one series to at most two points (min and max, in x order) per pixel
 * column, splitting into runs at gaps. Returns polyline point lists.
 */
function project(xs: ReadonlyArray<number>, ys: ReadonlyArray<number | null | undefined>, px: (x: number) => number, py: (y: number) => number): string[] {
  const runs: string[] = [];
  let pts: string[] = [];
  let col = NaN;
  let minI = -1;
  let maxI = -1;
  const flush = (): void => {
    if (minI < 0) return;
    const order = minI === maxI ? [minI] : minI < maxI ? [minI, maxI] : [maxI, minI];
    for (const i of order) pts.push(`${px(xs[i]).toFixed(1)},${py(ys[i] as number).toFixed(1)}`);
    minI = maxI = -1;
  };
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (!finite(y) || !finite(xs[i])) {
      flush();
      if (pts.length > 0) runs.push(pts.join(' '));
      pts = [];
      col = NaN;
      continue;
    }
    const c = Math.round(px(xs[i]));
    if (c !== col) {
      flush();
      col = c;
    }
    if (minI < 0 || y < (ys[minI] as number)) minI = i;
    if (maxI < 0 || y > (ys[maxI] as number)) maxI = i;
  }
  flush();
  if (pts.length > 0) runs.push(pts.join(' '));
  return runs;
}

/**
 * renderLineChart returns one `<svg>` element (a string) drawing `series`
 * against `x`: left and right y axes with nice ticks, a grid, a legend and the
 * title. Self-contained (no script, font or link), so it can be inlined in an
 * HTML page or saved as an .svg file. Text is escaped. Never throws on data:
 * empty or all-missing series draw an empty plot.
 */
export function renderLineChart(opts: LineChartOptions): string {
  const width = opts.widthPx ?? 860;
  const height = opts.heightPx ?? 380;
  const leftSeries = opts.series.filter((s) => (s.axis ?? 'left') === 'left');
  const rightSeries = opts.series.filter((s) => s.axis === 'right');
  const hasRight = rightSeries.length > 0;
  // Legend entries flow left to right and wrap; their positions fix the top margin.
  const legendLeft = 78;
  const legendTop = (opts.title ? 30 : 10) + 4;
  const legend: { s: ChartSeries; i: number; x: number; row: number; text: string }[] = [];
  let lx = legendLeft;
  let row = 0;
  opts.series.forEach((s, i) => {
    const side = hasRight ? (s.axis === 'right' ? ' (right)' : ' (left)') : '';
    const text = s.name + side;
    const w = 28 + textWidth(text) + 18;
    if (lx > legendLeft && lx + w > width - 10) {
      row++;
      lx = legendLeft;
    }
    legend.push({ s, i, x: lx, row, text });
    lx += w;
  });
  const legendRows = opts.series.length > 0 ? row + 1 : 0;
  const m = { top: legendTop + legendRows * 18 + 8, right: hasRight ? 78 : 20, bottom: 46, left: 78 };
  const pw = Math.max(10, width - m.left - m.right);
  const ph = Math.max(10, height - m.top - m.bottom);

  const xsFinite = opts.x.filter(finite);
  let x0 = opts.xAxis?.min ?? (xsFinite.length ? Math.min(...xsFinite) : 0);
  let x1 = opts.xAxis?.max ?? (xsFinite.length ? Math.max(...xsFinite) : 1);
  if (x1 <= x0) x1 = x0 + 1;
  const xTicks = niceTicks(x0, x1, 8).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);

  const [l0raw, l1raw] = bounds(leftSeries, opts.left, true);
  const lTicks = axisTicks(l0raw, l1raw, 5, opts.left?.binary);
  const [l0, l1] = [lTicks[0], lTicks[lTicks.length - 1]];
  const [r0raw, r1raw] = bounds(rightSeries, opts.right, true);
  const rTicks = axisTicks(r0raw, r1raw, 5, opts.right?.binary);
  const [r0, r1] = [rTicks[0], rTicks[rTicks.length - 1]];

  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * pw;
  const pyL = (y: number): number => m.top + ph - ((y - l0) / (l1 - l0)) * ph;
  const pyR = (y: number): number => m.top + ph - ((y - r0) / (r1 - r0)) * ph;
  const fx = opts.xAxis?.format ?? compactNumber;
  const fl = opts.left?.format ?? compactNumber;
  const fr = opts.right?.format ?? compactNumber;

  const out: string[] = [];
  const title = opts.title ? escapeXml(opts.title) : 'line chart';
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`);
  out.push(`<title>${title}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  if (opts.title) out.push(`<text x="${m.left}" y="20" font-size="15" font-weight="600" fill="#222">${title}</text>`);

  // Grid and left ticks.
  out.push('<g stroke="#e6e6e6" stroke-width="1">');
  for (const t of lTicks) out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${pyL(t).toFixed(1)}" y2="${pyL(t).toFixed(1)}"/>`);
  for (const t of xTicks) out.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${m.top}" y2="${m.top + ph}"/>`);
  out.push('</g>');
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push('<g fill="#444">');
  for (const t of lTicks) out.push(`<text x="${m.left - 6}" y="${(pyL(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(fl(t))}</text>`);
  if (hasRight) for (const t of rTicks) out.push(`<text x="${m.left + pw + 6}" y="${(pyR(t) + 4).toFixed(1)}">${escapeXml(fr(t))}</text>`);
  for (const t of xTicks) out.push(`<text x="${px(t).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${escapeXml(fx(t))}</text>`);
  out.push('</g>');
  if (opts.xAxis?.label) out.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle" fill="#333">${escapeXml(opts.xAxis.label)}</text>`);
  if (opts.left?.label) {
    out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(opts.left.label)}</text>`);
  }
  if (hasRight && opts.right?.label) {
    out.push(`<text transform="translate(${width - 12} ${m.top + ph / 2}) rotate(90)" text-anchor="middle" fill="#333">${escapeXml(opts.right.label)}</text>`);
  }

  // Lines.
  opts.series.forEach((s, i) => {
    const color = escapeXml(s.color ?? CHART_PALETTE[i % CHART_PALETTE.length]);
    const py = s.axis === 'right' ? pyR : pyL;
    const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
    const runs = project(opts.x, s.values, px, py);
    out.push(`<g fill="none" stroke="${color}" stroke-width="${s.widthPx ?? 1.75}" stroke-linejoin="round"${dash}><title>${escapeXml(s.name)}</title>`);
    for (const r of runs) out.push(`<polyline points="${r}"/>`);
    out.push('</g>');
  });

  // Legend.
  for (const e of legend) {
    const color = escapeXml(e.s.color ?? CHART_PALETTE[e.i % CHART_PALETTE.length]);
    const ly = legendTop + e.row * 18;
    const dash = e.s.dash ? ` stroke-dasharray="${escapeXml(e.s.dash)}"` : '';
    out.push(`<line x1="${e.x}" x2="${e.x + 22}" y1="${ly + 6}" y2="${ly + 6}" stroke="${color}" stroke-width="3"${dash}/>`);
    out.push(`<text x="${e.x + 28}" y="${ly + 10}" fill="#222">${escapeXml(e.text)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
