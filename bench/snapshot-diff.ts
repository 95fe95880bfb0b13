/**
 * bench/snapshot-diff.ts — heap-snapshot diff, memstats against memlab, on the
 * same snapshots: wall time and peak RSS to parse two snapshots and diff them
 * (by constructor, with retained sizes, new objects by id and a shortest
 * retainer path per group), each run in a fresh child process, memstats and
 * memlab alternating. Optionally memstats' leakDiff against memlab's own
 * three-snapshot `findLeaksBySnapshotFilePaths` (--leak).
 *
 *   npx tsc -p tsconfig.json
 *   mkdir -p /tmp/memlab-bench && cd /tmp/memlab-bench && \
 *     PUPPETEER_SKIP_DOWNLOAD=1 npm install @memlab/heap-analysis @memlab/core @memlab/api
 *   node dist/bench/snapshot-diff.js --memlab /tmp/memlab-bench --sizes 100,500 --dir /tmp/snapdiff [--rounds 3] [--leak]
 *   node dist/bench/snapshot-diff.js --sizes 1000 --dir /tmp/snapdiff --only memstats
 *
 * memlab is never a dependency of this package: its location comes from
 * --memlab or MEMLAB_DIR. Sizes are the target size of the snapshot files in MB
 * (the heap is about 60% of it); the snapshots are made once by
 * test/fixtures/leak/big-heap.js and reused (delete --dir to remake). A 500 MB
 * snapshot takes minutes and GBs of RAM to write: run the big sizes once, on a
 * quiet machine.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './helpers.js';

const self = fileURLToPath(import.meta.url);
const bigHeap = fileURLToPath(new URL('../test/fixtures/leak/big-heap.js', import.meta.url));

interface RunResult {
  tool: string;
  ms: number;
  maxRssBytes: number;
  /** Top groups, for a sanity check that both found the same thing. */
  top: string[];
}

// ---- Child side: one job, then one JSON line prefixed with RESULT. ----

async function childOurs(files: string[]): Promise<RunResult> {
  const { diffSnapshots, leakDiff } = await import('../src/snapshot/index.js');
  const t0 = performance.now();
  let top: string[];
  if (files.length === 3) {
    const r = await leakDiff(files[0], files[1], files[2], { top: 5, maxMemoryBytes: 0 });
    top = r.groups.map((g) => g.name);
  } else {
    const d = await diffSnapshots(files[0], files[1], { top: 5, maxMemoryBytes: 0 });
    top = d.groups.map((g) => g.name);
  }
  return { tool: 'memstats', ms: performance.now() - t0, maxRssBytes: process.resourceUsage().maxRSS * 1024, top };
}

interface MemlabNode {
  id: number;
  type: string;
  name: string;
  retainedSize: number;
  pathEdge: { name_or_index: string | number; fromNode: MemlabNode } | null;
}
interface MemlabHeap {
  nodes: { forEach(cb: (n: MemlabNode) => void): void };
}

async function childMemlab(files: string[], dir: string): Promise<RunResult> {
  const req = createRequire(join(dir, 'package.json'));
  const t0 = performance.now();
  let top: string[];
  if (files.length === 3) {
    // memlab's own three-snapshot leak finder.
    const api = req('@memlab/api') as { findLeaksBySnapshotFilePaths(a: string, b: string, c: string, o?: object): Promise<unknown[]> };
    const leaks = await api.findLeaksBySnapshotFilePaths(files[0], files[1], files[2], { consoleMode: 'SILENT' });
    top = [`${leaks.length} leak traces`];
  } else {
    // The same job as diffSnapshots, on memlab's engine: its parser, shortest
    // paths and retained sizes (getFullHeapFromFile), then a diff by id and by
    // constructor, and the path of each top group's largest new object.
    const { getFullHeapFromFile } = req('@memlab/heap-analysis') as { getFullHeapFromFile(f: string): Promise<MemlabHeap> };
    let a: MemlabHeap | null = await getFullHeapFromFile(files[0]);
    const before = new Set<number>();
    a.nodes.forEach((n) => {
      before.add(n.id);
    });
    a = null;
    const b = await getFullHeapFromFile(files[1]);
    const groups = new Map<string, { newRetained: number; example: MemlabNode | null }>();
    b.nodes.forEach((n) => {
      if (before.has(n.id)) return;
      const k = n.type === 'object' || n.type === 'closure' ? n.name : `(${n.type})`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { newRetained: 0, example: null }));
      g.newRetained += n.retainedSize;
      if (!g.example || n.retainedSize > g.example.retainedSize) g.example = n;
    });
    const best = [...groups.entries()].sort((x, y) => y[1].newRetained - x[1].newRetained).slice(0, 5);
    for (const [, g] of best) {
      const path: string[] = [];
      for (let cur = g.example, k = 0; cur?.pathEdge && k < 64; cur = cur.pathEdge.fromNode, k++) path.push(String(cur.pathEdge.name_or_index));
    }
    top = best.map(([k]) => k);
  }
  return { tool: 'memlab', ms: performance.now() - t0, maxRssBytes: process.resourceUsage().maxRSS * 1024, top };
}

// ---- Parent side. ----

function runChild(tool: string, files: string[], memlabDir: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // memlab gets all the heap it wants (its default limit fails on big snapshots); memstats keeps Node's default.
    const execArgv = tool === 'memlab' ? ['--max-old-space-size=20000'] : [];
    const child = spawn(process.execPath, [...execArgv, self, '--child', tool, '--memlab', memlabDir, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    // memlab draws progress lines; shown only if the run fails.
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`${tool} exited ${code}: ${out.slice(-2000)} ${err}`));
      resolve(JSON.parse(line.slice(7)) as RunResult);
    });
  });
}

function makeSnapshots(dir: string, mb: number, three: boolean): Promise<string[]> {
  const files = [`${mb}mb-a`, `${mb}mb-b`, `${mb}mb-c`].map((n) => join(dir, `${n}.heapsnapshot`));
  const want = three ? files : files.slice(0, 2);
  if (want.every((f) => existsSync(f))) return Promise.resolve(want);
  // File size ≈ 1.65 × heap used (measured on big-heap's object mix).
  const heapMiB = Math.round((mb * 1e6) / 1.65 / 1048576);
  console.error(`making ${three ? 3 : 2} snapshots of ~${mb} MB (heap ${heapMiB} MiB) in ${dir} …`);
  return new Promise((resolve, reject) => {
    const args = ['--max-old-space-size=20000', bigHeap, String(heapMiB), files[0], files[1], '10', three ? files[2] : ''];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(want) : reject(new Error(`big-heap exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'string' },
      memlab: { type: 'string' },
      sizes: { type: 'string', default: '100' },
      dir: { type: 'string', default: '/tmp/memstats-snapdiff' },
      rounds: { type: 'string', default: '3' },
      only: { type: 'string' },
      leak: { type: 'boolean', default: false },
    },
  });
  const memlabDir = values.memlab ?? process.env.MEMLAB_DIR ?? '';
  if (values.child) {
    const r = values.child === 'memlab' ? await childMemlab(positionals, memlabDir) : await childOurs(positionals);
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
    return;
  }
  const tools = (values.only ?? 'memstats,memlab').split(',');
  if (tools.includes('memlab') && (!memlabDir || !existsSync(join(memlabDir, 'node_modules', '@memlab', 'heap-analysis')))) {
    throw new Error('memlab not found: pass --memlab <dir> (or MEMLAB_DIR) where @memlab/heap-analysis, @memlab/core and @memlab/api are installed, or --only memstats');
  }
  mkdirSync(values.dir, { recursive: true });
  const rounds = Number(values.rounds);
  console.log(`node ${process.version}; rounds ${rounds}; memlab ${memlabDir || '(none)'}`);
  for (const mb of values.sizes.split(',').map(Number)) {
    const files = await makeSnapshots(values.dir, mb, values.leak);
    const jobs: [string, string[]][] = [['diff', files.slice(0, 2)]];
    if (values.leak) jobs.push(['leak (3 snapshots)', files]);
    for (const [job, jobFiles] of jobs) {
      const results = new Map<string, RunResult[]>(tools.map((t) => [t, []]));
      for (let r = 0; r < rounds; r++) {
        // Alternate which goes first, so drift in the machine's load hits both alike.
        const order = r % 2 === 0 ? tools : [...tools].reverse();
        for (const t of order) {
          const res = await runChild(t, jobFiles, memlabDir);
          results.get(t)!.push(res);
          console.log(`  ${mb} MB ${job} round ${r + 1} ${t}: ${(res.ms / 1000).toFixed(1)} s, peak RSS ${(res.maxRssBytes / 1048576).toFixed(0)} MiB; top: ${res.top.join(', ')}`);
        }
      }
      const sizes = jobFiles.map((f) => `${(statSync(f).size / 1e6).toFixed(0)} MB`).join(' + ');
      console.log(`\n${job}, snapshots ${sizes}:`);
      console.log(`  tool       time s (median)   peak RSS MiB (median)`);
      const med = new Map<string, { ms: number; rss: number }>();
      for (const t of tools) {
        const rs = results.get(t)!;
        const m = { ms: median(rs.map((x) => x.ms)), rss: median(rs.map((x) => x.maxRssBytes)) };
        med.set(t, m);
        console.log(`  ${t.padEnd(9)}  ${(m.ms / 1000).toFixed(1).padStart(14)}   ${(m.rss / 1048576).toFixed(0).padStart(21)}`);
      }
      const a = med.get('memstats');
      const b = med.get('memlab');
      if (a && b) console.log(`  memstats/memlab: time ×${(a.ms / b.ms).toFixed(2)} (${(b.ms / a.ms).toFixed(1)}× faster), peak RSS ×${(a.rss / b.rss).toFixed(2)}\n`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
