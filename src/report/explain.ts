/**
 * @module report/explain
 * `explainMemory()`: a process's RSS accounted for, part by part, each with a
 * one-line meaning and the fix that applies — the seed's whole argument (memory
 * the allocator keeps is not memory the program uses) told about the user's own
 * process.
 *
 * Two inputs: the V8 figures of the process (its `readMemStats()`; for this
 * process they are read directly) and its memory map, `/proc/<pid>/smaps`. The
 * map splits RSS into file-backed pages (code and data of node and its
 * libraries), thread stacks (an rw mapping right after a one-page guard),
 * glibc's malloc heaps (`[heap]`, and thread arenas: 64 MiB-aligned regions)
 * and other anonymous memory (V8's heap pages, malloc's large mmap'd blocks,
 * addons). The V8 figures then say what of the anonymous memory is the V8 heap
 * (used, code, free) and what malloc'd memory V8 knows of (ArrayBuffers, other
 * external memory, V8's own). Known malloc'd memory is placed first in malloc's
 * mmap'd blocks (big Buffers are mmap'd while glibc's threshold is low), the
 * rest in its heaps; what its heaps hold beyond that is glibc retention —
 * freed blocks it keeps (REFERENCE: the seed's experiment held 254–267 MB in
 * `[heap]` for 149 MB of live Buffers).
 *
 * Data-shaped: `explainMemory({ pid, memStats })` explains another process from
 * figures fetched from it (agent or inspector); `smapsText` replaces the read
 * of /proc (tests, remote hosts). Without smaps (not Linux, no permission) the
 * split is coarser and says so.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { formatBytes, formatPercent } from './format.js';
import { invalidOption, optionsObject, numberOption, requireNumber, stringOption, optionNames } from '../internal/validate.js';
const EXPLAIN_MEMORY_OPTIONS_NAMES = optionNames<ExplainMemoryOptions>({ pid: true, memStats: true, smapsText: true });

/** The V8/Node figures explainMemory needs; `readMemStats()` returns a superset. */
export interface ExplainMemStats {
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use (objects, live or awaiting GC), bytes. */
  heapAlloc: number;
  /** V8 heap committed, bytes. */
  heapSys: number;
  /** V8 heap committed and resident, bytes. */
  heapPhysical: number;
  /** External memory V8 knows of (includes arrayBuffers), bytes. */
  external: number;
  /** ArrayBuffer/Buffer backing stores, bytes. */
  arrayBuffers: number;
  /** Memory V8 itself malloc'd, bytes. */
  mallocedMemory: number;
  /** Per-space figures (`name`, `sizeBytes`, `usedBytes`, `physicalBytes`). */
  heapSpaces: { name: string; sizeBytes: number; usedBytes: number; availableBytes?: number; physicalBytes: number }[];
}

/** Options of explainMemory. */
export interface ExplainMemoryOptions {
  /** Process to explain (default: this one). Another process needs `memStats` (fetched from it). */
  pid?: number;
  /** That process's figures (its `readMemStats()`); default for this process: read now. */
  memStats?: ExplainMemStats;
  /** The text of its `/proc/<pid>/smaps`, instead of reading it (tests, remote hosts). */
  smapsText?: string;
}

/** The parts RSS is split into. */
export type MemoryPartName =
  | 'heap-used'
  | 'heap-code'
  | 'heap-free'
  | 'array-buffers'
  | 'external-other'
  | 'v8-malloced'
  | 'glibc-retained'
  | 'other-native'
  | 'thread-stacks'
  | 'code-and-libraries';

/** One part of RSS. */
export interface MemoryPart {
  name: MemoryPartName;
  /** A short title. */
  title: string;
  /** Resident bytes attributed to the part. */
  bytes: number;
  /** bytes / RSS. */
  fraction: number;
  /** What the part is, in one line. */
  meaning: string;
  /** What to do about it when it is large, or null when nothing applies. */
  fix: string | null;
  /** The figure is inferred (not read from a counter). */
  estimated: boolean;
}

/** A part worth acting on, with why. */
export interface MemoryFinding {
  part: MemoryPartName;
  text: string;
}

/** The result of explainMemory. */
export interface MemoryExplanation {
  pid: number;
  /** RSS explained, bytes (the smaps total when read, else memStats.rss). */
  rssBytes: number;
  /** Where the split came from: the memory map, or the V8 figures alone. */
  source: 'smaps' | 'memstats';
  /** Parts, in a fixed order (V8 heap, Node/V8 off-heap, allocator, OS); they sum to rssBytes. */
  parts: MemoryPart[];
  /** RSS minus the V8 heap's resident pages: the half of RSS a heap snapshot does not show. */
  beyondHeapBytes: number;
  /** Resident memory that neither V8's nor Node's figures account for: glibc retention + other native (with smaps; without, the whole unsplit lump), bytes. */
  unaccountedBytes: number;
  /** Parts worth acting on (≥ 10% of RSS and with a fix), largest first. */
  findings: MemoryFinding[];
  /** Things to know about the figures (estimates, missing data). */
  notes: string[];
}

/** One mapping of /proc/<pid>/smaps. */
export interface SmapsMapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssBytes: number;
  anonymousBytes: number;
}

const MiB64 = 64 * 1024 * 1024;

/** parseSmaps reads the mappings of a /proc/<pid>/smaps text (Rss and Anonymous, in bytes). */
export function parseSmaps(text: string): SmapsMapping[] {
  const out: SmapsMapping[] = [];
  let cur: SmapsMapping | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], path: head[4], rssBytes: 0, anonymousBytes: 0 };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('Rss:')) cur.rssBytes = kb(line);
    else if (line.startsWith('Anonymous:')) cur.anonymousBytes = kb(line);
  }
  return out;
}

function kb(line: string): number {
  const m = /:\s+(\d+) kB/.exec(line);
  return m ? Number(m[1]) * 1024 : 0;
}

/** How the memory map splits RSS. */
export interface SmapsSplit {
  totalBytes: number;
  fileBytes: number;
  stackBytes: number;
  /** glibc's main heap (`[heap]`). */
  mallocMainHeapBytes: number;
  /** glibc's thread arenas (64 MiB-aligned anonymous regions). */
  mallocArenaBytes: number;
  /** Every other anonymous mapping: V8 heap pages, malloc's mmap'd blocks, addons. */
  otherAnonBytes: number;
  threadStacks: number;
  arenas: number;
}

/** splitSmaps classifies mappings (see the module comment for the rules). */
export function splitSmaps(maps: SmapsMapping[]): SmapsSplit {
  const s: SmapsSplit = { totalBytes: 0, fileBytes: 0, stackBytes: 0, mallocMainHeapBytes: 0, mallocArenaBytes: 0, otherAnonBytes: 0, threadStacks: 0, arenas: 0 };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    s.totalBytes += m.rssBytes;
    if (m.rssBytes === 0) continue;
    const p = m.path;
    if (p === '[heap]') s.mallocMainHeapBytes += m.rssBytes;
    else if (p === '[stack]' || p.startsWith('[stack:')) s.stackBytes += m.rssBytes;
    else if (p !== '' && !p.startsWith('[anon')) s.fileBytes += m.rssBytes; // files, [vdso], [vvar]
    else {
      const prev = maps[i - 1];
      const next = maps[i + 1];
      const size = m.end - m.start;
      // glibc pthread stacks: one guard page (PROT_NONE) just below an rw mapping.
      const isStack = m.perms === 'rw-p' && prev !== undefined && prev.end === m.start && prev.perms === '---p' && prev.end - prev.start === 4096 && size <= MiB64;
      // glibc thread arenas: heaps of HEAP_MAX_SIZE (64 MiB), aligned to it, the unused tail PROT_NONE.
      const isArena =
        m.perms === 'rw-p' &&
        m.start % MiB64 === 0 &&
        (size === MiB64 || (next !== undefined && next.start === m.end && next.perms === '---p' && next.end - m.start === MiB64));
      if (isStack) {
        s.stackBytes += m.rssBytes;
        s.threadStacks++;
      } else if (isArena) {
        s.mallocArenaBytes += m.rssBytes;
        s.arenas++;
      } else s.otherAnonBytes += m.rssBytes;
    }
  }
  return s;
}

function ownMemStats(): ExplainMemStats {
  const mu = process.memoryUsage();
  const hs = v8.getHeapStatistics();
  return {
    rss: mu.rss,
    heapAlloc: hs.used_heap_size,
    heapSys: hs.total_heap_size,
    heapPhysical: hs.total_physical_size,
    external: mu.external,
    arrayBuffers: mu.arrayBuffers,
    mallocedMemory: hs.malloced_memory,
    heapSpaces: v8.getHeapSpaceStatistics().map((sp) => ({
      name: sp.space_name,
      sizeBytes: sp.space_size,
      usedBytes: sp.space_used_size,
      availableBytes: sp.space_available_size,
      physicalBytes: sp.physical_space_size,
    })),
  };
}

function checkMemStats(v: unknown): ExplainMemStats {
  const accepted = 'an object with the numbers rss, heapAlloc, heapSys, heapPhysical, external, arrayBuffers, mallocedMemory and a heapSpaces array (readMemStats() of the process)';
  if (typeof v !== 'object' || v === null) throw invalidOption('type', 'memStats', v, accepted);
  const m = v as Record<string, unknown>;
  for (const k of ['rss', 'heapAlloc', 'heapSys', 'heapPhysical', 'external', 'arrayBuffers', 'mallocedMemory']) {
    requireNumber(`memStats.${k}`, m[k], { min: 0 });
  }
  if (!Array.isArray(m.heapSpaces)) throw invalidOption('type', 'memStats.heapSpaces', m.heapSpaces, 'an array of heap spaces');
  return v as ExplainMemStats;
}

const TEXT: Record<MemoryPartName, { title: string; meaning: string; fix: string | null }> = {
  'heap-used': {
    title: 'V8 heap: objects',
    meaning: 'JavaScript objects, live or garbage not yet collected (a heap snapshot shows them).',
    fix: 'If it grows after full GCs, find the leak: watchLeaks(), then `memstats diff` of two heap snapshots names what grew and who holds it.',
  },
  'heap-code': {
    title: 'V8 heap: code',
    meaning: 'Compiled code and bytecode in the code spaces.',
    fix: null,
  },
  'heap-free': {
    title: 'V8 heap: free',
    meaning: 'Heap pages V8 holds without objects: the young generation\'s reserve (semi-spaces) and old-generation fragmentation.',
    fix: 'A smaller young generation (--max-semi-space-size=<MiB>) lowers the reserve at the price of more scavenges; old-generation fragmentation is compacted by V8 itself.',
  },
  'array-buffers': {
    title: 'Buffers and ArrayBuffers',
    meaning: 'Backing stores of Buffers and ArrayBuffers, outside the V8 heap (live, or awaiting the next GC).',
    fix: 'If that is more than the program needs live: `memstats diff` shows who holds them; reusing big buffers (a recycler: memstats/pool) instead of allocating new ones keeps the allocator from growing.',
  },
  'external-other': {
    title: 'Other external memory',
    meaning: 'Memory outside the heap that Node or addons report to V8 (not ArrayBuffers).',
    fix: null,
  },
  'v8-malloced': {
    title: 'V8 internal malloc',
    meaning: 'Memory V8 itself allocates with malloc (compiler zones, tables).',
    fix: null,
  },
  'glibc-retained': {
    title: 'glibc heap retention',
    meaning: 'Freed memory glibc\'s malloc keeps in its heaps instead of returning it to the OS (Go\'s HeapIdle that is never released): no live allocation uses it.',
    fix:
      'Reuse big buffers (a recycler: the seed\'s experiment went from 310 to 256 MB RSS and 2.4 to 0.9 CPU-s); or set MALLOC_MMAP_THRESHOLD_=131072 so big blocks are mmap\'d and returned on free (measured: RSS 310 → 242 MB, CPU ×3.5 from fresh page faults); or preload jemalloc (LD_PRELOAD=libjemalloc.so.2), which returns freed pages over time. MALLOC_ARENA_MAX does not help (one thread allocates).',
  },
  'other-native': {
    title: 'Other native memory',
    meaning: 'Anonymous memory outside malloc\'s heaps that no counter reports: native addons, OpenSSL, ICU, V8 internals.',
    fix: 'If it grows, watchLeaks({ signals: [\'native\'] }) tracks it; heap snapshots cannot see it — suspect native addons first.',
  },
  'thread-stacks': {
    title: 'Thread stacks',
    meaning: 'Stacks of the main thread, libuv\'s thread pool (UV_THREADPOOL_SIZE) and V8\'s workers; only pages touched count.',
    fix: null,
  },
  'code-and-libraries': {
    title: 'Code and libraries',
    meaning: 'The node binary, shared libraries and ICU data mapped from files; shared with other node processes (see Pss).',
    fix: null,
  },
};

function part(name: MemoryPartName, bytes: number, rss: number, estimated: boolean): MemoryPart {
  const t = TEXT[name];
  const b = Math.max(0, Math.round(bytes));
  return { name, title: t.title, bytes: b, fraction: rss > 0 ? b / rss : 0, meaning: t.meaning, fix: t.fix, estimated };
}

/**
 * explainMemory accounts for a process's RSS, part by part (V8 heap used, code
 * and free; Buffers; other external; V8's malloc; glibc heap retention; other
 * native; thread stacks; code and libraries), each with its meaning and fix,
 * and lists the parts worth acting on. Default: this process, read now. For
 * another pid, pass `memStats` fetched from it (its readMemStats()); its
 * /proc/<pid>/smaps must be readable (same user) or `smapsText` given. Throws a
 * TypeError/RangeError (ERR_MEMSTATS_INVALID_OPTION) for invalid options.
 * Reads /proc synchronously (~3–4 ms for a node process: the kernel walks every mapping); calling it repeatedly is harmless.
 */
export function explainMemory(options?: ExplainMemoryOptions): MemoryExplanation {
  const o = optionsObject<ExplainMemoryOptions>('options', options, EXPLAIN_MEMORY_OPTIONS_NAMES);
  const pid = numberOption('pid', o.pid, process.pid, { integer: true, min: 1 });
  const self = pid === process.pid;
  if (!self && o.memStats === undefined) {
    throw invalidOption('type', 'memStats', undefined, `the figures of process ${pid} (its readMemStats(), fetched through the agent or the inspector): V8's figures of another process cannot be read from here`);
  }
  const m = o.memStats === undefined ? ownMemStats() : checkMemStats(o.memStats);
  const smapsText = stringOption('smapsText', o.smapsText, undefined);
  const notes: string[] = [];

  let split: SmapsSplit | null = null;
  if (smapsText !== undefined) split = splitSmaps(parseSmaps(smapsText));
  else if (process.platform === 'linux') {
    try {
      split = splitSmaps(parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8')));
    } catch (err) {
      notes.push(`/proc/${pid}/smaps could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): glibc retention, stacks and libraries are not told apart.`);
    }
  } else {
    notes.push('No /proc on this platform: glibc retention, stacks and libraries are not told apart.');
  }
  if (split && split.totalBytes === 0) {
    notes.push('The memory map was empty: using the V8 figures alone.');
    split = null;
  }

  // V8 heap, from the spaces (code spaces apart).
  let codeUsed = 0;
  for (const sp of m.heapSpaces) if (sp.name === 'code_space' || sp.name === 'code_large_object_space') codeUsed += sp.usedBytes;
  const heapPhysical = m.heapPhysical;
  const objects = Math.max(0, m.heapAlloc - codeUsed);
  const heapFree = Math.max(0, heapPhysical - m.heapAlloc);
  const arrayBuffers = m.arrayBuffers;
  const externalOther = Math.max(0, m.external - m.arrayBuffers);
  const malloced = m.mallocedMemory;
  const knownNative = arrayBuffers + externalOther + malloced;
  if (externalOther > 16 * 1024 * 1024 && externalOther > arrayBuffers * 0.1) {
    notes.push(`Other external memory is ${formatBytes(externalOther)}: V8 lowers its external count one GC after a free, so after heavy Buffer churn part of it is memory already freed (read again after a GC).`);
  }

  const parts: MemoryPart[] = [];
  let rss: number;
  if (split) {
    rss = split.totalBytes;
    // Anonymous memory outside malloc's heaps holds V8's heap pages; the rest of it is mmap'd blocks and native.
    const v8InAnon = Math.min(heapPhysical, split.otherAnonBytes);
    const scale = heapPhysical > 0 ? v8InAnon / heapPhysical : 1;
    if (scale < 0.9 && heapPhysical - v8InAnon > 1 << 20) notes.push(`V8 reports ${formatBytes(heapPhysical)} of heap resident but the map holds ${formatBytes(v8InAnon)} for it: heap parts scaled down.`);
    const mmapped = split.otherAnonBytes - v8InAnon;
    const mallocHeaps = split.mallocMainHeapBytes + split.mallocArenaBytes;
    // Known malloc'd memory sits first in mmap'd blocks (large Buffers), then in malloc's heaps.
    const knownInMmaps = Math.min(knownNative, mmapped);
    const knownInHeaps = Math.min(knownNative - knownInMmaps, mallocHeaps);
    const notResident = knownNative - knownInMmaps - knownInHeaps;
    if (notResident > 1 << 20) {
      notes.push(`${formatBytes(notResident)} of the external memory V8 counts is not resident (allocated but never written, or freed since): the Buffer parts are scaled down.`);
    }
    const residentKnown = knownInMmaps + knownInHeaps;
    const k = knownNative > 0 ? residentKnown / knownNative : 1;
    // The heap's resident pages split into objects, code and free, never more than the map holds.
    const used = Math.min(m.heapAlloc, v8InAnon);
    const usedScale = m.heapAlloc > 0 ? used / m.heapAlloc : 0;
    parts.push(part('heap-used', objects * usedScale, rss, false));
    parts.push(part('heap-code', codeUsed * usedScale, rss, false));
    parts.push(part('heap-free', v8InAnon - used, rss, true));
    parts.push(part('array-buffers', arrayBuffers * k, rss, k < 0.999));
    parts.push(part('external-other', externalOther * k, rss, k < 0.999));
    parts.push(part('v8-malloced', malloced * k, rss, k < 0.999));
    parts.push(part('glibc-retained', mallocHeaps - knownInHeaps, rss, true));
    parts.push(part('other-native', mmapped - knownInMmaps, rss, true));
    parts.push(part('thread-stacks', split.stackBytes, rss, split.threadStacks > 0));
    parts.push(part('code-and-libraries', split.fileBytes, rss, false));
  } else {
    rss = m.rss;
    parts.push(part('heap-used', objects, rss, false));
    parts.push(part('heap-code', codeUsed, rss, false));
    parts.push(part('heap-free', heapFree, rss, true));
    parts.push(part('array-buffers', arrayBuffers, rss, false));
    parts.push(part('external-other', externalOther, rss, false));
    parts.push(part('v8-malloced', malloced, rss, false));
    // Without the map: everything else is one lump, called other native.
    const rest = rss - heapPhysical - knownNative;
    const p = part('other-native', rest, rss, true);
    p.meaning = 'Everything else: code and libraries, thread stacks, glibc heap retention and native allocations (the memory map, /proc/<pid>/smaps, would tell them apart).';
    // Not split, it holds the binary and the stacks too: nothing here points at addons yet.
    p.fix = 'Not split without the memory map: run explain where /proc/<pid>/smaps is readable (Linux, same user) to tell code, stacks, malloc retention and native allocations apart.';
    parts.push(p);
  }
  // Rounding and figures read moments apart: the parts sum to rss exactly. A
  // surplus goes to other native; a shortfall comes out of the inferred parts first.
  let diff = rss - parts.reduce((a, p) => a + p.bytes, 0);
  for (const name of ['other-native', 'glibc-retained', 'heap-free', 'external-other', 'array-buffers', 'heap-used'] as const) {
    if (diff === 0) break;
    const p = parts.find((x) => x.name === name);
    if (!p) continue;
    const next = Math.max(0, p.bytes + diff);
    diff -= next - p.bytes;
    p.bytes = next;
    if (diff > 0) diff = 0; // a surplus is placed whole in the first part
  }
  for (const p of parts) p.fraction = rss > 0 ? p.bytes / rss : 0;

  const heapResident = parts.filter((p) => p.name === 'heap-used' || p.name === 'heap-code' || p.name === 'heap-free').reduce((a, p) => a + p.bytes, 0);
  const beyondHeap = rss - heapResident;
  const unaccounted = parts.filter((p) => p.name === 'glibc-retained' || p.name === 'other-native').reduce((a, p) => a + p.bytes, 0);
  const findings: MemoryFinding[] = parts
    .filter((p) => p.fix !== null && p.fraction >= 0.1)
    .sort((a, b) => b.bytes - a.bytes)
    .map((p) => ({
      part: p.name,
      text: `${p.title}: ${formatBytes(p.bytes)} (${formatPercent(p.fraction)} of RSS${beyondHeap > 0 && !p.name.startsWith('heap-') ? `, ${formatPercent(p.bytes / beyondHeap)} of what lies beyond the V8 heap` : ''}). ${p.fix}`,
    }));
  return { pid, rssBytes: rss, source: split ? 'smaps' : 'memstats', parts, beyondHeapBytes: beyondHeap, unaccountedBytes: unaccounted, findings, notes };
}

/**
 * formatExplanation renders an explanation for a terminal: one line per part
 * (bytes, share of RSS, title, meaning), then the findings with their fixes
 * and the notes. Parts under 0.5% of RSS are folded into one line.
 */
export function formatExplanation(e: MemoryExplanation): string {
  const lines: string[] = [];
  lines.push(`RSS of process ${e.pid}: ${formatBytes(e.rssBytes)} (${e.source === 'smaps' ? `from /proc/${e.pid}/smaps` : 'V8 figures only'})`);
  lines.push('');
  let small = 0;
  for (const p of e.parts) {
    if (p.fraction < 0.005) {
      small += p.bytes;
      continue;
    }
    const est = p.estimated ? '~' : ' ';
    lines.push(`  ${est}${formatBytes(p.bytes).padStart(8)}  ${formatPercent(p.fraction).padStart(7)}  ${p.title.padEnd(26)} ${p.meaning}`);
  }
  if (small > 0) lines.push(`   ${formatBytes(small).padStart(8)}  ${formatPercent(small / Math.max(1, e.rssBytes)).padStart(7)}  ${'(smaller parts)'.padEnd(26)}`);
  lines.push('');
  const rest =
    e.source === 'smaps'
      ? `not accounted for by V8's or Node's figures (glibc retention, other native): ${formatBytes(e.unaccountedBytes)}`
      : `the rest (${formatBytes(e.unaccountedBytes)}) is not split without /proc/${e.pid}/smaps: it holds code, libraries and thread stacks too`;
  lines.push(`Beyond the V8 heap: ${formatBytes(e.beyondHeapBytes)} (${formatPercent(e.beyondHeapBytes / Math.max(1, e.rssBytes))} of RSS); ${rest}.`);
  if (e.findings.length > 0) {
    lines.push('');
    lines.push('What to do:');
    for (const f of e.findings) lines.push(`  - ${f.text}`);
  }
  if (e.notes.length > 0) {
    lines.push('');
    for (const n of e.notes) lines.push(`note: ${n}`);
  }
  lines.push('');
  lines.push('~ marks inferred figures.');
  return lines.join('\n') + '\n';
}
