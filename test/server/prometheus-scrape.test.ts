import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTool, needTool } from '../helpers/tools.js';
import { fixture, startWithAgent } from './child.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function query(base: string, q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  if (!r.ok) return [];
  const body = (await r.json()) as { status: string; data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data?.result ?? [];
}

test('a real Prometheus server scrapes the agent (with a bearer token) and answers for nodejs_* and memstats GC series', needTool('prometheus'), async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memstats-prom-'));
  const app = await startWithAgent(fixture('busy-app'), ['60000'], { MEMSTATS_TOKEN: 'scrape-token' });
  let prom: ReturnType<typeof spawn> | undefined;
  let log = '';
  try {
    const target = new URL(app.url).host;
    const cfg = path.join(dir, 'prometheus.yml');
    writeFileSync(
      cfg,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: memstats',
        '    authorization:',
        '      credentials: scrape-token',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    prom = spawn(findTool('prometheus')!, [`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d) => (log += d));
    prom.stderr!.on('data', (d) => (log += d));
    const deadline = Date.now() + 60_000;
    let heap: Awaited<ReturnType<typeof query>> = [];
    let gcSeries: Awaited<ReturnType<typeof query>> = [];
    let up: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline) {
      try {
        heap = await query(base, 'nodejs_heap_size_used_bytes');
        gcSeries = await query(base, 'memstats_gc_pause_seconds_count');
        up = await query(base, 'up');
        if (heap.length > 0 && gcSeries.length > 0) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(heap.length > 0, `no nodejs_heap_size_used_bytes from Prometheus; up=${JSON.stringify(up)}; log tail: ${log.slice(-800)}`);
    assert.ok(Number(heap[0].value[1]) > 1e6, 'a real heap size');
    assert.equal(heap[0].metric.job, 'memstats');
    const kinds = gcSeries.map((s) => s.metric.kind).sort();
    assert.deepEqual(kinds, ['major', 'minor']);
    assert.equal(up[0]?.value[1], '1');
  } finally {
    if (prom && prom.exitCode === null) {
      const gone = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      const t = setTimeout(() => prom!.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    await app.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
