/**
 * @module report/format
 * Human-readable sizes and durations, as the seed's toH/toS: two decimals and a
 * one-letter unit — without toH's bug that printed garbage below 1024 bytes.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * formatBytes renders a byte count with binary units: `512B`, `1.00K`, `3.25M`,
 * `1.50G` (K = 1024). Negative values keep their sign; non-finite values print as is.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  const b = Math.abs(bytes);
  if (b < KiB) return `${sign}${Math.round(b)}B`;
  if (b < MiB) return `${sign}${(b / KiB).toFixed(2)}K`;
  if (b < GiB) return `${sign}${(b / MiB).toFixed(2)}M`;
  return `${sign}${(b / GiB).toFixed(2)}G`;
}

/**
 * formatDuration renders nanoseconds: `0`, `850.00ns`, `12.50µs`, `3.20ms`,
 * `1.50s`, `2.00m`, `1.25h`. Negative values keep their sign; non-finite print as is.
 */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns === 0) return '0';
  const sign = ns < 0 ? '-' : '';
  const u = Math.abs(ns);
  if (u < 1e3) return `${sign}${u.toFixed(2)}ns`;
  if (u < 1e6) return `${sign}${(u / 1e3).toFixed(2)}µs`;
  if (u < 1e9) return `${sign}${(u / 1e6).toFixed(2)}ms`;
  if (u < 60e9) return `${sign}${(u / 1e9).toFixed(2)}s`;
  if (u < 3600e9) return `${sign}${(u / 60e9).toFixed(2)}m`;
  return `${sign}${(u / 3600e9).toFixed(2)}h`;
}

/** formatPercent renders a 0…1 fraction as `12.34%`. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return String(fraction);
  return `${(fraction * 100).toFixed(2)}%`;
}
