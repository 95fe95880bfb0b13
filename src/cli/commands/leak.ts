/**
 * @module cli/commands/leak
 * `memstats leak <target> [--interval 30s]`: three heap snapshots of a
 * running process at equal intervals, then memlab's three-snapshot diff
 * (snapshot/leak-diff): what was allocated in the middle interval, survived,
 * and grew in both.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CommandError, parseCommandArgs, UsageError, intFlag, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseOnlyTarget, timeoutMs, withTarget } from '../target.js';
import { Progress } from '../progress.js';
import { takeSnapshot } from './snapshot.js';
import { leakDiff } from '../../snapshot/leak-diff.js';
import { formatLeakDiff } from '../../snapshot/format.js';
import { SnapshotError } from '../../snapshot/errors.js';
import { formatBytes } from '../../report/format.js';

const usage = `Usage: memstats leak <target> [--interval 30s] [--keep dir] [--top N] [--json]

Finds what leaks in a running process: takes three heap snapshots at equal
intervals (baseline, target, final) while the program does its usual work,
then reports the objects allocated between the first two that are still
alive in the third, in groups whose count grew in both intervals — a cache
that warms up once does not grow twice; a leak does. Each group comes with
the retainer path that keeps it alive.

Each snapshot pauses the process's JavaScript (seconds per 100 MB of heap).

${TARGET_HELP}

Options:
  --interval T       time between snapshots: 30s (default), 2m, or seconds
  --keep dir         keep the three snapshots in dir (default: deleted)
  --top N            groups to show (default 20)
  --json             print the result as JSON
${TARGET_OPTIONS_HELP}
  -h, --help         this text

Examples:
  memstats leak 12345
  memstats leak http://127.0.0.1:6060 --interval 2m --keep ./snaps
`;

/** parseInterval reads `30s`, `2m`, `90` (seconds) into seconds; UsageError otherwise. */
export function parseInterval(value: string | undefined): number {
  if (value === undefined) return 30;
  const m = /^(\d+)\s*(s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--interval must be like 30s, 2m or a number of seconds; received ${JSON.stringify(value)}`);
  const s = Number(m[1]) * (m[2] === 'm' ? 60 : 1);
  if (s < 1 || s > 3600) throw new UsageError(`--interval must be from 1 s to 60 m; received ${JSON.stringify(value)}`);
  return s;
}

export const leakCommand: Command = {
  name: 'leak',
  summary: 'three snapshots of a running process, then what leaked',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      interval: { type: 'string' },
      keep: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      ...TARGET_OPTIONS,
    });
    const spec = parseOnlyTarget(positionals);
    const interval = parseInterval(values.interval);
    const top = intFlag('top', values.top, 20, 0, 100_000);
    if (values.keep === '') throw new UsageError('--keep must be a directory');
    const timeout = timeoutMs(values.timeout);
    if (values.keep !== undefined) {
      // Made if missing; a path that cannot be a directory is said now, before attaching or any snapshot.
      try {
        await mkdir(values.keep, { recursive: true });
      } catch (err) {
        throw new CommandError(`--keep ${values.keep}: cannot make that directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
    }
    return withTarget('leak', spec, io, { timeoutMs: timeout }, async (target, ctx) => {
      const dir = values.keep ?? (await mkdtemp(path.join(os.tmpdir(), 'memstats-leak-')));
      const progress = new Progress(io.stderr as never, io.env, 0);
      const files: string[] = [];
      try {
        for (const name of ['baseline', 'target', 'final']) {
          if (files.length > 0) {
            const stop = progress.countdown(`waiting before the ${name} snapshot`, interval);
            await new Promise<void>((resolve, reject) => {
              const t = setTimeout(resolve, interval * 1000);
              ctx.signal.addEventListener('abort', () => {
                clearTimeout(t);
                reject(new CommandError('interrupted', 130));
              }, { once: true });
            }).finally(stop);
          }
          const file = path.join(dir, `${name}-${target.pid ?? 'target'}.heapsnapshot`);
          const r = await takeSnapshot(target, file, { signal: ctx.signal, progress });
          files.push(r.file);
          io.stderr.write(`memstats leak: ${name} snapshot: ${formatBytes(r.bytes)} in ${(r.durationMs / 1000).toFixed(1)} s\n`);
        }
        let result;
        try {
          result = await leakDiff(files[0], files[1], files[2], { top });
        } catch (err) {
          if (err instanceof SnapshotError) throw new CommandError(err.message);
          throw err;
        }
        io.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatLeakDiff(result));
        if (values.keep) io.stderr.write(`memstats leak: snapshots kept in ${dir}\n`);
        else io.stderr.write('memstats leak: the snapshots named above are deleted now (--keep dir keeps them)\n');
        return 0;
      } finally {
        progress.clear();
        if (!values.keep) await rm(dir, { recursive: true, force: true });
      }
    });
  },
};
