/**
 * @module cli/commands/report
 * `memstats report <recording> [-o report.html]`: one self-contained HTML page
 * from a recording (ndjson of Samples): the dashboard's charts over the whole
 * run and a short diagnosis, each finding with what to do next.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { CommandError, UsageError, parseCommandArgs, type Command } from '../command.js';
import { writeOutput } from '../target-output.js';
import { readRecording, RecordingError } from '../../report/recording.js';
import { renderReport } from '../../report/report-html.js';

const usage = `Usage: memstats report <recording> [-o report.html]

Reads a recording — one memstats Sample per line, as MEMSTATS_RECORD=path,
memstats run --record path and startRecording() write — and writes one
self-contained HTML page (it opens offline, from a file): the live
dashboard's charts over the whole recording, and a diagnosis:

  - GC overhead: GC paused JavaScript more than 10% of the time
  - event-loop stalls: a delay over 100 ms
  - heap growth: the heap used after GC trends up (a likely leak)
  - heap near its limit: 85% of V8's heap limit used
  - RSS far above the heap: external (Buffers) or native memory

each with the numbers that show it and what to do next. The findings are
also printed, one line each.

Options:
  -o, --out file.html   where to write, - for stdout (default: the recording's name with
                        .html, next to it)
  -h, --help            this text

A last line cut short (the process died mid-write) is left out with a note;
any other line that is not a Sample fails with its line number.

Examples:
  MEMSTATS_RECORD=run.ndjson node --import memstats/register app.js
  memstats report run.ndjson            # writes run.html
  memstats report run.ndjson -o /tmp/report.html
`;

/** The default output: `run.ndjson` → `run.html`, beside it. */
export function defaultReportPath(recording: string): string {
  const abs = resolve(recording);
  const name = basename(abs).replace(/\.(nd)?jsonl?$/i, '');
  return join(dirname(abs), `${name || 'memstats-report'}.html`);
}

/** `memstats report`. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'write a self-contained HTML report (charts and diagnosis) from a recording',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string', short: 'o' } });
    if (positionals.length === 0) throw new UsageError('a recording is required');
    if (positionals.length > 1) throw new UsageError(`one recording at a time; received ${positionals.length}`);
    if (values.out === '') throw new UsageError('--out needs a file name');
    const recording = positionals[0];
    // `-o -`: the page on stdout (the findings then go to stderr), as `profile -o -` does.
    const toStdout = values.out === '-';
    const out = resolve(values.out ?? defaultReportPath(recording));
    if (!toStdout && out === resolve(recording)) throw new UsageError(`--out ${values.out} is the recording itself; choose another file`);

    let contents;
    try {
      contents = await readRecording(recording);
    } catch (err) {
      if (err instanceof RecordingError) throw new CommandError(err.message);
      const e = err as NodeJS.ErrnoException;
      throw new CommandError(`cannot read ${recording}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'a directory, not a recording' : e.message}`);
    }
    if (contents.samples.length === 0) {
      throw new CommandError(
        contents.truncatedLine > 0 ? `${recording}: line ${contents.truncatedLine} is not a sample (not a JSON line of a memstats recording)` : `${recording}: no samples (an empty recording)`,
      );
    }
    const note = contents.truncatedLine > 0 ? `The last line (${contents.truncatedLine}) was incomplete — the process likely stopped mid-write — and was left out.` : undefined;
    if (note) io.stderr.write(`memstats report: ${recording}: ${note}\n`);

    const { html, findings } = renderReport(contents.samples, { source: basename(recording), ...(note ? { note } : {}) });
    const say = toStdout ? io.stderr : io.stdout;
    if (toStdout) io.stdout.write(html);
    else await writeOutput(out, html);
    if (findings.length === 0) say.write('nothing stands out: no GC overhead, stall, heap growth or memory outside the heap above the thresholds\n');
    for (const f of findings) say.write(`${f.severity}: ${f.title}\n`);
    say.write(`wrote ${toStdout ? 'the page to stdout' : out} (${contents.samples.length} samples)\n`);
    return 0;
  },
};
