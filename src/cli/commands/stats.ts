/**
 * @module cli/commands/stats
 * `memstats stats <target> [--json] [--go]`: one MemStats snapshot of a
 * running process (gops' `memstats`), with Go's field names on request.
 */
import { parseCommandArgs, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseOnlyTarget, timeoutMs, withTarget } from '../target.js';
import { formatBytes, formatDuration, formatPercent } from '../../report/format.js';
import type { MemStats } from '../../stats/mem-stats.js';

const usage = `Usage: memstats stats <target> [--json] [--go]

Prints one MemStats snapshot of a running Node.js process: Go's
runtime.MemStats fields with the closest honest Node value (null where Node
has none) and Node's own figures (RSS, external, heap limit, spaces, contexts).

${TARGET_HELP}

Options:
  --json             print JSON (camelCase field names; with --go, Go's)
  --go               Go's field names (Alloc, HeapSys, NumGC, PauseNs, …)
${TARGET_OPTIONS_HELP}
  -h, --help         this text

GC figures (NumGC, PauseTotalNs, TotalAlloc) count from when memstats began
watching: for a URL, when the agent started (with the program); for a pid,
when this command attached — a second ago. Watch a pid with memstats top or
memstats attach to see them grow.

Examples:
  memstats stats 12345
  memstats stats http://127.0.0.1:6060 --json --go
`;

function bytes(v: unknown): string {
  return typeof v === 'number' ? `${formatBytes(v)} (${v} bytes)` : 'n/a';
}

function lastGCText(ns: unknown): string {
  if (typeof ns !== 'number' || ns <= 0) return 'never';
  const ago = Date.now() - ns / 1e6;
  return `${new Date(ns / 1e6).toISOString()} (${formatDuration(Math.max(0, ago) * 1e6)} ago)`;
}

/** recentPauses returns Go's PauseNs ring as the recent pauses, most recent first. */
function recentPauses(m: Partial<MemStats>): number[] {
  const ring = m.pauseNs;
  const n = m.numGC;
  if (!Array.isArray(ring) || typeof n !== 'number' || n === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < Math.min(n, ring.length); i++) out.push(ring[(n - 1 - i + ring.length * 2) % ring.length]);
  return out;
}

/** formatMemStats renders MemStats as gops does: one `name: value` line each, sizes in units and bytes. */
export function formatMemStats(m: Partial<MemStats>, label: string): string {
  const lines: string[] = [`memstats of ${label}`];
  const add = (name: string, value: string) => lines.push(`${`${name}:`.padEnd(22)}${value}`);
  add('alloc', bytes(m.alloc));
  add('total-alloc', bytes(m.totalAlloc));
  add('sys', bytes(m.sys));
  add('heap-alloc', bytes(m.heapAlloc));
  add('heap-sys', bytes(m.heapSys));
  add('heap-idle', bytes(m.heapIdle));
  add('heap-in-use', bytes(m.heapInuse));
  add('heap-released', bytes(m.heapReleased));
  add('other-sys', bytes(m.otherSys));
  add('last-gc', lastGCText(m.lastGC));
  add('gc-pause-total', typeof m.pauseTotalNs === 'number' ? formatDuration(m.pauseTotalNs) : 'n/a');
  const pauses = recentPauses(m);
  add('gc-pause', pauses.length > 0 ? formatDuration(pauses[0]) : 'n/a');
  if (pauses.length > 1) add('gc-pause-recent', pauses.slice(0, 8).map(formatDuration).join(' '));
  const kinds = typeof m.numMinorGC === 'number' && typeof m.numMajorGC === 'number' ? ` (minor ${m.numMinorGC}, major ${m.numMajorGC}${typeof m.numForcedGC === 'number' ? `, forced ${m.numForcedGC}` : ''})` : '';
  add('num-gc', `${m.numGC ?? 'n/a'}${kinds}`);
  add('gc-cpu-fraction', typeof m.gcCPUFraction === 'number' ? formatPercent(m.gcCPUFraction) : 'n/a');
  add('enable-gc', String(m.enableGC ?? true));
  lines.push('');
  add('rss', bytes(m.rss));
  add('external', bytes(m.external));
  add('array-buffers', bytes(m.arrayBuffers));
  add('heap-physical', bytes(m.heapPhysical));
  add('heap-limit', bytes(m.heapSizeLimit));
  add('malloced', bytes(m.mallocedMemory));
  add('native-contexts', String(m.nativeContexts ?? 'n/a'));
  add('detached-contexts', String(m.detachedContexts ?? 'n/a'));
  if (Array.isArray(m.heapSpaces) && m.heapSpaces.length > 0) {
    lines.push('');
    lines.push(`${'heap space'.padEnd(26)}${'used'.padStart(10)}${'size'.padStart(10)}`);
    for (const s of m.heapSpaces) lines.push(`${s.name.padEnd(26)}${formatBytes(s.usedBytes).padStart(10)}${formatBytes(s.sizeBytes).padStart(10)}`);
  }
  if (typeof m.trackedMs === 'number') {
    lines.push('');
    lines.push(`GC figures cover the ${formatDuration(m.trackedMs * 1e6)} since memstats began watching this process.`);
  }
  return lines.join('\n') + '\n';
}

/** formatGoMemStats renders Go's fields as `Name: value` lines (PauseNs/PauseEnd: the 8 most recent). */
export function formatGoMemStats(go: Record<string, unknown>, label: string): string {
  const lines = [`runtime.MemStats of ${label}`];
  const n = typeof go.NumGC === 'number' ? go.NumGC : 0;
  for (const [k, v] of Object.entries(go)) {
    if ((k === 'PauseNs' || k === 'PauseEnd') && Array.isArray(v)) {
      const recent: unknown[] = [];
      for (let i = 0; i < Math.min(n, v.length, 8); i++) recent.push(v[(n - 1 - i + v.length * 2) % v.length]);
      lines.push(`${k}: [${recent.join(' ')}${n > 8 ? ' …' : ''}] (most recent first)`);
      continue;
    }
    lines.push(`${k}: ${v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  return lines.join('\n') + '\n';
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'one MemStats snapshot of a running process (pid or URL)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, go: { type: 'boolean' }, ...TARGET_OPTIONS });
    const spec = parseOnlyTarget(positionals);
    const timeout = timeoutMs(values.timeout);
    return withTarget('stats', spec, io, { timeoutMs: timeout }, async (target) => {
      const { memStats, go } = await target.readMemStats();
      if (values.json) {
        const body = values.go ? go : memStats;
        io.stdout.write(JSON.stringify({ target: target.label, pid: target.pid, memstats: body }, null, 2) + '\n');
      } else if (values.go) {
        io.stdout.write(formatGoMemStats(go, target.label));
      } else {
        io.stdout.write(formatMemStats(memStats, target.label));
      }
      return 0;
    });
  },
};
