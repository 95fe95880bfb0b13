/**
 * @module attach/remote-profiles
 * Profiles of an attached process built here from what the target sent: the
 * block profile (stall windows recorded in the target, matched against a CPU
 * profile taken over the DevTools protocol at the same time) and the
 * resources profile (live resources by type: the goroutine dump's analog;
 * creation stacks need the in-process tracker, which an attached process
 * does not run).
 */
import type { Profile } from 'pprof-format';
import { stallAttributor, stallsToPprof, type Stall, type StallWindow } from '../profile/block.js';
import { resourcesProfileBuilder } from '../profile/resources.js';
import type { V8CpuProfile } from '../profile/v8-types.js';

/**
 * stallsFromCpuProfile turns stall windows (profile-clock µs) into Stalls: for
 * each, the distinct stacks of the CPU-profile samples taken during it.
 */
export function stallsFromCpuProfile(windows: readonly StallWindow[], profile: V8CpuProfile): Stall[] {
  const stallIn = stallAttributor(profile);
  return windows.map((w) => stallIn(w));
}

/** blockProfileFrom builds the pprof block profile (contentions/count, delay/nanoseconds) of an attached process. */
export function blockProfileFrom(
  windows: readonly StallWindow[],
  dropped: number,
  cpu: V8CpuProfile,
  o: { thresholdMs: number; startedAtMs: number; endedAtMs: number },
): Profile {
  const comments = [`threshold ${o.thresholdMs} ms`, 'taken through the inspector (memstats attach)'];
  if (dropped > 0) comments.push(`${dropped} stalls not kept`);
  return stallsToPprof(stallsFromCpuProfile(windows, cpu), {
    timeNanos: BigInt(Math.round(o.startedAtMs)) * 1_000_000n,
    durationNanos: BigInt(Math.max(0, Math.round(o.endedAtMs - o.startedAtMs))) * 1_000_000n,
    comments,
  });
}

/** Live resources by type, largest first. */
function sortedTypes(byType: Record<string, number>): Array<[string, number]> {
  return Object.entries(byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** resourcesProfileFrom builds the pprof resources profile (resources/count) of an attached process: one sample per type. */
export function resourcesProfileFrom(byType: Record<string, number>): Profile {
  const b = resourcesProfileBuilder(['taken through the inspector (memstats attach): creation stacks need startResourceTracking() in the process']);
  for (const [type, n] of sortedTypes(byType)) b.addSample([b.syntheticLocation(type)], [n]);
  return b.build();
}

/** resourcesTextFrom renders live resources as profile/resources' text forms (debug 1 or 2), without creation stacks. */
export function resourcesTextFrom(byType: Record<string, number>, debug: 1 | 2): string {
  const types = sortedTypes(byType);
  const total = types.reduce((a, [, n]) => a + n, 0);
  const why = '(creation stack not tracked: attached through the inspector)';
  const lines: string[] = [];
  if (debug === 1) {
    lines.push(`resources profile: total ${total}`);
    for (const [type, n] of types) lines.push(`${n} @ ${type}`, `#\t${why}`, '');
  } else {
    for (const [type, n] of types) lines.push(`${type}: ${n} ${why}`);
    if (types.length > 0) lines.push('');
  }
  return lines.join('\n');
}
