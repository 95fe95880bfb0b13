/**
 * @module cli/commands/demo
 * `memstats demo [service]`: the demo service monitored by memstats.
 * `memstats demo recycle`: the seed's memory experiment — naive allocation, the
 * bounded pool of 5, the recycler — each in a child process of its own, drawn
 * into one self-contained HTML page (inline SVG, no script, no CDN).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandError, UsageError, intFlag, parseCommandArgs, type Command, type CommandIO } from '../command.js';
import { writeOutput } from '../target-output.js';
import {
  EXPERIMENT_CSV_NOTES,
  EXPERIMENT_VARIANTS,
  experimentCsvHeader,
  experimentCsvRow,
  type ExperimentOptions,
  type ExperimentRow,
  type ExperimentSummary,
  type ExperimentVariant,
} from '../../pool/experiment.js';
import type { ExperimentMessage } from '../../pool/experiment-child.js';
import type { RecyclerBacking } from '../../pool/recycler.js';
import { escapeXml, renderLineChart } from '../../report/svg-chart.js';
import { formatBytes, formatDuration } from '../../report/format.js';

const usage = `Usage:
  memstats demo [service] [--addr host:port]
  memstats demo recycle [--iterations N] [--period-ms T] [--get any|exact]
                        [--backing fixed|resizable] [--out file.html]

demo service (the default): runs the demo service, monitored by memstats.
  --addr host:port    where its debug server listens

demo recycle: the seed's experiment (20 slots, 5–10 MB buffers, one per period,
each written in full) three ways — Buffer.alloc every time, the seed's bounded
pool of 5, and memstats' recycler — each in its own process, at the same time.
Writes one self-contained HTML page with a chart per program (memory on the
left axis, buffers made on the right) and shows a progress bar meanwhile.
  --iterations N      buffers obtained per program (default 600)
  --period-ms T       pause between iterations, ms (default 20; the seed used 1000)
  --get G             how the recycler program asks: any (default, the seed's
                      <-get: any idle buffer of 5-10 MB, used whole:
                      getAtLeast(5e6, size)) or exact (get(size) of the size
                      drawn, holding spare capacity; docs/recycling.md)
  --backing B         the recycler's backing: fixed (default, the library's) or
                      resizable (only the requested bytes resident)
  --out file.html     output file (default memstats-recycle.html)

Examples:
  memstats demo
  memstats demo recycle --iterations 1500 --out recycle.html
`;

/** How the recycler program asks for a buffer (ExperimentOptions.recyclerGet). */
type RecyclerGet = NonNullable<ExperimentOptions['recyclerGet']>;

const GET_CALLS: Record<RecyclerGet, string> = { any: 'getAtLeast(5e6, size)', exact: 'get(size)' };

/** The title of a program's chart; the recycler's names the call it made. */
function programLabel(variant: ExperimentVariant, get: RecyclerGet): string {
  if (variant === 'naive') return 'naive: Buffer.alloc every time';
  if (variant === 'pool') return "bounded pool: the seed's buffered channel of 5";
  return `recycler: ${GET_CALLS[get]} / give(buf), stale eviction`;
}

/** One program's results. */
interface VariantResult {
  variant: ExperimentVariant;
  rows: ExperimentRow[];
  summary: ExperimentSummary;
}

/** Options of {@link runRecycleDemo}. */
export interface RecycleDemoOptions {
  iterations: number;
  periodMs: number;
  get: RecyclerGet;
  backing: RecyclerBacking;
  out: string;
}

const childPath = fileURLToPath(new URL('../../pool/experiment-child.js', import.meta.url));

function runVariant(opts: ExperimentOptions, onRow: (row: ExperimentRow) => void, children: Set<ChildProcess>): Promise<VariantResult> {
  return new Promise((resolvePromise, reject) => {
    const rows: ExperimentRow[] = [];
    let summary: ExperimentSummary | undefined;
    let stderr = '';
    // A clean process: no inherited --inspect, loaders or test-runner flags skewing its memory.
    const child = fork(childPath, [JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    children.add(child);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('message', (m: ExperimentMessage) => {
      if (m.type === 'row') {
        rows.push(m.row);
        onRow(m.row);
      } else if (m.type === 'summary') summary = m.summary;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (summary && code === 0) resolvePromise({ variant: opts.variant, rows, summary });
      else reject(new CommandError(`the ${opts.variant} program failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}

/** A progress bar on stderr: redrawn in place on a terminal, a line per quarter otherwise. */
function progressBar(io: CommandIO, total: number): { update(done: Record<ExperimentVariant, number>): void; end(): void } {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let lastDraw = 0;
  let lastQuarter = -1;
  let line = '';
  return {
    update(done) {
      const sum = EXPERIMENT_VARIANTS.reduce((n, v) => n + done[v], 0);
      const frac = Math.min(1, sum / (total * EXPERIMENT_VARIANTS.length));
      const width = 30;
      const filled = Math.round(frac * width);
      line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ` +
        EXPERIMENT_VARIANTS.map((v) => `${v} ${done[v]}/${total}`).join('  ');
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && frac < 1) return;
        lastDraw = now;
        io.stderr.write(`\r${line}\x1b[K`);
      } else {
        const q = Math.floor(frac * 4);
        if (q !== lastQuarter) {
          lastQuarter = q;
          io.stderr.write(`${line}\n`);
        }
      }
    },
    end() {
      if (tty) io.stderr.write(`\r${line}\x1b[K\n`);
    },
  };
}

/**
 * runRecycleDemo runs the three programs at once, each in a child process, and
 * writes the HTML page to `opts.out` (through a temporary file, renamed).
 * Resolves to the results; the children are killed if anything fails.
 */
export async function runRecycleDemo(opts: RecycleDemoOptions, io: CommandIO): Promise<VariantResult[]> {
  const rowEvery = Math.max(1, Math.ceil(opts.iterations / 600));
  const done: Record<ExperimentVariant, number> = { naive: 0, pool: 0, recycler: 0 };
  const bar = progressBar(io, opts.iterations);
  const children = new Set<ChildProcess>();
  const onSignal = (): void => {
    for (const c of children) c.kill();
  };
  process.once('SIGINT', onSignal);
  let results: VariantResult[];
  try {
    bar.update(done);
    results = await Promise.all(
      EXPERIMENT_VARIANTS.map((variant) =>
        runVariant(
          { variant, iterations: opts.iterations, periodMs: opts.periodMs, rowEvery, recyclerGet: opts.get, recycler: { backing: opts.backing } },
          (row) => {
            done[variant] = row.iteration;
            bar.update(done);
          },
          children,
        ),
      ),
    );
  } finally {
    process.removeListener('SIGINT', onSignal);
    for (const c of children) c.kill();
    bar.end();
  }
  const html = renderRecyclePage(results, opts);
  await writeOutput(resolve(opts.out), html);
  return results;
}

/** formatBytes without the zero decimals of round ticks: `100M`, not `100.00M`. */
function tickBytes(n: number): string {
  return formatBytes(n).replace(/\.00(?=[KMG]$)/, '');
}

function ratio(x: number): string {
  return x.toFixed(2);
}

/** renderRecyclePage builds the self-contained HTML page of a demo run. */
export function renderRecyclePage(results: VariantResult[], opts: Pick<RecycleDemoOptions, 'iterations' | 'periodMs' | 'get' | 'backing'>): string {
  let memMax = 0;
  for (const r of results) for (const row of r.rows) memMax = Math.max(memMax, row.rss, row.arrayBuffers, row.live);
  const charts = results.map((r) => {
    const x = r.rows.map((row) => row.iteration);
    const col = (k: keyof ExperimentRow): number[] => r.rows.map((row) => row[k]);
    const svg = renderLineChart({
      title: programLabel(r.variant, opts.get),
      x,
      xAxis: { label: 'iteration', min: 0, max: opts.iterations },
      left: { label: 'memory (bytes)', format: tickBytes, max: memMax, binary: true },
      right: { label: 'buffers' },
      series: [
        { name: 'RSS (HeapSys analog)', values: col('rss'), color: '#0072B2', widthPx: 2.25 },
        { name: 'live bytes in slots', values: col('live'), color: '#D55E00' },
        { name: 'arrayBuffers (HeapAlloc analog)', values: col('arrayBuffers'), color: '#009E73' },
        { name: 'idle in pool/recycler', values: col('idleBytes'), color: '#56B4E9', dash: '5 3' },
        { name: 'V8 heapAlloc', values: col('heapAlloc'), color: '#999999' },
        { name: 'makes', values: col('makes'), axis: 'right', color: '#E69F00', widthPx: 2.25 },
        { name: 'frees', values: col('frees'), axis: 'right', color: '#CC79A7', dash: '2 2' },
      ],
    });
    const s = r.summary;
    const table = `<table><tr><th>RSS at start</th><th>RSS median / peak</th><th>(RSS − start) / live, median / peak</th><th>arrayBuffers / live</th><th>makes</th><th>GCs (major)</th><th>GC pause</th><th>CPU</th><th>page faults</th></tr>
<tr><td>${formatBytes(s.rssStart)}</td><td>${formatBytes(s.rssMedian)} / ${formatBytes(s.rssPeak)}</td><td>${ratio(s.rssOverLiveMedian)} / ${ratio(s.rssOverLivePeak)}</td><td>${ratio(s.arrayBuffersOverLiveMedian)}</td><td>${s.makes} of ${s.iterations}</td><td>${s.numGC} (${s.numMajorGC})</td><td>${formatDuration(s.gcPauseTotalNs)}</td><td>${formatDuration((s.cpuUserUs + s.cpuSystemUs) * 1e3)}</td><td>${s.minorFaults}</td></tr></table>`;
    const csv = experimentCsvHeader(`memstats demo recycle: ${r.variant}`) + r.rows.map(experimentCsvRow).join('');
    return `<section><figure>${svg}</figure>${table}<details><summary>data (CSV)</summary><pre>${escapeXml(csv)}</pre></details></section>`;
  });
  const notes = EXPERIMENT_CSV_NOTES.map((n) => `<li>${escapeXml(n.replace(/^# /, ''))}</li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>memstats: the seed's recycling experiment in Node</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto; max-width: 900px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; } figure { margin: 16px 0 4px; } svg { max-width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; } th { background: #f6f6f6; font-weight: 600; }
pre { max-height: 240px; overflow: auto; background: #fafafa; font-size: 11px; padding: 6px; } section { margin-bottom: 28px; } code { background: #f3f3f3; padding: 0 3px; }
</style></head><body>
<h1>The seed's recycling experiment, in Node ${escapeXml(process.version)}</h1>
<p>Each program keeps 20 slots; every ${opts.periodMs} ms it obtains a 5–10 MB buffer, writes it in full and stores it in a random slot, ${opts.iterations} times.
Each ran in a process of its own. The recycler asked with <code>${GET_CALLS[opts.get]}</code>${
    opts.get === 'any' ? ' (any idle buffer of the range, used whole, like the seed\'s <code>&lt;-get</code>)' : ' (the size drawn exactly; spare capacity of a bigger recycled buffer stays resident)'
  } on <code>backing: '${escapeXml(opts.backing)}'</code>.
For comparison, Go 1.19 running the seed's programs on these machines held HeapSys/live <b>2.54</b> naively and <b>1.09</b> recycled through the buffered channel, with 21 buffers made in 1,500 iterations.</p>
<p>Left axis: memory in bytes (the same scale on every chart); right axis: buffers made and freed. Big Buffers live outside the V8 heap, so RSS, not V8's heap figures, is what the process holds.${
    opts.backing === 'resizable'
      ? " The recycler's resizable buffers are not counted in <code>arrayBuffers</code> (Node counts only memory from its own allocator; these come from V8's page allocator), so that line stays near 0 on its chart; RSS counts them."
      : ''
  }</p>
${charts.join('\n')}
<h2>Columns</h2><ul>${notes}</ul>
<p>Generated by <code>memstats demo recycle --iterations ${opts.iterations} --period-ms ${opts.periodMs} --get ${opts.get} --backing ${escapeXml(opts.backing)}</code>. See docs/recycling.md.</p>
</body></html>
`;
}

/** `memstats demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the demo service, or the seed\'s recycling experiment as an HTML page (demo recycle)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      addr: { type: 'string' },
      iterations: { type: 'string' },
      'period-ms': { type: 'string' },
      get: { type: 'string' },
      backing: { type: 'string' },
      out: { type: 'string' },
    });
    const sub = positionals[0] ?? 'service';
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    if (sub === 'service') {
      for (const f of ['iterations', 'period-ms', 'get', 'backing', 'out'] as const) {
        if (values[f] !== undefined) throw new UsageError(`--${f} is an option of "demo recycle"`);
      }
      // Imported lazily: `demo recycle` never loads the service.
      const { runDemoService } = await import('../../demo/service.js');
      await runDemoService(values.addr !== undefined ? { addr: values.addr } : {});
      return 0;
    }
    if (sub !== 'recycle') throw new UsageError(`unknown demo ${JSON.stringify(sub)}; expected "service" or "recycle"`);
    if (values.addr !== undefined) throw new UsageError('--addr is an option of "demo service"');
    const iterations = intFlag('iterations', values.iterations, 600, 1, 1_000_000);
    const periodMs = intFlag('period-ms', values['period-ms'], 20, 0, 60_000);
    const get = values.get ?? 'any';
    if (get !== 'any' && get !== 'exact') throw new UsageError(`--get must be any or exact; received ${JSON.stringify(get)}`);
    const backing = values.backing ?? 'fixed';
    if (backing !== 'fixed' && backing !== 'resizable') throw new UsageError(`--backing must be fixed or resizable; received ${JSON.stringify(backing)}`);
    const out = values.out ?? 'memstats-recycle.html';
    const results = await runRecycleDemo({ iterations, periodMs, get, backing, out }, io);
    for (const r of results) {
      const s = r.summary;
      io.stdout.write(`${r.variant.padEnd(9)} RSS median ${formatBytes(s.rssMedian).padStart(8)}  (RSS-start)/live ${ratio(s.rssOverLiveMedian)}  makes ${s.makes}/${s.iterations}  GCs ${s.numGC}\n`);
    }
    io.stdout.write(`wrote ${resolve(out)}\n`);
    return 0;
  },
};
