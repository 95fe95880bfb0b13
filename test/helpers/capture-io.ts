/**
 * captureIO: the streams a CLI command's `main(argv, io)` writes to, captured
 * as strings, for tests that run a command in process.
 */
import { PassThrough } from 'node:stream';
import type { CommandIO } from '../../src/cli/command.js';

export function captureIO(): { io: CommandIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, out: () => o, err: () => e };
}
