/**
 * Dashboard page: the one generic renderer. A PlotView draws any plot
 * description of the config (line, stacked or scatter; fixed series plus one
 * per key of a keyed map) with uPlot, from the frames held by the store. No
 * plot has code of its own: adding a plot is adding a description server-side
 * (src/dashboard/plots.ts).
 */
type WirePlot = import('../wire.js').WirePlot;
type WireStat = import('../wire.js').WireStat;

interface SeriesView {
  name: string;
  source: string;
  color: string;
  hidden: boolean;
  dash: boolean;
  points: boolean;
  overlay: boolean;
  /** For keyed series: the key in the frame's map. */
  key?: string;
}

/** Binary tick steps for byte axes: 1, 2, 4 … 512 × 1024^k. */
const BYTE_INCRS: number[] = (() => {
  const out: number[] = [];
  for (let k = 0; k < 6; k++) for (let m = 1; m <= 512; m *= 2) out.push(m * 1024 ** k);
  return out;
})();

class PlotView {
  readonly card: HTMLElement;
  private readonly body: HTMLElement;
  private chart: uPlot | undefined;
  private signature = '';
  private series: SeriesView[] = [];
  /** Raw (unstacked) values per series, for the legend. */
  private raw: Array<Array<number | null>> = [];
  /** Legend toggles by series name, kept across rebuilds. */
  private readonly shown = new Map<string, boolean>();
  private zoomed = false;
  private hovering = false;
  private lastFrames: Frame[] = [];

  constructor(
    readonly plot: WirePlot,
    readonly index: number,
    parent: HTMLElement,
  ) {
    const help = el('p', { class: 'help' }, plot.help);
    this.body = el('div', { class: 'chart' });
    this.card = el('section', { class: 'card', 'data-plot': plot.id, 'data-frames': '0' }, el('h2', {}, plot.title), this.body, help);
    if (plot.optional) this.card.hidden = true;
    parent.append(this.card);
    new ResizeObserver(() => this.resize()).observe(this.body);
  }

  private width(): number {
    return Math.max(200, Math.floor(this.body.clientWidth));
  }

  private resize(): void {
    if (this.chart && this.body.clientWidth > 0 && Math.abs(this.chart.width - this.width()) > 1) this.chart.setSize({ width: this.width(), height: 220 });
  }

  /** The series for these frames: the fixed ones, then one per key seen (in order of first appearance). */
  private seriesFor(frames: Frame[]): SeriesView[] {
    const out: SeriesView[] = this.plot.series.map((s, i) => ({
      name: s.name,
      source: s.source,
      color: s.color ?? PALETTE[i % PALETTE.length],
      hidden: s.hidden === true,
      dash: s.dash === true,
      points: s.points === true,
      overlay: s.overlay === true,
    }));
    if (this.plot.keyed) {
      const keys = new Set<string>();
      const at = this.plot.series.length;
      for (const f of frames) {
        const m = f.p[this.index]?.[at];
        // Keys that were always 0 (V8's empty shared and read-only spaces) only clutter the legend.
        if (m && typeof m === 'object' && !Array.isArray(m)) for (const [k, v] of Object.entries(m)) if (v !== 0) keys.add(k);
      }
      let c = out.length;
      for (const k of keys) {
        out.push({ name: k, source: `${this.plot.keyed.source}[${JSON.stringify(k)}]`, color: PALETTE[c++ % PALETTE.length], hidden: false, dash: false, points: false, overlay: false, key: k });
      }
    }
    return out;
  }

  /** update redraws the plot from `frames` (oldest first). */
  update(frames: Frame[]): void {
    this.lastFrames = frames;
    const series = this.seriesFor(frames);
    const idx = this.index;
    const keyedAt = this.plot.series.length;
    const value = (f: Frame, s: SeriesView, i: number): number | null => {
      const p = f.p[idx];
      if (!p) return null;
      if (s.key !== undefined) {
        const m = p[keyedAt];
        return m && typeof m === 'object' && !Array.isArray(m) ? ((m as Record<string, number>)[s.key] ?? null) : null;
      }
      const v = p[i];
      return typeof v === 'number' ? v : null;
    };

    // x: the frames' times, plus each event's own time in a scatter plot (uPlot aligns all series on one x).
    let xs: number[];
    const rowOf = new Map<number, number>();
    const hasPoints = series.some((s) => s.points);
    if (hasPoints) {
      const times = new Set<number>();
      for (const f of frames) {
        times.add(f.t);
        series.forEach((s, i) => {
          if (!s.points) return;
          const flat = f.p[idx]?.[i];
          if (Array.isArray(flat)) for (let k = 0; k + 1 < flat.length; k += 2) times.add(f.t + flat[k]);
        });
      }
      xs = [...times].sort((a, b) => a - b);
    } else {
      xs = frames.map((f) => f.t);
    }
    xs.forEach((t, i) => rowOf.set(t, i));

    const raw: Array<Array<number | null>> = series.map(() => new Array<number | null>(xs.length).fill(null));
    let framesWithData = 0;
    for (const f of frames) {
      let any = false;
      const row = rowOf.get(f.t)!;
      series.forEach((s, i) => {
        if (s.points) {
          const flat = f.p[idx]?.[i];
          if (Array.isArray(flat)) {
            for (let k = 0; k + 1 < flat.length; k += 2) {
              const r = rowOf.get(f.t + flat[k])!;
              const prev = raw[i][r];
              raw[i][r] = prev === null ? flat[k + 1] : Math.max(prev, flat[k + 1]);
              any = true;
            }
          }
          return;
        }
        const v = value(f, s, i);
        raw[i][row] = v;
        if (v !== null) any = true;
      });
      if (any) framesWithData++;
    }
    this.raw = raw;
    this.card.dataset.frames = String(framesWithData);
    if (this.plot.optional && framesWithData === 0) {
      this.card.hidden = true;
      return;
    }
    this.card.hidden = false;

    const signature = series.map((s) => s.name).join('\u0000');
    if (signature !== this.signature || !this.chart) {
      this.signature = signature;
      this.series = series;
      this.build(xs, raw);
    } else {
      this.chart.setData(this.dataFor(xs, raw), !this.zoomed);
    }
  }

  /** The legend shows the cursor's values while hovering, else each series' latest value. */
  private showLatest(u: uPlot | undefined = this.chart): void {
    if (!u) return;
    const n = u.data[0]?.length ?? 0;
    if (n === 0) return;
    const idxs: Array<number | null> = [n - 1];
    for (const vals of this.raw) {
      let j = vals.length - 1;
      while (j >= 0 && vals[j] === null) j--;
      idxs.push(j >= 0 ? j : null);
    }
    u.setLegend({ idxs }, false);
  }

  /** Aligned data for uPlot: x in seconds; stacked series cumulative over the shown ones below them. */
  private dataFor(xs: number[], raw: Array<Array<number | null>>): uPlot.AlignedData {
    const x = xs.map((t) => t / 1000);
    if (this.plot.type !== 'stacked') return [x, ...raw];
    const acc = new Array<number>(xs.length).fill(0);
    const out = raw.map((vals, i) => {
      const s = this.series[i];
      if (s.overlay || !this.isShown(s)) return vals;
      return vals.map((v, j) => {
        if (v === null) return null;
        acc[j] += v;
        return acc[j];
      });
    });
    return [x, ...out];
  }

  private isShown(s: SeriesView): boolean {
    return this.shown.get(s.name) ?? !s.hidden;
  }

  /** Bands fill between each stacked series and the shown one below it. */
  private bands(): uPlot.Band[] {
    if (this.plot.type !== 'stacked') return [];
    const bands: uPlot.Band[] = [];
    let below = -1;
    this.series.forEach((s, i) => {
      if (s.overlay || !this.isShown(s)) return;
      if (below >= 0) bands.push({ series: [i + 1, below + 1], fill: withAlpha(s.color, 0.35) });
      below = i;
    });
    return bands;
  }

  private build(xs: number[], raw: Array<Array<number | null>>): void {
    this.chart?.destroy();
    // A rebuilt chart starts unzoomed: a zoom kept on would freeze its x-range from here on.
    this.zoomed = false;
    const unit = this.plot.unit;
    const stacked = this.plot.type === 'stacked';
    const seriesOpts: uPlot.Series[] = [
      { value: (_u, v) => (v === null ? '–' : fmtClock(v * 1000)) },
      ...this.series.map((s, i): uPlot.Series => {
        const o: uPlot.Series = {
          label: s.name,
          stroke: s.color,
          width: s.overlay ? 1.75 : 1.5,
          show: this.isShown(s),
          value: (_u, _v, _si, di) => (di === null || di === undefined ? '–' : fmtValue(this.raw[i]?.[di] ?? null, unit)),
        };
        if (s.dash) o.dash = [6, 4];
        if (s.points) {
          o.paths = () => null;
          o.points = { show: true, size: 6, stroke: s.color, fill: s.color, width: 0 };
        } else {
          o.points = { show: false };
          // Lines of a scatter plot have values only at frame times: join them across the events' rows.
          o.spanGaps = this.plot.type === 'scatter';
        }
        if (stacked && !s.overlay) o.fill = withAlpha(s.color, 0.35);
        return o;
      }),
    ];
    const opts: uPlot.Options = {
      width: this.width(),
      height: 220,
      series: seriesOpts,
      bands: this.bands(),
      scales: {
        x: { time: true },
        y: { range: (_u, min, max) => [Math.min(0, min ?? 0), max !== null && max > 0 ? max * 1.05 : 1] },
      },
      axes: [
        { stroke: '#555' },
        {
          stroke: '#555',
          size: 74,
          values: (_u, ticks) => ticks.map((t) => fmtValue(t, unit)),
          ...(unit === 'bytes' || unit === 'bytes/s' ? { incrs: BYTE_INCRS } : {}),
        },
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      hooks: {
        setSeries: [
          (u, si) => {
            if (si === null || si === undefined || si < 1) return;
            const s = this.series[si - 1];
            if (s) this.shown.set(s.name, u.series[si].show !== false);
            if (stacked) {
              // Restack without the hidden series: the others close the gap.
              u.delBand(null);
              for (const b of this.bands()) u.addBand(b);
              this.update(this.lastFrames);
            }
          },
        ],
        // uPlot blanks the legend whenever the cursor is off the plot (after each redraw too): put the latest values back.
        // (showLatest's own setLegend does not fire this hook again.)
        setLegend: [
          (u) => {
            if (!this.hovering) this.showLatest(u);
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width > 0) this.zoomed = true;
          },
        ],
      },
    };
    this.chart = new uPlot(opts, this.dataFor(xs, raw), this.body);
    // uPlot zooms to the dragged range and a double-click resets it; live data must not undo the zoom meanwhile.
    this.chart.over.addEventListener('dblclick', () => {
      this.zoomed = false;
    });
    this.chart.over.addEventListener('mouseenter', () => {
      this.hovering = true;
    });
    this.chart.over.addEventListener('mouseleave', () => {
      this.hovering = false;
      this.showLatest();
    });
    for (const [i, s] of this.series.entries()) {
      const label = this.chart.root.querySelectorAll('.u-legend .u-series')[i + 1];
      if (label) label.setAttribute('title', s.source);
    }
  }
}

/** The summary strip: the latest value of each stat. */
class StatsView {
  private readonly cells: HTMLElement[] = [];

  constructor(
    private readonly stats: WireStat[],
    parent: HTMLElement,
  ) {
    parent.replaceChildren();
    for (const s of stats) {
      const value = el('span', { class: 'value' }, '–');
      const cell = el('div', { class: 'stat', 'data-stat': s.id, title: s.source }, el('span', { class: 'label' }, s.label), value);
      parent.append(cell);
      this.cells.push(cell);
    }
  }

  update(frame: Frame | undefined): void {
    this.stats.forEach((s, i) => {
      const v = frame ? frame.s[i] : null;
      const cell = this.cells[i];
      cell.dataset.value = v === null || v === undefined ? '' : String(v);
      cell.querySelector('.value')!.textContent = fmtValue(v, s.unit);
    });
  }
}
