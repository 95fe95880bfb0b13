/**
 * Finding the external tools some tests need (go, promtool, prometheus, chromium).
 * Outside CI a missing tool skips the test with a printed reason; under CI=true it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const cache = new Map<string, string | null>();

/** Path of a tool on PATH (or at one of `extra` paths), or null. */
export function findTool(name: string, extra: string[] = []): string | null {
  const key = [name, ...extra].join('|');
  if (cache.has(key)) return cache.get(key)!;
  let found: string | null = null;
  for (const p of extra) if (existsSync(p)) { found = p; break; }
  if (!found) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) found = r.stdout.trim();
  }
  cache.set(key, found);
  return found;
}

/**
 * For `test(name, opts, fn)`: returns `{ skip: reason }` when the tool is absent (printed by node:test),
 * or `{}` when present. Under CI=true an absent tool throws, so the run fails instead of skipping.
 */
export function needTool(name: string, extra: string[] = []): { skip?: string } {
  if (findTool(name, extra)) return {};
  const reason = `${name} not found on PATH (install it: .ci/run does); skipping`;
  if (process.env.CI === 'true') throw new Error(`${name} is required under CI=true but was not found`);
  console.log(`# skip: ${reason}`);
  return { skip: reason };
}

/** Absolute path of `go` (Debian's golang-go installs /usr/bin/go; /usr/lib/go/bin/go as fallback). */
export function goPath(): string | null {
  return findTool('go', ['/usr/lib/go/bin/go']);
}
