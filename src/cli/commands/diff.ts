/**
 * @module cli/commands/diff
 * `memstats diff <before.heapsnapshot> <after.heapsnapshot> [--json] [--top N]`:
 * what grew between two heap snapshots of one process, by constructor, with
 * the retainer path that keeps each group alive.
 */
import { CommandError, UsageError, intFlag, parseCommandArgs, type Command } from '../command.js';
import { diffSnapshots } from '../../snapshot/diff.js';
import { formatSnapshotDiff } from '../../snapshot/format.js';
import { SnapshotError } from '../../snapshot/errors.js';

const usage = `Usage: memstats diff <before.heapsnapshot> <after.heapsnapshot> [options]

Compares two heap snapshots of one process (before, then after) and lists the
groups of objects that grew — objects by constructor, closures by function
name — largest first (by the retained size of the objects allocated in between
and still alive, then by growth in retained size and in count), each with the
shortest path from the GC roots that keeps an example object alive.

Options:
  --top N            groups to show (default 20; 0 = every group that grew)
  --json             print the whole result as JSON
  --internals        list V8's internal groups too (contexts, backing arrays,
                     hidden objects, code); by default their growth shows in
                     the retained size of the objects that own them
  --max-memory SIZE  refuse snapshots whose analysis needs more (e.g. 8G, 512M;
                     0 = no check; default: the memory available now)
  -h, --help         this text

The snapshots are read one after the other, streaming: the peak is about one
snapshot's analysis (~66 bytes per object and 13 per reference),
far less than the file's JSON.

Examples:
  memstats diff before.heapsnapshot after.heapsnapshot
  memstats diff a.heapsnapshot b.heapsnapshot --top 5 --json > diff.json
`;

/** parseSize reads "8G", "512M", "100K" or a byte count into bytes; throws UsageError naming the flag. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} must be a size like 8G, 512M or a byte count; received ${JSON.stringify(value)}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

/** diffCommand: `memstats diff <before> <after> [--json] [--top N] [--internals] [--max-memory SIZE]`; exit 1 with one line for an unreadable snapshot. */
export const diffCommand: Command = {
  name: 'diff',
  summary: 'what grew between two heap snapshots, with retainer paths',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      top: { type: 'string' },
      json: { type: 'boolean' },
      internals: { type: 'boolean' },
      'max-memory': { type: 'string' },
    });
    if (positionals.length !== 2) throw new UsageError(`expected two snapshot files (before and after), got ${positionals.length}`);
    const top = intFlag('top', values.top, 20, 0, 100_000);
    const maxMemoryBytes = values['max-memory'] === undefined ? undefined : parseSize('max-memory', values['max-memory']);
    const [before, after] = positionals;
    let result;
    try {
      result = await diffSnapshots(before, after, { top, internals: values.internals === true, ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }) });
    } catch (err) {
      if (err instanceof SnapshotError) throw new CommandError(err.message);
      const e = err as NodeJS.ErrnoException;
      if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR')) throw new CommandError(`${e.path ?? ''}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : 'permission denied'}`);
      throw err;
    }
    if (values.json) {
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      // The JSON holds them too; stderr makes sure a person piping it sees them.
      for (const w of result.warnings) io.stderr.write(`memstats diff: warning: ${w}\n`);
    } else {
      io.stdout.write(formatSnapshotDiff(result));
    }
    return 0;
  },
};
