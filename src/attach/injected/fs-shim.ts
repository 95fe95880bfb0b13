/**
 * @module attach/injected/fs-shim
 * `node:fs` for the code memstats installs inside an attached process: the
 * real module, except that every file descriptor opened through `openSync`
 * is remembered, so that detaching closes them. memstats' readers keep
 * descriptors open on purpose (/proc/self/statm, /proc/self/status: a kept
 * descriptor reads in ~1 µs instead of ~7) and have no close of their own;
 * in an attached process nothing of ours may outlive the attachment.
 *
 * The bundler maps `node:fs` to this file for the injected script only
 * (package.json `build:attach`); this file imports the real module as `fs`,
 * which the mapping leaves alone.
 */
import * as fs from 'fs';

const opened = new Set<number>();

/** openSync of node:fs, remembering the descriptor until closeSync or closeAllOpened. */
export function openSync(...args: Parameters<typeof fs.openSync>): number {
  const fd = fs.openSync(...args);
  opened.add(fd);
  return fd;
}

/** closeSync of node:fs, forgetting the descriptor. */
export function closeSync(fd: number): void {
  opened.delete(fd);
  fs.closeSync(fd);
}

/** closeAllOpened closes every descriptor opened through this module and not closed yet. Calling it twice is harmless. */
export function closeAllOpened(): void {
  for (const fd of opened) {
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed by someone else: nothing to release.
    }
  }
  opened.clear();
}

export const readSync = fs.readSync;
export const readFileSync = fs.readFileSync;
export const readdirSync = fs.readdirSync;
export const existsSync = fs.existsSync;
export const statSync = fs.statSync;
export const readlinkSync = fs.readlinkSync;
