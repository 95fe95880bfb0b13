/**
 * @module cli/commands/snapshot
 * `memstats snapshot <target> [-o file]`: a V8 heap snapshot of a running
 * process (Chrome DevTools' `.heapsnapshot`), streamed to a file.
 */
import { parseCommandArgs, UsageError, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseOnlyTarget, timeoutMs, withTarget } from '../target.js';
import { Progress } from '../progress.js';
import { nextFreeName, reserveOutput } from '../target-output.js';
import { formatBytes } from '../../report/format.js';
import type { Target } from '../../attach/target.js';
import type { SnapshotProgress } from '../../attach/remote-backend.js';

const usage = `Usage: memstats snapshot <target> [-o file] [--json]

Writes a V8 heap snapshot of a running Node.js process: every object, its
size and what keeps it alive — open it in Chrome DevTools (Memory tab), or
compare two with memstats diff.

The process's JavaScript is paused for the whole snapshot (seconds per 100 MB
of heap) and it needs several times its heap in memory meanwhile: memstats
refuses when the machine has less available than 16 × the heap in use.

${TARGET_HELP}

Options:
  -o, --output file  where to write (default heap-<pid>-<n>.heapsnapshot in
                     the current directory, n counting up from 1)
  --json             print {file, bytes, durationMs, target} as JSON
${TARGET_OPTIONS_HELP}
  -h, --help         this text

Progress shows on stderr when it is a terminal: V8 building the snapshot,
then the bytes received. The file is written under a temporary name and
renamed: an interrupted snapshot, or a target that exits meanwhile, leaves no
file.

Examples:
  memstats snapshot 12345
  memstats snapshot http://127.0.0.1:6060 -o before.heapsnapshot
  memstats diff before.heapsnapshot after.heapsnapshot
`;

/** takeSnapshot writes a heap snapshot of `target` to `path` (temporary name, renamed), drawing progress; returns the final path and size. */
export async function takeSnapshot(
  target: Target,
  path: string,
  o: { signal: AbortSignal; progress: Progress },
): Promise<{ file: string; bytes: number; durationMs: number }> {
  const out = await reserveOutput(path, 0o600); // owner-only: a snapshot holds the program's data
  const label = `heap snapshot of ${target.label}`;
  const onProgress = (p: SnapshotProgress) => {
    if (p.phase === 'snapshot') {
      if (p.total > 0) o.progress.fraction(`${label}: V8 building it`, p.done / p.total);
      else o.progress.draw(`${label}: V8 building it (the process is paused)…`);
    } else {
      o.progress.bytes(`${label}: receiving`, p.done, p.total);
    }
  };
  try {
    const r = await target.writeHeapSnapshot(out.temp, { signal: o.signal, onProgress });
    o.progress.clear();
    await out.commit();
    return { file: out.final, bytes: r.bytes, durationMs: r.durationMs };
  } finally {
    o.progress.clear();
    await out.discard();
  }
}

export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'a V8 heap snapshot of a running process (pid or URL)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { output: { type: 'string', short: 'o' }, json: { type: 'boolean' }, ...TARGET_OPTIONS });
    const spec = parseOnlyTarget(positionals);
    if (values.output === '' || values.output === '-') throw new UsageError('--output must be a file path (a snapshot is too large for a pipe to be the only copy)');
    const timeout = timeoutMs(values.timeout);
    return withTarget('snapshot', spec, io, { timeoutMs: timeout }, async (target, ctx) => {
      const path = values.output ?? nextFreeName(`heap-${target.pid ?? 'target'}`, '.heapsnapshot');
      const progress = new Progress(io.stderr as never, io.env);
      const r = await takeSnapshot(target, path, { signal: ctx.signal, progress });
      if (values.json) {
        io.stdout.write(JSON.stringify({ file: r.file, bytes: r.bytes, durationMs: Math.round(r.durationMs), target: target.label, pid: target.pid }) + '\n');
      } else {
        io.stdout.write(`wrote ${path} (${formatBytes(r.bytes)} in ${(r.durationMs / 1000).toFixed(2)} s, heap snapshot of ${target.label}): open it in Chrome DevTools → Memory, or compare two with memstats diff\n`);
      }
      return 0;
    });
  },
};
