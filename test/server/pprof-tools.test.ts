import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { goPath, needTool } from '../helpers/tools.js';
import { fixture, startWithAgent } from './child.js';

function pprofTop(url: string, extra: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'memstats-pprof-'));
  try {
    const r = spawnSync(goPath()!, ['tool', 'pprof', '-top', ...extra, url], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, PPROF_TMPDIR: dir, HOME: process.env.HOME ?? dir },
    });
    assert.equal(r.status, 0, `go tool pprof failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('go tool pprof reads the agent\'s profiles straight from the URLs', { ...needTool('go', ['/usr/lib/go/bin/go']), timeout: 180_000 }, async () => {
  const app = await startWithAgent(fixture('busy-app'), ['120000', '20000'], { MEMSTATS_HEAP_SAMPLING: '1' });
  try {
    const cpu = pprofTop(`${app.url}/debug/pprof/profile?seconds=2`);
    const cpuTop = cpu.split('\n').filter((l) => /^\s+\d/.test(l)).slice(0, 5).join('\n');
    assert.match(cpuTop, /hotLoop/, `hotLoop near the top of:\n${cpu}`);

    const heap = pprofTop(`${app.url}/debug/pprof/heap`, ['-sample_index=inuse_space']);
    assert.match(heap, /allocateLeaky/, heap);

    const block = pprofTop(`${app.url}/debug/pprof/block?seconds=2&threshold_ms=10`);
    assert.match(block, /hotLoop/, block);

    const goroutine = pprofTop(`${app.url}/debug/pprof/goroutine`);
    assert.match(goroutine, /resources|Timeout|PipeWrap|TCP/i, goroutine);
    const text = await (await fetch(`${app.url}/debug/pprof/goroutine?debug=1`)).text();
    assert.match(text, /^resources profile: total \d+/);
  } finally {
    await app.kill();
  }
});

test('a real second CPU profile gets 409, and a client that goes away frees the profiler', { timeout: 60_000 }, async () => {
  const app = await startWithAgent(fixture('busy-app'), ['60000', '1000']);
  try {
    const first = http.get(`${app.url}/debug/pprof/profile?seconds=30`, { agent: false });
    first.on('error', () => {});
    // Wait until the capture is running: then a second one is refused.
    let second: Response | undefined;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      second = await fetch(`${app.url}/debug/pprof/profile?seconds=1`);
      if (second.status === 409) break;
      await second.arrayBuffer();
    }
    assert.equal(second?.status, 409);
    assert.match(await second!.text(), /already/);
    first.destroy();
    let after: Response | undefined;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await fetch(`${app.url}/debug/pprof/profile?seconds=1`);
      if (after.status !== 409) break;
      await after.arrayBuffer();
    }
    assert.equal(after?.status, 200, 'the aborted capture released the profiler');
    const body = Buffer.from(await after!.arrayBuffer());
    assert.deepEqual([body[0], body[1]], [0x1f, 0x8b], 'gzipped pprof');
  } finally {
    await app.kill();
  }
});

test('/debug/pprof/heapsnapshot streams a snapshot DevTools can read, then removes the file', { timeout: 120_000 }, async () => {
  const app = await startWithAgent(fixture('busy-app'), ['60000', '1000']);
  try {
    const r = await fetch(`${app.url}/debug/pprof/heapsnapshot`);
    assert.equal(r.status, 200, await r.clone().text().catch(() => ''));
    assert.match(String(r.headers.get('content-disposition')), /^attachment; filename="heap-\d+\.heapsnapshot"$/);
    const snap = (await r.json()) as { snapshot: { meta: { node_fields: string[] }; node_count: number } };
    assert.ok(snap.snapshot.meta.node_fields.includes('name'));
    assert.ok(snap.snapshot.node_count > 1000);
    const pid = /heap-(\d+)/.exec(String(r.headers.get('content-disposition')))![1];
    const { readdirSync } = await import('node:fs');
    assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith(`memstats-${pid}-`)).length, 0, 'the temporary file is gone');
  } finally {
    await app.kill();
  }
});
