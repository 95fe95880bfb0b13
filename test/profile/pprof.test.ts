import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile, encodeProfile, writeProfile } from '../../src/profile/index.js';
import { stallsToPprof } from '../../src/profile/block.js';
import { needTool } from '../helpers/tools.js';
import { describe, goPprof, topRows } from './pprof-tool.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-pprof-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sample(): Profile {
  const f = (name: string) => ({ name, url: '', line: 0, column: 0 });
  return stallsToPprof([{ endedAtMs: 0, delayNs: 5e6, stacks: [{ frames: [f('leaf'), f('root')], samples: 1 }] }], { timeNanos: 1_700_000_000_000_000_000n, durationNanos: 2e9 });
}

test('encodeProfile gives gzip that decodes back to the same profile', async () => {
  const buf = await encodeProfile(sample());
  assert.equal(buf[0], 0x1f);
  assert.equal(buf[1], 0x8b);
  const d = describe(Profile.decode(gunzipSync(buf)));
  assert.deepEqual(d.types, ['contentions/count', 'delay/nanoseconds']);
  // One stack: its delay sample and the stall's contention share the stack, so they merge.
  assert.deepEqual(d.samples.find((s) => s.frames[0].name === 'leaf')?.values, [1, 5e6]);
  await assert.rejects(encodeProfile({} as never), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"profile"/ });
});

test('writeProfile writes through a temporary file; go tool pprof reads it', needTool('go', ['/usr/lib/go/bin/go']), async () => {
  const path = join(dir, 'block.pb.gz');
  const r = await writeProfile(sample(), path);
  assert.equal(r.path, path);
  assert.equal(r.bytes, readFileSync(path).length);
  assert.deepEqual(readdirSync(dir), ['block.pb.gz']);
  const text = await goPprof(['-top', path]);
  assert.match(text, /Duration: 2s/);
  assert.equal(topRows(text)[0].name, 'leaf');
});

test('unwritable paths and aborts leave no file', async () => {
  await assert.rejects(writeProfile(sample(), join(dir, 'nope', 'x.pb.gz')), {
    code: 'ERR_MEMSTATS_INVALID_OPTION',
    message: /option "path" must be a writable file path.*ENOENT/,
  });
  await assert.rejects(writeProfile(sample(), dir), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  await assert.rejects(writeProfile(sample(), 42 as never), TypeError);
  const ac = new AbortController();
  ac.abort();
  const path = join(dir, 'aborted.pb.gz');
  await assert.rejects(writeProfile(sample(), path, { signal: ac.signal }), { name: 'AbortError' });
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f !== 'block.pb.gz'), []);
});

test('a symlink is written through (the link kept); a directory or a FIFO is refused before anything is written', async () => {
  const real = join(dir, 'real.pb.gz');
  writeFileSync(real, 'old');
  const link = join(dir, 'link.pb.gz');
  symlinkSync(real, link);
  const r = await writeProfile(sample(), link);
  assert.equal(r.path, real);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.equal(gunzipSync(readFileSync(real)).length > 0, true, 'its target holds the profile');
  await assert.rejects(writeProfile(sample(), dir), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /is a directory/ });
  const fifo = join(dir, 'fifo');
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    await assert.rejects(writeProfile(sample(), fifo), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /not a regular file/ });
    assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is left as it was');
    rmSync(fifo);
  }
  rmSync(link);
  rmSync(real);
  assert.deepEqual(readdirSync(dir).filter((f) => f !== 'block.pb.gz'), [], 'no temporary file left');
});
