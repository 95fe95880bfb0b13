/**
 * bench/recycle.ts — the seed's experiment, measured: Node's naive Buffer.alloc,
 * the seed's bounded pool of 5, and memstats' recycler (get(size) on fixed and
 * resizable backing; the seed's semantics, getAtLeast(5 MB, size drawn), on
 * fixed), each in a process of its own, one after the other in one run; and,
 * when `go` is installed, the seed's own three Go programs with the same
 * parameters beside them. Then get+give of 1 MiB against Buffer.alloc of 1 MiB.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/recycle.js [--iterations 1500] [--period-ms 20]
 *       [--only naive,pool,recycler,resizable,any] [--no-go] [--micro-only]
 *
 * The experiment: 20 slots, 5–10 MB buffers (uniform), one per period, every
 * buffer written in full (untouched pages are never resident, so a benchmark
 * that skips the writes flatters RSS). Takes ~32 s per program at the defaults.
 * Do not run it while the machine is busy: CPU and page-fault figures suffer.
 */
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ExperimentOptions, ExperimentSummary } from '../src/pool/experiment.js';
import type { ExperimentMessage } from '../src/pool/experiment-child.js';
import { createRecycler } from '../src/pool/index.js';
import { median } from './helpers.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1500' },
    'period-ms': { type: 'string', default: '20' },
    only: { type: 'string' },
    'no-go': { type: 'boolean', default: false },
    'micro-only': { type: 'boolean', default: false },
  },
});
const iterations = Number(values.iterations);
const periodMs = Number(values['period-ms']);

interface Row {
  program: string;
  rssOverLiveMedian: number;
  rssOverLivePeak: number;
  /** Node: arrayBuffers/live; Go: HeapSys/live. */
  heapOverLive: number;
  makes: number;
  gcs: number;
  cpuS: number;
  minorFaults: number;
  rssMedianMiB: number;
}

const childPath = fileURLToPath(new URL('../src/pool/experiment-child.js', import.meta.url));

function runNode(label: string, opts: ExperimentOptions): Promise<Row> {
  return new Promise((resolve, reject) => {
    let summary: ExperimentSummary | undefined;
    const child = fork(childPath, [JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    child.on('message', (m: ExperimentMessage) => {
      if (m.type === 'summary') summary = m.summary;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!summary || code !== 0) return reject(new Error(`${label}: child exited ${code}`));
      const s = summary;
      resolve({
        program: label,
        rssOverLiveMedian: s.rssOverLiveMedian,
        rssOverLivePeak: s.rssOverLivePeak,
        heapOverLive: s.arrayBuffersOverLiveMedian,
        makes: s.makes,
        gcs: s.numGC,
        cpuS: (s.cpuUserUs + s.cpuSystemUs) / 1e6,
        minorFaults: s.minorFaults,
        rssMedianMiB: s.rssMedian / 2 ** 20,
      });
    });
  });
}

// The seed's three programs, with its parameters made flags, the same seeded
// slot choice, every buffer written in full (memmove-speed doubling copy, like
// Node's fill), and a JSON summary measured as the Node child measures.
const GO_SOURCE = String.raw`package main

import (
	"container/list"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

var makes int64

func makeBuffer() []byte {
	atomic.AddInt64(&makes, 1)
	return make([]byte, rand.Intn(5000000)+5000000)
}

type queued struct {
	when  time.Time
	slice []byte
}

// The seed's recycler, as published.
func makeRecycler() (get, give chan []byte) {
	get = make(chan []byte)
	give = make(chan []byte)
	go func() {
		q := new(list.List)
		for {
			if q.Len() == 0 {
				q.PushFront(queued{when: time.Now(), slice: makeBuffer()})
			}
			e := q.Front()
			timeout := time.NewTimer(time.Minute)
			select {
			case b := <-give:
				timeout.Stop()
				q.PushFront(queued{when: time.Now(), slice: b})
			case get <- e.Value.(queued).slice:
				timeout.Stop()
				q.Remove(e)
			case <-timeout.C:
				e := q.Front()
				for e != nil {
					n := e.Next()
					if time.Since(e.Value.(queued).when) > time.Minute {
						q.Remove(e)
						e.Value = nil
					}
					e = n
				}
			}
		}
	}()
	return
}

func rss() uint64 {
	b, _ := os.ReadFile("/proc/self/statm")
	var size, res uint64
	fmt.Sscan(string(b), &size, &res)
	return res * uint64(os.Getpagesize())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func main() {
	variant := os.Args[1]
	iterations, _ := strconv.Atoi(os.Args[2])
	periodMs, _ := strconv.Atoi(os.Args[3])
	rand.Seed(1)
	pool := make([][]byte, 20)
	buffer := make(chan []byte, 5)
	var get, give chan []byte
	if variant == "recycler" {
		get, give = makeRecycler()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	gc0 := m.NumGC
	rssStart := rss()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	var ratios, heapRatios, rssList []float64
	peak := 0.0
	filled := false
	for it := 1; it <= iterations; it++ {
		var b []byte
		i := rand.Intn(len(pool))
		switch variant {
		case "naive":
			b = makeBuffer()
		case "pool":
			select {
			case b = <-buffer:
			default:
				b = makeBuffer()
			}
			if pool[i] != nil {
				select {
				case buffer <- pool[i]:
					pool[i] = nil
				default:
				}
			}
		case "recycler":
			b = <-get
			if pool[i] != nil {
				give <- pool[i]
			}
		}
		b[0] = byte(it)
		for n := 1; n < len(b); n *= 2 {
			copy(b[n:], b[:n])
		}
		pool[i] = b
		time.Sleep(time.Duration(periodMs) * time.Millisecond)
		bytes := 0
		all := true
		for _, p := range pool {
			if p != nil {
				bytes += len(p)
			} else {
				all = false
			}
		}
		if all || it >= 60 || it == iterations {
			filled = true
		}
		if filled {
			runtime.ReadMemStats(&m)
			r := rss()
			ratio := float64(int64(r)-int64(rssStart)) / float64(bytes)
			ratios = append(ratios, ratio)
			heapRatios = append(heapRatios, float64(m.HeapSys)/float64(bytes))
			rssList = append(rssList, float64(r))
			if ratio > peak {
				peak = ratio
			}
		}
	}
	runtime.ReadMemStats(&m)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := float64((ru1.Utime.Sec-ru0.Utime.Sec)*1e6+(ru1.Utime.Usec-ru0.Utime.Usec)+(ru1.Stime.Sec-ru0.Stime.Sec)*1e6+(ru1.Stime.Usec-ru0.Stime.Usec)) / 1e6
	out, _ := json.Marshal(map[string]float64{
		"rssOverLiveMedian": median(ratios),
		"rssOverLivePeak":   peak,
		"heapSysOverLive":   median(heapRatios),
		"makes":             float64(atomic.LoadInt64(&makes)),
		"gcs":               float64(m.NumGC - gc0),
		"cpuS":              cpu,
		"minorFaults":       float64(ru1.Minflt - ru0.Minflt),
		"rssMedian":         median(rssList),
	})
	fmt.Println(string(out))
}
`;

function findGo(): string | null {
  for (const p of ['go', '/usr/lib/go/bin/go', '/usr/local/go/bin/go']) {
    const r = spawnSync(p, ['version'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return null;
}

function runGo(binPath: string, variant: string): Row {
  const out = execFileSync(binPath, [variant, String(iterations), String(periodMs)], { encoding: 'utf8' });
  const j = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  return {
    program: `Go 1.19 ${variant}`,
    rssOverLiveMedian: j.rssOverLiveMedian,
    rssOverLivePeak: j.rssOverLivePeak,
    heapOverLive: j.heapSysOverLive,
    makes: j.makes,
    gcs: j.gcs,
    cpuS: j.cpuS,
    minorFaults: j.minorFaults,
    rssMedianMiB: j.rssMedian / 2 ** 20,
  };
}

/** get+give of 1 MiB vs Buffer.alloc / allocUnsafe of 1 MiB: alternating rounds, medians of ns/op. */
function micro(): void {
  const size = 1024 * 1024;
  const ops = 2000;
  const rounds = 15;
  const r = createRecycler();
  const rz = createRecycler({ zeroOnGet: true });
  const sink: Buffer[] = [];
  const variants: [string, () => void][] = [
    ['recycler get+give', () => {
      for (let i = 0; i < ops; i++) r.give(r.get(size));
    }],
    ['recycler get+give, zeroOnGet', () => {
      for (let i = 0; i < ops; i++) rz.give(rz.get(size));
    }],
    ['Buffer.alloc', () => {
      for (let i = 0; i < ops; i++) sink[i & 7] = Buffer.alloc(size);
    }],
    ['Buffer.allocUnsafe', () => {
      for (let i = 0; i < ops; i++) sink[i & 7] = Buffer.allocUnsafe(size);
    }],
  ];
  const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (const [, f] of variants) f(); // warm up
  for (let k = 0; k < rounds; k++) {
    for (const [n, f] of k % 2 ? [...variants].reverse() : variants) {
      const t0 = process.hrtime.bigint();
      f();
      times.get(n)!.push(Number(process.hrtime.bigint() - t0) / ops);
    }
  }
  r.close();
  rz.close();
  const med = new Map([...times].map(([n, t]) => [n, median(t)]));
  const base = med.get('recycler get+give')!;
  console.log(`\n1 MiB buffers, ${rounds} alternating rounds of ${ops} ops, median ns/op:`);
  console.log('| operation | ns/op | × recycler get+give |');
  console.log('|---|---:|---:|');
  for (const [n, v] of med) console.log(`| ${n} | ${v.toFixed(0)} | ${(v / base).toFixed(1)} |`);
  const zeroed = med.get('recycler get+give, zeroOnGet')!;
  console.log(`\nBuffer.alloc / get+give: ${(med.get('Buffer.alloc')! / base).toFixed(0)}× (target ≥ 50×); ` +
    `Buffer.alloc / get+give with zeroOnGet: ${(med.get('Buffer.alloc')! / zeroed).toFixed(1)}×`);
}

function fmtRow(r: Row): string {
  return `| ${r.program} | ${r.rssOverLiveMedian.toFixed(2)} | ${r.rssOverLivePeak.toFixed(2)} | ${r.heapOverLive.toFixed(2)} | ${r.makes} | ${r.gcs} | ${r.cpuS.toFixed(2)} | ${r.minorFaults} | ${r.rssMedianMiB.toFixed(0)} |`;
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${iterations} iterations at ${periodMs} ms, 20 slots, 5-10 MB buffers written in full`);
  if (!values['micro-only']) {
    const want = new Set((values.only ?? 'naive,pool,recycler,resizable,any').split(','));
    const rows: Row[] = [];
    const plan: [string, string, ExperimentOptions][] = [
      ['naive', 'Node naive (Buffer.alloc)', { variant: 'naive', iterations, periodMs, rowEvery: iterations }],
      ['pool', 'Node pool of 5 (seed)', { variant: 'pool', iterations, periodMs, rowEvery: iterations }],
      ['recycler', "Node recycler (fixed, default)", { variant: 'recycler', iterations, periodMs, rowEvery: iterations }],
      ['resizable', "Node recycler (resizable)", { variant: 'recycler', iterations, periodMs, rowEvery: iterations, recycler: { backing: 'resizable' } }],
      ['any', "Node recycler (fixed, seed's any-buffer get)", { variant: 'recycler', iterations, periodMs, rowEvery: iterations, recyclerGet: 'any' }],
    ];
    for (const [key, label, opts] of plan) {
      if (!want.has(key)) continue;
      process.stderr.write(`running ${label}...\n`);
      rows.push(await runNode(label, opts));
    }
    const goBin = values['no-go'] ? null : findGo();
    if (goBin) {
      const dir = mkdtempSync(join(tmpdir(), 'memstats-bench-go-'));
      try {
        writeFileSync(join(dir, 'main.go'), GO_SOURCE);
        const bin = join(dir, 'seed');
        execFileSync(goBin, ['build', '-o', bin, join(dir, 'main.go')], { stdio: 'inherit', env: { ...process.env, GO111MODULE: 'off' } });
        for (const v of ['naive', 'pool', 'recycler']) {
          if (!want.has(v)) continue;
          process.stderr.write(`running Go ${v}...\n`);
          rows.push(runGo(bin, v));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else if (!values['no-go']) console.log('(go not found: Go rows skipped)');

    console.log('\n| program | (RSS−start)/live median | peak | arrayBuffers/live (Go: HeapSys/live) | makes | GCs | CPU s | minor faults | RSS median MiB |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(fmtRow(r));

    const naive = rows.find((r) => r.program.startsWith('Node naive'));
    for (const rec of rows.filter((r) => r.program.startsWith('Node recycler'))) {
      if (!naive) break;
      const checks: [string, boolean][] = [
        [`makes ${rec.makes} ≤ 2% of ${iterations}`, rec.makes <= 0.02 * iterations],
        [`GCs ${rec.gcs} ≤ 10% of naive's ${naive.gcs}`, rec.gcs <= 0.1 * naive.gcs],
        [`CPU ${rec.cpuS.toFixed(2)} s ≤ 50% of naive's ${naive.cpuS.toFixed(2)} s`, rec.cpuS <= 0.5 * naive.cpuS],
        [`(RSS−start)/live ${rec.rssOverLiveMedian.toFixed(2)} ≤ 1.25`, rec.rssOverLiveMedian <= 1.25],
        [`… and below naive's ${naive.rssOverLiveMedian.toFixed(2)}`, rec.rssOverLiveMedian < naive.rssOverLiveMedian],
      ];
      console.log(`\n${rec.program} targets:`);
      for (const [text, ok] of checks) console.log(`  ${ok ? 'met ' : 'MISS'} ${text}`);
    }
  }
  micro();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
