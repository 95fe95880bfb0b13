/**
 * Helpers for the profile tests: run `go tool pprof` on a file, run a fixture in
 * a child process, decode a written profile.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Profile } from 'pprof-format';
import { goPath } from '../helpers/tools.js';

/** Runs `go tool pprof <args...>` and resolves with stdout (rejects with stderr on failure). */
export function goPprof(args: string[]): Promise<string> {
  const go = goPath();
  if (!go) throw new Error('go not found');
  return new Promise((resolve, reject) => {
    execFile(go, ['tool', 'pprof', ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`go tool pprof ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The absolute path of a compiled fixture (dist/test/fixtures/profile/<name>.js). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/profile/${name}.js`, import.meta.url));
}

/** Runs a fixture in a child process; resolves with its stdout, rejects on a non-zero exit or after `timeoutMs`. The child is always killed. */
export function runFixture(name: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture ${name} timed out; stderr: ${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`fixture ${name} exited ${code}; stderr: ${err}`));
    });
  });
}

/** Decodes a gzip'd pprof file. */
export function readProfile(path: string): Profile {
  return Profile.decode(gunzipSync(readFileSync(path)));
}

/** Readable view of a decoded profile: sample type names and, per sample, values and frame names (leaf first). */
export function describe(p: Profile): { types: string[]; samples: Array<{ values: number[]; frames: Array<{ name: string; file: string; line: number }> }> } {
  const s = p.stringTable.strings;
  const fns = new Map(p.function.map((f) => [Number(f.id), f]));
  const locs = new Map(p.location.map((l) => [Number(l.id), l]));
  return {
    types: p.sampleType.map((t) => `${s[Number(t.type)]}/${s[Number(t.unit)]}`),
    samples: p.sample.map((smp) => ({
      values: smp.value.map(Number),
      frames: smp.locationId.map((id) => {
        const line = locs.get(Number(id))!.line[0];
        const fn = fns.get(Number(line.functionId))!;
        return { name: s[Number(fn.name)], file: s[Number(fn.filename)], line: Number(line.line) };
      }),
    })),
  };
}

/** Parses `go tool pprof -top` output into rows of { flat, cum, name } (values as printed). */
export function topRows(text: string): Array<{ flat: string; cum: string; name: string }> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^\s*flat\s+flat%/.test(l));
  if (start < 0) return [];
  return lines
    .slice(start + 1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^\s*(\S+)\s+\S+\s+\S+\s+(\S+)\s+\S+\s+(.*)$/.exec(l);
      return m ? { flat: m[1], cum: m[2], name: m[3] } : { flat: '', cum: '', name: l.trim() };
    });
}
