/**
 * @module cli/commands/gc
 * `memstats gc <target> [--json]`: runs a full garbage collection in a running
 * process (gops' `gc`) and tells what it freed.
 */
import { parseCommandArgs, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseOnlyTarget, timeoutMs, withTarget } from '../target.js';
import { formatBytes } from '../../report/format.js';

const usage = `Usage: memstats gc <target> [--json]

Runs a full garbage collection (a Mark-Compact, like Go's runtime.GC()) in a
running Node.js process and prints the V8 heap used before and after and how
long it took. The collection pauses the process's JavaScript for that long.

${TARGET_HELP}

Options:
  --json             print {heapUsedBeforeBytes, heapUsedAfterBytes, durationMs,
                     numGCBefore, numGCAfter} as JSON
${TARGET_OPTIONS_HELP}
  -h, --help         this text

Examples:
  memstats gc 12345
  memstats gc http://127.0.0.1:6060 --json
`;

export const gcCommand: Command = {
  name: 'gc',
  summary: 'run a full GC in a running process (pid or URL)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, ...TARGET_OPTIONS });
    const spec = parseOnlyTarget(positionals);
    const timeout = timeoutMs(values.timeout);
    return withTarget('gc', spec, io, { timeoutMs: timeout }, async (target) => {
      const r = await target.gc();
      if (values.json) {
        io.stdout.write(JSON.stringify({ target: target.label, pid: target.pid, ...r }) + '\n');
        return 0;
      }
      const freed = r.heapUsedBeforeBytes - r.heapUsedAfterBytes;
      const counts = r.numGCBefore !== null && r.numGCAfter !== null ? `; NumGC ${r.numGCBefore} → ${r.numGCAfter}` : '';
      io.stdout.write(
        `${target.label}: full GC in ${r.durationMs.toFixed(2)} ms; heap used ${formatBytes(r.heapUsedBeforeBytes)} → ${formatBytes(r.heapUsedAfterBytes)} (${freed >= 0 ? '−' : '+'}${formatBytes(Math.abs(freed))})${counts}\n`,
      );
      return 0;
    });
  },
};
