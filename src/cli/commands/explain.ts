/**
 * @module cli/commands/explain
 * `memstats explain <target> [--json]`: a running process's RSS accounted
 * for, part by part — its V8 figures fetched from the target, its memory map
 * read from /proc/<pid>/smaps on this machine (report/explain).
 */
import { CommandError, parseCommandArgs, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseOnlyTarget, timeoutMs, withTarget } from '../target.js';
import { explainMemory, formatExplanation, type ExplainMemStats } from '../../report/explain.js';

const usage = `Usage: memstats explain <target> [--json]

Accounts for a running process's resident memory, part by part — V8 heap
(objects, code, free), Buffers, other external memory, V8's own malloc,
glibc's retention, thread stacks, code and libraries — each with what it
means and what to do when it is large.

The V8 figures come from the target; the memory map from /proc/<pid>/smaps,
so the process must run on this machine (for a URL, memstats finds the
process listening on it).

${TARGET_HELP}

Options:
  --json             print the explanation as JSON
${TARGET_OPTIONS_HELP}
  -h, --help         this text

Examples:
  memstats explain 12345
  memstats explain http://127.0.0.1:6060 --json
`;

const NEEDED = ['rss', 'heapAlloc', 'heapSys', 'heapPhysical', 'external', 'arrayBuffers', 'mallocedMemory', 'heapSpaces'] as const;

export const explainCommand: Command = {
  name: 'explain',
  summary: 'what a running process\'s RSS is made of, and what to do',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, ...TARGET_OPTIONS });
    const spec = parseOnlyTarget(positionals);
    const timeout = timeoutMs(values.timeout);
    return withTarget('explain', spec, io, { timeoutMs: timeout }, async (target) => {
      const pid = target.pid;
      if (pid === null) throw new CommandError(`cannot tell which process serves ${target.label} on this machine: explain reads its /proc/<pid>/smaps; pass its pid instead`);
      const { memStats } = await target.readMemStats();
      const missing = NEEDED.filter((k) => memStats[k] === undefined);
      if (missing.length > 0) throw new CommandError(`${target.label} does not serve ${missing.join(', ')} (its /metrics is needed); pass the pid instead`);
      const e = explainMemory({ pid, memStats: memStats as ExplainMemStats });
      io.stdout.write(values.json ? JSON.stringify(e, null, 2) + '\n' : formatExplanation(e));
      return 0;
    });
  },
};
