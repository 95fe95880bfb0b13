/**
 * Helpers of the CLI tests: real target processes (test/fixtures/cli/target-app,
 * started with no flags), the CLI run as a child process (`node bin/memstats.js …`),
 * and what /proc says about a target's inspector.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { findInspector } from '../../src/attach/inspector-port.js';
import { listeningSockets } from '../../src/attach/proc.js';

/** The package root (holds bin/memstats.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The compiled fixture. */
export const TARGET_APP = fileURLToPath(new URL('../fixtures/cli/target-app.js', import.meta.url));
const BIN = `${ROOT}bin/memstats.js`;

/** An environment without what the test runner or the shell would pass on (NODE_OPTIONS, test context). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.MEMSTATS_ADDR;
  delete env.MEMSTATS_TOKEN;
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

/** A running target process. */
export interface TargetProcess {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Whether it is still running. */
  alive(): boolean;
  kill(): Promise<void>;
}

/**
 * startTarget starts the fixture with `nodeArgs` before the script (none for
 * the real tests) and `args` after it, and resolves once it prints `ready`.
 */
export async function startTarget(o: { nodeArgs?: string[]; args?: string[]; env?: Record<string, string> } = {}): Promise<TargetProcess> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), TARGET_APP, ...(o.args ?? [])], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv(o.env) });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const onData = (d: string) => {
      out += d;
      if (out.includes('ready')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`target exited (${code}) before ready: ${err}`)));
  });
  child.stdout!.resume();
  return {
    child,
    pid: child.pid!,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

/** What a CLI run ended with. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** runCli runs `memstats <args>` to the end (killed after `timeoutMs`, default 60 s). */
export async function runCli(args: string[], o: { env?: Record<string, string>; timeoutMs?: number; cwd?: string; uid?: number; gid?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(o.env),
    cwd: o.cwd ?? ROOT,
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.gid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/** A long-running CLI (attach), with its output so far. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re`. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  exited(): Promise<CliResult>;
}

/** startCli starts `memstats <args>` and returns at once. */
export function startCli(args: string[], o: { env?: Record<string, string>; stdin?: 'pipe' | 'ignore' } = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'], env: cleanEnv(o.env), cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr }));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async line(re, timeoutMs = 30_000) {
      const t0 = Date.now();
      for (;;) {
        const l = stdout.split('\n').find((x) => re.test(x));
        if (l !== undefined) return l;
        if (child.exitCode !== null || Date.now() - t0 > timeoutMs) throw new Error(`no line matching ${re} (exit ${child.exitCode}); stdout: ${stdout}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    exited: () => closed,
  };
}

/** The port of the inspector `pid` has open, or null. */
export async function inspectorPort(pid: number): Promise<number | null> {
  try {
    return (await findInspector(pid))?.port ?? null;
  } catch {
    return null;
  }
}

/** Every TCP port `pid` listens on. */
export function listeningPorts(pid: number): number[] {
  try {
    return listeningSockets(pid).map((s) => s.port);
  } catch {
    return [];
  }
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; resolves with the last result. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return true;
    if (Date.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
