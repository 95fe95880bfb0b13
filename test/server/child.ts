/**
 * Child processes with the memstats agent preloaded, for the server and agent tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stopChild } from '../helpers/stop-child.js';

/** Absolute path of the compiled agent. */
export const REGISTER = fileURLToPath(new URL('../../src/agent/register.js', import.meta.url));
/** `--import=<file URL of the agent>`. */
export const IMPORT_FLAG = `--import=${pathToFileURL(REGISTER).href}`;

/** Path of a compiled fixture under test/fixtures/server. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/server/${name}.js`, import.meta.url));
}

export interface AgentChild {
  child: ChildProcess;
  /** Base URL printed by the agent. */
  url: string;
  stderr(): string;
  stdout(): string;
  /** Kills the child (SIGKILL after 3 s) and waits for it. */
  kill(): Promise<void>;
}

/** Starts `node <nodeFlags> --import <agent> <script> ...args` and waits (≤ 15 s) for the agent's URL line. */
export async function startWithAgent(script: string, args: string[] = [], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<AgentChild> {
  const child = spawn(process.execPath, [...nodeFlags, IMPORT_FLAG, script, ...args], {
    env: { ...process.env, MEMSTATS_ADDR: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const kill = () => stopChild(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no agent URL within 15 s; stderr: ${err}`)), 15_000);
      const check = () => {
        const m = /memstats: debug server on (http:\/\/\S+)\/debug\/pprof\//.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      };
      child.stderr!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`child exited (${code}) before the agent started; stderr: ${err}`));
      });
    });
    return { child, url, stderr: () => err, stdout: () => out, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}
