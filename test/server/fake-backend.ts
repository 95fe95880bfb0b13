/**
 * A DebugBackend for tests: this process's figures (localBackend), with
 * profile captures replaced by controllable fakes that record their requests.
 */
import { Profile, StringTable, ValueType, Sample as PSample, Location, Line, Function as PFunction } from 'pprof-format';
import { gzipSync } from 'node:zlib';
import { localBackend, type DebugBackend } from '../../src/server/backend.js';

export interface FakeCalls {
  cpu: Array<{ seconds: number; signal?: AbortSignal }>;
  heap: Array<{ gc?: boolean; includeCollected?: boolean }>;
  block: Array<{ seconds: number; thresholdMs?: number }>;
}

/** A small heap profile: `allocateLeaky` holds 3 objects / 3 MiB. */
export function heapProfileBytes(): Buffer {
  const st = new StringTable();
  const fn = new PFunction({ id: 1, name: st.dedup('allocateLeaky'), filename: st.dedup('/app/leak.ts') });
  const loc = new Location({ id: 1, line: [new Line({ functionId: 1, line: 12 })] });
  const p = new Profile({
    sampleType: [
      new ValueType({ type: st.dedup('inuse_objects'), unit: st.dedup('count') }),
      new ValueType({ type: st.dedup('inuse_space'), unit: st.dedup('bytes') }),
    ],
    sample: [new PSample({ locationId: [1], value: [3, 3 * 1048576] })],
    location: [loc],
    function: [fn],
    stringTable: st,
    period: 524288,
  });
  return gzipSync(p.encode());
}

/** fakeBackend: CPU captures wait for `seconds` or abort; `fail` makes a capture reject with that error. */
export function fakeBackend(opts: { fail?: unknown } = {}): { backend: DebugBackend; calls: FakeCalls } {
  const real = localBackend();
  const calls: FakeCalls = { cpu: [], heap: [], block: [] };
  const wait = (seconds: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, seconds * 1000);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        const e = new Error('aborted');
        e.name = 'AbortError';
        reject(e);
      });
    });
  const backend: DebugBackend = {
    ...real,
    description: 'fake',
    pid: process.pid,
    async profileCpu(r) {
      calls.cpu.push(r);
      if (opts.fail) throw opts.fail;
      await wait(r.seconds, r.signal);
      return Buffer.from('fake-cpu-profile');
    },
    async profileHeap(r) {
      calls.heap.push(r);
      if (opts.fail) throw opts.fail;
      if (r.seconds !== undefined) await wait(r.seconds, r.signal);
      return heapProfileBytes();
    },
    async profileBlock(r) {
      calls.block.push(r);
      if (opts.fail) throw opts.fail;
      await wait(r.seconds, r.signal);
      return Buffer.from('fake-block');
    },
    async profileGoroutine(r) {
      return r.debug === 0 ? Buffer.from('fake-goroutine') : `resources: 1\n`;
    },
    async heapSnapshot() {
      if (opts.fail) throw opts.fail;
      throw Object.assign(new Error('memstats: not enough memory for a heap snapshot: needs ~2 GiB, 100 MiB available'), { code: 'ERR_MEMSTATS_INSUFFICIENT_MEMORY' });
    },
    close: () => real.close(),
  };
  return { backend, calls };
}
