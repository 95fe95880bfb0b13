/**
 * The CLI's conventions for the target commands: --help everywhere (exit 0),
 * every usage error exits 2 with a one-line reason and the usage, before
 * anything is sent to any process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers.js';

const COMMANDS = ['attach', 'explain', 'gc', 'leak', 'profile', 'ps', 'snapshot', 'stats', 'top'];

test('memstats --help lists every command, and each answers --help with its usage (exit 0)', async () => {
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} +\\S`, 'm'), c);
  const results = await Promise.all(COMMANDS.map((c) => runCli([c, '--help'])));
  results.forEach((r, i) => {
    assert.equal(r.code, 0, `${COMMANDS[i]} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: memstats ${COMMANDS[i]}`), COMMANDS[i]);
    assert.equal(r.stderr, '');
  });
});

// Pid 1 is never a Node process here: if a usage error let a command through,
// it would fail with exit 1 ("not a Node.js process"), not 2.
const BAD: string[][] = [
  ['stats'],
  ['stats', 'abc'],
  ['stats', '1', '2'],
  ['stats', '1', '--bogus'],
  ['stats', '1', '--timeout', 'x'],
  ['stats', '0'],
  ['gc'],
  ['gc', 'ftp://127.0.0.1:6060'],
  ['profile'],
  ['profile', 'mutex', '1'],
  ['profile', 'cpu'],
  ['profile', 'cpu', '1', '--seconds', '0'],
  ['profile', 'cpu', '1', '--seconds', '3601'],
  ['profile', 'cpu', '1', '--seconds', '1.5'],
  ['profile', 'heap', '1', '--cpuprofile'],
  ['profile', 'cpu', '1', '--allocs'],
  ['profile', 'cpu', '1', '--debug', '1'],
  ['profile', 'goroutine', '1', '--seconds', '5'],
  ['profile', 'goroutine', '1', '--debug', '3'],
  ['profile', 'block', '1', '--threshold-ms', '0'],
  ['profile', 'cpu', '1', 'extra'],
  ['profile', 'cpu', '1', '-o', ''],
  ['snapshot'],
  ['snapshot', '1', '-o', '-'],
  ['top'],
  ['top', '1', '-n', 'x'],
  ['attach'],
  ['attach', 'http://127.0.0.1:6060'],
  ['attach', '1', '--addr', 'nonsense'],
  ['attach', '1', '--addr', '0.0.0.0:0'],
  ['ps', 'extra'],
  ['ps', '--bogus'],
  ['explain'],
  ['explain', '1', '2'],
  ['leak', '1', '--interval', '5x'],
  ['leak', '1', '--interval', '0s'],
  ['leak', '1', '--top', 'many'],
];

test('every usage error exits 2 with a one-line reason and the usage', async () => {
  const results: Array<{ args: string[]; code: number | null; stdout: string; stderr: string }> = [];
  // A few at a time: each is a node process.
  for (let i = 0; i < BAD.length; i += 8) {
    const batch = BAD.slice(i, i + 8);
    const rs = await Promise.all(batch.map((args) => runCli(args, { timeoutMs: 20_000 })));
    rs.forEach((r, k) => results.push({ args: batch[k], ...r }));
  }
  for (const r of results) {
    const what = `memstats ${r.args.join(' ')}`;
    assert.equal(r.code, 2, `${what}: exit ${r.code}; ${r.stderr}`);
    assert.equal(r.stdout, '', what);
    const [first, blank, usage] = r.stderr.split('\n');
    assert.match(first, new RegExp(`^memstats ${r.args[0]}: \\S`), what);
    assert.equal(blank, '', what);
    assert.match(usage, new RegExp(`^Usage: memstats ${r.args[0]}`), what);
  }
});
