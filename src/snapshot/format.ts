/**
 * @module snapshot/format
 * Text renderings of diffSnapshots and leakDiff results, as `memstats diff`
 * and `memstats leak` print them.
 */
import { formatBytes } from '../report/format.js';
import type { SnapshotDiff } from './diff.js';
import type { LeakDiffResult } from './leak-diff.js';
import type { SnapshotSummary, AllocationSiteCount } from './analysis.js';

function signed(n: number, fmt: (x: number) => string): string {
  return n > 0 ? `+${fmt(n)}` : n < 0 ? `-${fmt(-n)}` : fmt(0);
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function describe(s: SnapshotSummary): string {
  const weak = s.unreachableCount > 0 ? `, ${count(s.unreachableCount)} weakly held` : '';
  return `${s.file}: ${count(s.reachableCount)} objects, ${formatBytes(s.reachableSizeBytes)}${weak}`;
}

function sitesText(sites: AllocationSiteCount[] | undefined, indent: string): string[] {
  if (!sites || sites.length === 0) return [];
  return sites.map((s) => `${indent}allocated at ${s.site}: ${count(s.count)} objects, ${formatBytes(s.selfSizeBytes)}`);
}

/** formatSnapshotDiff renders a diff for a terminal: the two snapshots, then each group that grew with its retainer path. */
export function formatSnapshotDiff(d: SnapshotDiff): string {
  const lines: string[] = [];
  lines.push(`before  ${describe(d.before)}`);
  lines.push(`after   ${describe(d.after)}`);
  lines.push(`change  ${signed(d.countDelta, count)} objects, ${signed(d.sizeDeltaBytes, formatBytes)}`);
  for (const w of d.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  if (d.groups.length === 0) {
    lines.push('Nothing grew.');
    return lines.join('\n') + '\n';
  }
  const shown = d.groups.length < d.grownGroupCount ? ` (top ${d.groups.length} of ${d.grownGroupCount})` : '';
  lines.push(`Grew most, by the retained size of new objects, then of the group${shown}:`);
  lines.push(`   #  ${'retained Δ'.padStart(11)}  ${'count Δ'.padStart(9)}  ${'new'.padStart(8)}  group`);
  d.groups.forEach((g, k) => {
    const newText = d.sameProcess === false ? '-' : count(g.newCount);
    lines.push(
      `${String(k + 1).padStart(4)}  ${signed(g.retainedSizeDelta, formatBytes).padStart(11)}  ${signed(g.countDelta, count).padStart(9)}  ${newText.padStart(8)}  ${g.name}`,
    );
    if (g.retainerPath) lines.push(`${' '.repeat(6)}${g.retainerPath}`);
    lines.push(...sitesText(g.allocationSites, ' '.repeat(6)));
  });
  return lines.join('\n') + '\n';
}

/** formatLeakDiff renders a leakDiff result: what was allocated in the middle interval, survived, and grew twice. */
export function formatLeakDiff(r: LeakDiffResult): string {
  const lines: string[] = [];
  lines.push(`baseline  ${describe(r.baseline)}`);
  lines.push(`target    ${describe(r.target)}`);
  lines.push(`final     ${describe(r.final)}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  if (r.groups.length === 0) {
    lines.push(`No group grew in both intervals (${count(r.leakedCount)} objects allocated between baseline and target survive in final, ${formatBytes(r.leakedSelfSizeBytes)}).`);
    return lines.join('\n') + '\n';
  }
  lines.push(`Leaked: allocated between baseline and target, alive in final, grew in both intervals:`);
  lines.push(`   #  ${'retained'.padStart(9)}  ${'leaked'.padStart(8)}  ${'counts'.padStart(26)}  group`);
  r.groups.forEach((g, k) => {
    const counts = g.counts.map(count).join(' → ');
    lines.push(`${String(k + 1).padStart(4)}  ${formatBytes(g.leakedRetainedSizeBytes).padStart(9)}  ${count(g.leakedCount).padStart(8)}  ${counts.padStart(26)}  ${g.name}`);
    if (g.retainerPath) lines.push(`${' '.repeat(6)}${g.retainerPath}`);
    lines.push(...sitesText(g.allocationSites, ' '.repeat(6)));
  });
  return lines.join('\n') + '\n';
}
