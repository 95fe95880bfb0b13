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
import { stallsToPprof, type Stall } from '../profile/block.js';
import { ProfileBuilder, frameOf, type RawFrame } from '../profile/pprof.js';
import type { V8CpuProfile, V8CpuProfileNode } from '../profile/v8-types.js';
import type { StallWindow } from './injected/stalls.js';

/**
 * stallsFromCpuProfile turns stall windows (profile-clock µs) into Stalls: for
 * each, the distinct stacks of the CPU-profile samples taken during it.
 */
export function stallsFromCpuProfile(windows: readonly StallWindow[], profile: V8CpuProfile): Stall[] {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const ts = new Array<number>(samples.length);
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    ts[i] = t;
  }
  const byId = new Map<number, V8CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parentOf.set(c, n.id);
  }
  const stackCache = new Map<number, RawFrame[]>();
  const stackOf = (id: number): RawFrame[] => {
    let s = stackCache.get(id);
    if (s) return s;
    s = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const node = byId.get(cur);
      if (!node || node.callFrame.functionName === '(root)') break;
      s.push(frameOf(node.callFrame));
    }
    stackCache.set(id, s);
    return s;
  };
  return windows.map((w) => {
    // Samples are in time order: binary search the window's first one.
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < w.startUs) lo = mid + 1;
      else hi = mid;
    }
    const counts = new Map<number, number>();
    for (let i = lo; i < ts.length && ts[i] <= w.endUs; i++) counts.set(samples[i], (counts.get(samples[i]) ?? 0) + 1);
    return {
      endedAtMs: w.endedAtMs,
      delayNs: w.delayNs,
      stacks: [...counts].map(([id, n]) => ({ frames: stackOf(id), samples: n })).filter((s) => s.frames.length > 0),
    };
  });
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
  const b = new ProfileBuilder({
    sampleTypes: [['resources', 'count']],
    periodType: ['resources', 'count'],
    period: 1,
    timeNanos: BigInt(Date.now()) * 1_000_000n,
    mapSources: false,
    comments: ['taken through the inspector (memstats attach): creation stacks need startResourceTracking() in the process'],
  });
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
