import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixture } from '../server/child.js';
import { buildInvocation, splitCommand } from '../../src/cli/commands/run.js';

const BIN = fileURLToPath(new URL('../../../bin/memstats.js', import.meta.url));

function memstats(args: string[], env: Record<string, string> = {}, onSpawn?: (pid: number, out: () => string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`memstats ${args.join(' ')} did not end; stderr: ${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    onSpawn?.(child.pid!, () => stderr + stdout);
  });
}

test('memstats run -- node app.js preloads the agent and exits with the program\'s code', async () => {
  const r = await memstats(['run', '--addr', '127.0.0.1:0', '--', 'node', fixture('exit-by-itself')]);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'done 0\n');
  assert.match(r.stderr, /^memstats: debug server on http:\/\/127\.0\.0\.1:\d+\/debug\/pprof\/$/m);
  const bare = await memstats(['run', '--addr', ':0', '--', fixture('exit-by-itself')]);
  assert.equal(bare.code, 7, 'a .js script runs with this node');
  const killed = await memstats(['run', '--addr', 'off', '--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")']);
  assert.equal(killed.code, 128 + 9);
});

test('memstats run loads the agent in the program, not in the processes it forks', async () => {
  const r = await memstats(['run', '--addr', '127.0.0.1:0', '--', 'node', fixture('forker')]);
  assert.equal(r.code, 5, r.stderr);
  assert.equal(r.stdout, 'child agent false\nparent agent true\n');
  assert.equal(r.stderr.match(/^memstats: debug server on /gm)?.length, 1, r.stderr);
});

test('memstats run forwards SIGTERM and SIGINT to the program', async () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    let ready = false;
    let poll: NodeJS.Timeout | undefined;
    const r = await memstats(['run', '--addr', 'off', '--', 'node', fixture('busy-app'), '60000'], {}, (pid, out) => {
      poll = setInterval(() => {
        if (!ready && out().includes('ready')) {
          ready = true;
          clearInterval(poll);
          process.kill(pid, sig);
        }
      }, 20);
    }).finally(() => clearInterval(poll));
    assert.ok(ready, `the program never said ready: ${r.stderr}`);
    // busy-app handles SIGTERM and ends with 0; SIGINT kills it (default action): 128 + 2.
    assert.equal(r.code, sig === 'SIGTERM' ? 0 : 130, `${sig}: ${r.stderr}`);
  }
});

test('memstats run usage errors exit 2 with the usage; --help exits 0', async () => {
  for (const args of [['run'], ['run', '--'], ['run', '--addr', 'banana', '--', 'node', 'x.js'], ['run', '--addr', '0.0.0.0:6060', '--', 'node', 'x.js'], ['run', '--bogus', '--', 'node']]) {
    const r = await memstats(args, { MEMSTATS_TOKEN: '' });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /Usage: memstats run/);
  }
  const h = await memstats(['run', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--gc-log/);
  // After the program's name, --help is the program's.
  const child = await memstats(['run', '--addr', 'off', 'node', fixture('exit-by-itself'), '--help']);
  assert.equal(child.code, 7, child.stderr);
  assert.equal(child.stdout, 'done 0\n');
  const missing = await memstats(['run', '--', '/no/such/program']);
  assert.equal(missing.code, 127);
});

test('splitCommand and buildInvocation: the agent goes on node\'s command line, or in NODE_OPTIONS for other commands', () => {
  assert.deepEqual(splitCommand(['--gc-log', '--', 'node', '--inspect', 'a.js', '--x']), { own: ['--gc-log'], command: ['node', '--inspect', 'a.js', '--x'] });
  assert.deepEqual(splitCommand(['--addr', ':0', 'node', 'a.js', '--addr', 'y']), { own: ['--addr', ':0'], command: ['node', 'a.js', '--addr', 'y'] });
  const n = buildInvocation(['node', 'a.js'], { NODE_OPTIONS: '--max-old-space-size=64' }, { MEMSTATS_GC_LOG: '1' });
  assert.equal(n.file, 'node');
  assert.match(n.args[0], /^--import=file:\/\/\/.*\/dist\/src\/agent\/register\.js$/);
  assert.deepEqual(n.args.slice(1), ['a.js']);
  assert.equal(n.env.NODE_OPTIONS, '--max-old-space-size=64', 'node children are not affected');
  assert.equal(n.env.MEMSTATS_GC_LOG, '1');
  assert.equal(n.env.MEMSTATS_RUN_PARENT, String(process.pid), 'the agent starts only in the program, whose parent memstats is');
  const s = buildInvocation(['server.mjs'], {}, {});
  assert.equal(s.file, process.execPath);
  assert.deepEqual(s.args.slice(1), ['server.mjs']);
  const x = buildInvocation(['npx', 'tsx', 'a.ts'], { NODE_OPTIONS: '--enable-source-maps' }, {});
  assert.equal(x.file, 'npx');
  assert.match(x.env.NODE_OPTIONS!, /^--enable-source-maps --import=file:\/\/\//);
  assert.equal(buildInvocation(['npx', 'a'], { MEMSTATS_RUN_PARENT: '1' }, {}).env.MEMSTATS_RUN_PARENT, undefined, 'npx\'s node is a grandchild');
});
