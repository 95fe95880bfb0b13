import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRecording } from '../../src/export/recorder.js';

test('startRecording appends one JSON Sample per line, and stop() ends it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memstats-rec-'));
  try {
    const file = path.join(dir, 'run-%p.ndjson');
    const rec = startRecording(file, { intervalMs: 20 });
    assert.equal(rec.path, path.join(dir, `run-${process.pid}.ndjson`));
    await new Promise((r) => setTimeout(r, 200));
    rec.stop();
    rec.stop();
    const n = rec.samples;
    assert.ok(n >= 3, `${n} samples`);
    await new Promise((r) => setTimeout(r, 60));
    const lines = readFileSync(rec.path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, n, 'nothing written after stop()');
    const samples = lines.map((l) => JSON.parse(l));
    for (const s of samples) {
      for (const k of ['timeMs', 'windowMs', 'rssBytes', 'heapUsedBytes', 'numGC', 'loopDelayP99Ns', 'resources']) assert.ok(k in s, k);
    }
    assert.ok(samples[1].timeMs > samples[0].timeMs);
    // A second recording appends.
    const again = startRecording(file, { intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 80));
    again.stop();
    assert.equal(readFileSync(rec.path, 'utf8').trimEnd().split('\n').length, n + again.samples);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('startRecording throws the file system error for an unwritable path, and validates options', () => {
  const missing = path.join(tmpdir(), 'memstats-no-such-dir', 'x', 'rec.ndjson');
  assert.throws(() => startRecording(missing), { code: 'ENOENT' });
  assert.equal(existsSync(missing), false);
  assert.throws(() => startRecording(''), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  assert.throws(() => startRecording(path.join(tmpdir(), 'r.ndjson'), { intervalMs: 1 }), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
});
