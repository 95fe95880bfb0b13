/**
 * Dashboard page: numbers to text by unit (axis ticks, legends, the summary
 * strip). Binary units for bytes (MiB), SI-style steps for durations.
 */
type PlotUnit = import('../wire.js').PlotUnit;

function trimNumber(v: number, digits: number): string {
  return String(Number(v.toFixed(digits)));
}

/** fmtBytes: `512 B`, `1.5 KiB`, `12.3 MiB`, `1.25 GiB`. */
function fmtBytes(b: number): string {
  const a = Math.abs(b);
  if (a < 1024) return `${Math.round(b)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = b / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trimNumber(v, Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)} ${units[i]}`;
}

/** fmtNs: `850 ns`, `12.5 µs`, `3.2 ms`, `1.5 s`. */
function fmtNs(ns: number): string {
  const a = Math.abs(ns);
  if (a === 0) return '0';
  if (a < 1e3) return `${trimNumber(ns, 0)} ns`;
  if (a < 1e6) return `${trimNumber(ns / 1e3, a < 1e4 ? 2 : 1)} µs`;
  if (a < 1e9) return `${trimNumber(ns / 1e6, a < 1e7 ? 2 : 1)} ms`;
  return `${trimNumber(ns / 1e9, 2)} s`;
}

/** fmtMs: a duration in ms, as `850 ms`, `12.5 s`, `3m 05s`, `2h 03m`. */
function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${trimNumber(s, 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** fmtCount: `12`, `1,234`, `1.2M`. */
function fmtCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e7) return `${trimNumber(n / 1e6, 1)}M`;
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return trimNumber(n, a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/** fmtValue renders `v` in `unit`; `–` for a missing value. */
function fmtValue(v: number | null | undefined, unit: PlotUnit): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'bytes':
      return fmtBytes(v);
    case 'bytes/s':
      return `${fmtBytes(v)}/s`;
    case 'ns':
      return fmtNs(v);
    case 'ms':
      return fmtMs(v);
    case 'fraction':
      return `${trimNumber(v * 100, Math.abs(v) < 0.1 ? 2 : 1)}%`;
    case 'count/s':
      return `${fmtCount(v)}/s`;
    case 'count':
      return fmtCount(v);
  }
}

/** fmtClock: `14:03:27` in local time, for ms since the epoch. */
function fmtClock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

/** Okabe–Ito, then more: distinguishable with common colour-vision deficiencies. */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442', '#8C564B', '#7F7F7F', '#17BECF', '#BCBD22'];

/** withAlpha turns `#rrggbb` into `rgba(r,g,b,a)`. */
function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

/** el creates an element with attributes and children (text or nodes). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}
