/**
 * @module memstats/runtime
 * The seed's tour of Go's `runtime` package, in Node terms. docs/runtime.md
 * lists all 31 functions of the tour with their Node analog, or why none exists.
 *
 * @example
 * import { gc, caller, numCPU, setFinalizer } from 'memstats/runtime';
 * gc();                          // runtime.GC(), no --expose-gc needed
 * const here = caller(0);        // { function, file: '/src/app.ts', line, column }
 */
import path from 'node:path';
import { availableParallelism } from '../stats/system.js';

export { gc, gcAsync, type GCOptions, type GCAsyncOptions } from './gc.js';
export { setFinalizer } from './finalizer.js';
export { caller, callers, stack, formatFrames, type Frame } from './stack.js';
export { readMemStats, type MemStats } from '../stats/mem-stats.js';

/** numCPU returns the number of CPUs this process may use (os.availableParallelism()), Go's runtime.NumCPU. */
export function numCPU(): number {
  return availableParallelism();
}

/** version returns the Node.js version string (`v20.20.2`), Go's runtime.Version. */
export function version(): string {
  return process.version;
}

/** nodeRoot returns the installation prefix of the running node binary, Go's runtime.GOROOT. */
export function nodeRoot(): string {
  return path.dirname(path.dirname(process.execPath));
}

/**
 * numResources returns the number of live handles and requests keeping the
 * event loop busy — the analog of Go's runtime.NumGoroutine (Node runs one
 * JavaScript thread; its concurrency is these resources). Unref'd timers are not counted.
 */
export function numResources(): number {
  return process.getActiveResourcesInfo().length;
}

/** gosched yields to the event loop: resolves after pending I/O callbacks run, Go's runtime.Gosched. */
export function gosched(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** breakpoint stops in the attached debugger, if any (a `debugger` statement), Go's runtime.Breakpoint. */
export function breakpoint(): void {
  // eslint-disable-next-line no-debugger
  debugger;
}

/** goos / goarch: the platform and CPU architecture, Go's runtime.GOOS / GOARCH. */
export const goos: string = process.platform;
export const goarch: string = process.arch;
