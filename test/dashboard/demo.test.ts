import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('npm start (the demo) prints the dashboard URL, and the URL serves the live dashboard', async () => {
  const main = fileURLToPath(new URL('../../src/demo/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '--addr', '127.0.0.1:0', '--duration-ms', '8000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no dashboard URL within 15 s; stdout: ${out} stderr: ${err}`)), 15_000);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /dashboard (http:\/\/127\.0\.0\.1:\d+\/debug\/dashboard)\b/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`demo exited (${code}); stdout: ${out} stderr: ${err}`));
      });
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="dashboard\/assets\/dashboard\.js"><\/script>/);
    // The stream answers with the config at once.
    const ac = new AbortController();
    const stream = await fetch(`${url}/stream`, { signal: ac.signal });
    const reader = stream.body!.getReader();
    const { value } = await reader.read();
    assert.match(Buffer.from(value!).toString(), /event: config\ndata: \{"version":1/);
    ac.abort();
  } finally {
    if (child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
  }
});
