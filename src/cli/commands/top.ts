/**
 * @module cli/commands/top
 * `memstats top <target>`: a live terminal view of a running process,
 * refreshed each second — heap and RSS broken down, GC count and rate, pause
 * p50/p99/max, GC CPU, allocation rate, event-loop delay and utilization,
 * live resources by type, recycler counters. `q` quits. When stdout is not a
 * terminal it prints one plain line per second instead (or JSON with
 * --json). Honours NO_COLOR.
 *
 * The figures come from the dashboard's frames (the same projection the
 * dashboard page draws), from a pid's samples or a URL's stream alike.
 */
import { parseCommandArgs, intFlag, type Command, type CommandIO } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseOnlyTarget, timeoutMs, withTarget } from '../target.js';
import { formatBytes, formatDuration, formatPercent } from '../../report/format.js';
import type { DashboardConfig, Frame } from '../../dashboard/wire.js';
import type { AttachError } from '../../attach/errors.js';

const usage = `Usage: memstats top <target> [-n N] [--json]

A live view of a running Node.js process, refreshed every second: RSS and
what it is made of, the V8 heap and its spaces, GC cycles and their rate,
pause p50/p99/max, GC CPU share, allocation rate, event-loop delay and
utilization, CPU, live resources by type, and the buffer recycler's counters
when the program uses one. Press q (or Ctrl-C) to quit.

When stdout is not a terminal, one plain line per second is printed instead
(or one JSON object per line with --json). NO_COLOR=1 turns colours off.

${TARGET_HELP}

Options:
  -n, --iterations N  stop after N refreshes (default: until q)
  --json              one JSON object of the figures per second
${TARGET_OPTIONS_HELP}
  -h, --help          this text

Pause percentiles are over the last 256 GC cycles received (in a burst of
more than 24 cycles of a kind in one second, the longest half and an even
spread of the rest are sent). GC counts of a pid start when memstats attaches;
its event-loop delay is measured by a timer every 50 ms (in-process: 10 ms), so
stalls shorter than that show only when a tick falls within them.

Examples:
  memstats top 12345
  memstats top http://127.0.0.1:6060
  memstats top 12345 -n 5 > top.log
`;

/** The figures top shows, read from one frame (and the previous one, for rates). */
export interface TopFigures {
  timeMs: number;
  uptimeMs: number | null;
  rssBytes: number | null;
  /** RSS parts: V8 heap (code excluded), code, external, other native. */
  rssParts: { heap: number | null; code: number | null; external: number | null; other: number | null };
  heapUsedBytes: number | null;
  heapCommittedBytes: number | null;
  heapResidentBytes: number | null;
  heapLimitBytes: number | null;
  spaces: Record<string, number>;
  numGC: number | null;
  numMajorGC: number | null;
  numForcedGC: number | null;
  gcPerSecond: number | null;
  pauseP50Ns: number | null;
  pauseP99Ns: number | null;
  pauseMaxNs: number | null;
  /** Go's GCCPUFraction over the window (GC time over all available CPUs). */
  gcCpuFraction: number | null;
  /** Share of the window JavaScript was paused by GC. */
  gcPausedFraction: number | null;
  allocBytesPerSecond: number | null;
  loopDelayP50Ns: number | null;
  loopDelayP99Ns: number | null;
  loopDelayMaxNs: number | null;
  loopUtilization: number | null;
  cpuUser: number | null;
  cpuSystem: number | null;
  resourcesTotal: number | null;
  resources: Record<string, number>;
  /** Per-second recycler counters and idle bytes, when the program has a recycler. */
  recycler: Record<string, number> | null;
}

type Cell = number | null | number[] | Record<string, number> | undefined;

/**
 * TopModel turns dashboard frames into TopFigures: it finds each figure by
 * the plot id and series source the config describes, and keeps the last 256
 * GC pauses for the percentiles.
 */
export class TopModel {
  private config: DashboardConfig | undefined;
  private prev: { t: number; numGC: number | null } | undefined;
  private readonly pauses: number[] = [];

  setConfig(c: DashboardConfig): void {
    this.config = c;
  }

  get target(): DashboardConfig['target'] | undefined {
    return this.config?.target;
  }

  private cell(f: Frame, plotId: string, source: string): Cell {
    const c = this.config;
    if (!c) return undefined;
    const pi = c.plots.findIndex((p) => p.id === plotId);
    if (pi < 0) return undefined;
    const si = c.plots[pi].series.findIndex((s) => s.source === source);
    if (si < 0) return undefined;
    return f.p[pi]?.[si] as Cell;
  }

  private num(f: Frame, plotId: string, source: string): number | null {
    const v = this.cell(f, plotId, source);
    return typeof v === 'number' ? v : null;
  }

  private keyed(f: Frame, plotId: string): Record<string, number> {
    const c = this.config;
    if (!c) return {};
    const pi = c.plots.findIndex((p) => p.id === plotId);
    if (pi < 0 || !c.plots[pi].keyed) return {};
    const v = f.p[pi]?.[c.plots[pi].series.length];
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, number>) : {};
  }

  private stat(f: Frame, id: string): number | null {
    const c = this.config;
    if (!c) return null;
    const i = c.stats.findIndex((s) => s.id === id);
    const v = i >= 0 ? f.s[i] : null;
    return typeof v === 'number' ? v : null;
  }

  /** figures reads one frame; feed every frame in order. */
  figures(f: Frame): TopFigures {
    for (const source of ['gcPauses[kind=minor]', 'gcPauses[kind=major]']) {
      const pts = this.cell(f, 'gc-pauses', source);
      if (Array.isArray(pts)) for (let i = 1; i < pts.length; i += 2) this.pauses.push(pts[i]);
    }
    if (this.pauses.length > 256) this.pauses.splice(0, this.pauses.length - 256);
    const sorted = [...this.pauses].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
    const numGC = this.stat(f, 'num-gc');
    const prev = this.prev;
    const gcPerSecond = prev && numGC !== null && prev.numGC !== null && f.t > prev.t && numGC >= prev.numGC ? ((numGC - prev.numGC) * 1000) / (f.t - prev.t) : null;
    this.prev = { t: f.t, numGC };
    const recyclerRates: Record<string, number> = {};
    for (const name of ['hits', 'makes', 'gives', 'drops', 'evictions']) {
      const v = this.num(f, 'recycler-ops', `Δ sources.recycler.${name} / s`);
      if (v !== null) recyclerRates[name] = v;
    }
    const idle = this.num(f, 'recycler-idle', 'sources.recycler.idleBytes');
    if (idle !== null) recyclerRates.idleBytes = idle;
    return {
      timeMs: f.t,
      uptimeMs: this.stat(f, 'uptime'),
      rssBytes: this.num(f, 'rss', 'rssBytes') ?? this.stat(f, 'rss'),
      rssParts: {
        heap: this.num(f, 'rss', 'max(0, heapPhysicalBytes − codeBytes)'),
        code: this.num(f, 'rss', 'codeBytes'),
        external: this.num(f, 'rss', 'externalBytes'),
        other: this.num(f, 'rss', 'max(0, rssBytes − heapPhysicalBytes − externalBytes)'),
      },
      heapUsedBytes: this.num(f, 'heap', 'heapUsedBytes'),
      heapCommittedBytes: this.num(f, 'heap', 'heapTotalBytes'),
      heapResidentBytes: this.num(f, 'heap', 'heapPhysicalBytes'),
      heapLimitBytes: this.num(f, 'heap', 'heapLimitBytes'),
      spaces: this.keyed(f, 'heap-spaces'),
      numGC,
      numMajorGC: this.stat(f, 'num-major-gc'),
      numForcedGC: this.stat(f, 'num-forced-gc'),
      gcPerSecond,
      pauseP50Ns: q(0.5),
      pauseP99Ns: this.num(f, 'gc-pauses', 'p99(last 256 gcPauses)') ?? q(0.99),
      pauseMaxNs: sorted.length > 0 ? sorted[sorted.length - 1] : null,
      gcCpuFraction: this.num(f, 'gc-cpu', 'gcCpuFraction'),
      gcPausedFraction: this.num(f, 'gc-cpu', 'Δ gcPauseTotalNs / (windowMs × 1e6)'),
      allocBytesPerSecond: this.num(f, 'alloc', 'allocRateBytesPerSec'),
      loopDelayP50Ns: this.num(f, 'loop-delay', 'loopDelayP50Ns'),
      loopDelayP99Ns: this.num(f, 'loop-delay', 'loopDelayP99Ns'),
      loopDelayMaxNs: this.num(f, 'loop-delay', 'loopDelayMaxNs'),
      loopUtilization: this.num(f, 'loop-util', 'loopUtilization'),
      cpuUser: this.num(f, 'cpu', 'cpuUserFraction'),
      cpuSystem: this.num(f, 'cpu', 'cpuSystemFraction'),
      resourcesTotal: this.num(f, 'resources', 'resourcesTotal') ?? this.stat(f, 'resources'),
      resources: this.keyed(f, 'resources'),
      recycler: Object.keys(recyclerRates).length > 0 ? recyclerRates : null,
    };
  }
}

/** Colours, or none (NO_COLOR, or not a terminal). */
interface Paint {
  label(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
}

function paint(enabled: boolean): Paint {
  const wrap = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { label: wrap('1;36'), dim: wrap('2'), warn: wrap('33'), bad: wrap('1;31') };
}

const b = (v: number | null) => (v === null ? '–' : formatBytes(v));
const d = (v: number | null) => (v === null ? '–' : formatDuration(v));
const pct = (v: number | null) => (v === null ? '–' : formatPercent(v));
const n = (v: number | null) => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));

function uptimeText(ms: number | null): string {
  if (ms === null) return '–';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

function topMap(map: Record<string, number>, limit: number, fmt: (v: number) => string): string {
  const entries = Object.entries(map).filter(([, v]) => v > 0).sort((a, c) => c[1] - a[1]);
  const shown = entries.slice(0, limit).map(([k, v]) => `${k} ${fmt(v)}`);
  if (entries.length > limit) shown.push(`+${entries.length - limit} more`);
  return shown.join(', ') || 'none';
}

/** renderScreen draws the full-screen view of one reading (lines, no trailing newline handling). */
export function renderScreen(f: TopFigures, title: string, p: Paint, columns = 100): string[] {
  const L = (name: string) => p.label(name.padEnd(10));
  const rp = f.rssParts;
  const lines: string[] = [];
  const clock = new Date(f.timeMs).toTimeString().slice(0, 8);
  lines.push(`${p.label('memstats top')} — ${title}   uptime ${uptimeText(f.uptimeMs)}   ${clock}`);
  lines.push('');
  lines.push(`${L('RSS')}${b(f.rssBytes)} = V8 heap ${b(rp.heap)} + code ${b(rp.code)} + external ${b(rp.external)} + other native ${b(rp.other)}`);
  const limitShare = f.heapUsedBytes !== null && f.heapLimitBytes ? f.heapUsedBytes / f.heapLimitBytes : null;
  const limitText = limitShare !== null && limitShare > 0.85 ? p.bad(`${pct(limitShare)} of limit`) : `${pct(limitShare)} of limit`;
  lines.push(`${L('Heap')}used ${b(f.heapUsedBytes)}  committed ${b(f.heapCommittedBytes)}  resident ${b(f.heapResidentBytes)}  limit ${b(f.heapLimitBytes)} (${limitText})`);
  lines.push(`${L('Spaces')}${topMap(f.spaces, 6, formatBytes)}`);
  const kinds = f.numMajorGC !== null && f.numGC !== null ? ` (${n(f.numGC - f.numMajorGC)} minor, ${n(f.numMajorGC)} major${f.numForcedGC ? `, ${n(f.numForcedGC)} forced` : ''})` : '';
  lines.push(`${L('GC')}${n(f.numGC)} cycles${kinds}  ${f.gcPerSecond === null ? '–' : f.gcPerSecond.toFixed(1)}/s`);
  const gcCpu = f.gcPausedFraction !== null && f.gcPausedFraction > 0.1 ? p.bad(pct(f.gcPausedFraction)) : pct(f.gcPausedFraction);
  lines.push(`${L('')}pause p50 ${d(f.pauseP50Ns)}  p99 ${d(f.pauseP99Ns)}  max ${d(f.pauseMaxNs)}   GC CPU ${pct(f.gcCpuFraction)} of CPUs, JS paused ${gcCpu}`);
  lines.push(`${L('Alloc')}${f.allocBytesPerSecond === null ? '–' : `${formatBytes(f.allocBytesPerSecond)}/s`}`);
  const maxText = f.loopDelayMaxNs !== null && f.loopDelayMaxNs > 100e6 ? p.bad(d(f.loopDelayMaxNs)) : f.loopDelayMaxNs !== null && f.loopDelayMaxNs > 20e6 ? p.warn(d(f.loopDelayMaxNs)) : d(f.loopDelayMaxNs);
  lines.push(`${L('Loop')}delay p50 ${d(f.loopDelayP50Ns)}  p99 ${d(f.loopDelayP99Ns)}  max ${maxText}   utilization ${pct(f.loopUtilization)}`);
  lines.push(`${L('CPU')}user ${pct(f.cpuUser)}  system ${pct(f.cpuSystem)}  ${p.dim('(1 core = 100%)')}`);
  lines.push(`${L('Resources')}${n(f.resourcesTotal)}: ${topMap(f.resources, 8, (v) => n(v))}`);
  if (f.recycler) {
    const r = f.recycler;
    const rate = (k: string) => (r[k] === undefined ? '–' : `${r[k] >= 10 ? Math.round(r[k]) : r[k].toFixed(1)}/s`);
    lines.push(`${L('Recycler')}hits ${rate('hits')}  makes ${rate('makes')}  gives ${rate('gives')}  drops ${rate('drops')}  evictions ${rate('evictions')}  idle ${b(r.idleBytes ?? null)}`);
  }
  lines.push('');
  lines.push(p.dim('q quit'));
  return lines.map((l) => truncateVisible(l, columns));
}

/** truncateVisible cuts `s` to `width` visible characters (colour codes kept whole, a reset added), ending in `…` when cut. */
export function truncateVisible(s: string, width: number): string {
  let visible = 0;
  let out = '';
  let colored = false;
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\x1b') {
      const m = /^\x1b\[[0-9;]*m/.exec(s.slice(i));
      if (m) {
        out += m[0];
        colored = m[0] !== '\x1b[0m';
        i += m[0].length;
        continue;
      }
    }
    if (visible === width - 1 && visible + (s.length - i) > width) {
      // More than fits: is the rest only colour codes?
      const rest = s.slice(i).replace(/\x1b\[[0-9;]*m/g, '');
      if (rest.length > 1) return out + '…' + (colored ? '\x1b[0m' : '');
    }
    out += s[i];
    visible++;
    i++;
  }
  return out;
}

/** plainLine renders one reading as one line for logs and pipes. */
export function plainLine(f: TopFigures): string {
  const clock = new Date(f.timeMs).toTimeString().slice(0, 8);
  return [
    clock,
    `rss=${b(f.rssBytes)}`,
    `heap=${b(f.heapUsedBytes)}/${b(f.heapCommittedBytes)}`,
    `external=${b(f.rssParts.external)}`,
    `gc=${n(f.numGC)}`,
    `gc/s=${f.gcPerSecond === null ? '–' : f.gcPerSecond.toFixed(1)}`,
    `pause_p50=${d(f.pauseP50Ns)}`,
    `pause_p99=${d(f.pauseP99Ns)}`,
    `pause_max=${d(f.pauseMaxNs)}`,
    `gc_cpu=${pct(f.gcCpuFraction)}`,
    `alloc=${f.allocBytesPerSecond === null ? '–' : `${formatBytes(f.allocBytesPerSecond)}/s`}`,
    `loop_p99=${d(f.loopDelayP99Ns)}`,
    `loop_max=${d(f.loopDelayMaxNs)}`,
    `elu=${pct(f.loopUtilization)}`,
    `cpu=${pct(f.cpuUser === null || f.cpuSystem === null ? null : f.cpuUser + f.cpuSystem)}`,
    `resources=${n(f.resourcesTotal)}`,
  ].join(' ');
}

/** The terminal width, or 100 when the terminal does not say (a pty without a window size). */
function columnsOf(io: CommandIO): number {
  const c = io.stdout.columns;
  return typeof c === 'number' && c >= 40 ? c : 100;
}

/** Runs the view until q, Ctrl-C, N iterations or the target's end; resolves with the exit code. */
async function runTop(
  io: CommandIO,
  watch: (w: { onConfig(c: DashboardConfig): void; onFrame(f: Frame): void; onEnd(e: AttachError): void }) => Promise<() => void>,
  o: { title: string; iterations: number; json: boolean; signal: AbortSignal },
): Promise<number> {
  const tty = io.stdout.isTTY === true && !o.json;
  const colors = tty && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  const p = paint(colors);
  const model = new TopModel();
  let count = 0;
  let stopWatch: (() => void) | undefined;
  let rawMode = false;
  let onKey: ((d: Buffer | string) => void) | undefined;
  const restore = () => {
    if (onKey) io.stdin.removeListener('data', onKey);
    if (rawMode) io.stdin.setRawMode?.(false);
    rawMode = false;
    if (onKey) io.stdin.pause();
    onKey = undefined;
    if (tty) io.stdout.write('\x1b[?25h\x1b[?1049l');
  };
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message?: string) => {
      if (done) return;
      done = true;
      stopWatch?.();
      restore();
      if (message) io.stderr.write(`memstats top: ${message}\n`);
      resolve(code);
    };
    o.signal.addEventListener('abort', () => finish(0), { once: true });
    // A reader that went away (\`| head\`) ends the view, quietly.
    io.stdout.on('error', () => finish(0));
    if (tty) {
      // The alternate screen keeps the user's scrollback intact, as top does.
      io.stdout.write('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J');
      io.stdout.write(`memstats top — ${o.title}: waiting for the first sample…\n`);
    }
    if (io.stdin.isTTY && typeof io.stdin.setRawMode === 'function') {
      io.stdin.setRawMode(true);
      rawMode = true;
    }
    if (io.stdin.isTTY) {
      onKey = (data) => {
        const s = data.toString();
        // q, Q, Ctrl-C (raw mode delivers it as a byte), Ctrl-D.
        if (/[qQ\x03\x04]/.test(s)) finish(0);
      };
      io.stdin.on('data', onKey);
      io.stdin.resume();
    }
    const show = (figures: ReturnType<typeof model.figures>) => {
      count++;
      if (o.json) io.stdout.write(JSON.stringify(figures) + '\n');
      else if (tty) io.stdout.write('\x1b[H\x1b[2J' + renderScreen(figures, o.title, p, columnsOf(io)).join('\n') + '\n');
      else io.stdout.write(plainLine(figures) + '\n');
      if (o.iterations > 0 && count >= o.iterations) finish(0);
    };
    // A server's stream starts with its backlog (up to minutes of frames, some perhaps from long ago): they
    // feed the model (rates need the frame before) but are not shown as if live, nor counted for -n.
    const openedAtMs = Date.now();
    watch({
      onConfig: (c) => model.setConfig(c),
      onFrame: (f) => {
        if (done) return;
        const figures = model.figures(f);
        if (f.t < openedAtMs - 1500) return;
        show(figures);
      },
      onEnd: (e) => finish(1, e.message),
    }).then(
      (stop) => {
        stopWatch = stop;
        if (done) stop();
      },
      (err: Error) => finish(1, err.message),
    );
  });
}

export const topCommand: Command = {
  name: 'top',
  summary: 'live view of a running process: heap, RSS, GC, event loop, resources',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { iterations: { type: 'string', short: 'n' }, json: { type: 'boolean' }, ...TARGET_OPTIONS });
    const spec = parseOnlyTarget(positionals);
    const iterations = intFlag('iterations', values.iterations, 0, 0, 1_000_000, 'n');
    const timeout = timeoutMs(values.timeout);
    return withTarget('top', spec, io, { timeoutMs: timeout }, async (target, ctx) => {
      const title = target.kind === 'pid' ? `pid ${target.pid} (attached)` : `${target.label}${target.pid ? ` (pid ${target.pid})` : ''}`;
      return runTop(io, (w) => target.watch(w), { title, iterations, json: values.json === true, signal: ctx.signal });
    });
  },
};
