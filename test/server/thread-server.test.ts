// startDebugServerThread: the debug server in a worker thread, answering from
// this thread's figures — a value published here, a CPU profile of this thread,
// the dashboard's samples — with the same refusals as startDebugServer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { startDebugServerThread, publish, unpublish } from '../../src/server/index.js';

test('serves this thread from a worker: metrics, a published var, a CPU profile, samples; 400 and 409 as on the main thread', async () => {
  const s = await startDebugServerThread({ port: 0, unref: true });
  publish('threadTest', () => ({ from: 'main', pid: process.pid }));
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(s.worker.threadId, 0);

    const metrics = await fetch(`${s.url}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /^nodejs_heap_size_used_bytes \d+/m);
    assert.match(text, /^memstats_gc_cycles_total\{kind="minor"\} \d+/m);
    // The /proc figures, read by the server thread, are this process's.
    if (process.platform === 'linux') {
      const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      assert.ok(Math.abs(metric('process_open_fds') - readdirSync('/proc/self/fd').length) <= 3, `process_open_fds ${metric('process_open_fds')}`);
      assert.ok(metric('process_max_fds') > 0);
      assert.ok(metric('process_virtual_memory_bytes') > metric('process_resident_memory_bytes'));
    }

    const vars = (await (await fetch(`${s.url}/debug/vars`)).json()) as Record<string, unknown>;
    assert.deepEqual(vars.threadTest, { from: 'main', pid: process.pid });
    // cmdline and memstats are this (main) thread's.
    assert.deepEqual(vars.cmdline, [process.execPath, ...process.execArgv, ...process.argv.slice(1)]);

    // A CPU profile of this thread while it spins in a function with a telling name.
    const profile = fetch(`${s.url}/debug/pprof/profile?seconds=1`);
    await new Promise((r) => setTimeout(r, 100));
    const second = await fetch(`${s.url}/debug/pprof/profile?seconds=1`);
    assert.equal(second.status, 409);
    assert.match(await second.text(), /CPU profile/i);
    // Spin in 50 ms slices until the profile answers: the server thread runs at the lowest priority, so on a
    // loaded machine the capture may start later than the requests above returned; it still covers spinning.
    let answered = false;
    void profile.then(
      () => (answered = true),
      () => (answered = true),
    );
    while (!answered) {
      const end = Date.now() + 50;
      (function busyInMainThreadForThreadTest() {
        while (Date.now() < end);
      })();
      await new Promise((r) => setImmediate(r));
    }
    const res = await profile;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
    const pprof = gunzipSync(Buffer.from(await res.arrayBuffer()));
    assert.ok(pprof.includes('busyInMainThreadForThreadTest'), 'the profile is of the main thread');

    const bad = await fetch(`${s.url}/debug/pprof/profile?seconds=0`);
    assert.equal(bad.status, 400);

    // The dashboard's stream: config at once, then this thread's samples through a subscription.
    const ac = new AbortController();
    const stream = await fetch(`${s.url}/debug/dashboard/stream`, { signal: ac.signal });
    const reader = stream.body!.getReader();
    let got = '';
    const deadline = Date.now() + 5000;
    while (!got.includes('event: sample') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      got += Buffer.from(value!).toString();
    }
    ac.abort();
    assert.match(got, /event: config/);
    assert.match(got, /event: sample\ndata: /);
  } finally {
    unpublish('threadTest');
    await s.close();
    await s.close();
  }
});

test('options are validated here, before a thread starts; what cannot cross threads is refused by name', async () => {
  await assert.rejects(startDebugServerThread({ host: '0.0.0.0', port: 0 }), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
    assert.match(err.message, /"token"/);
    return true;
  });
  await assert.rejects(startDebugServerThread({ port: 70000 }), RangeError);
  await assert.rejects(startDebugServerThread({ port: 0, priority: 'high' as never }), (err: NodeJS.ErrnoException) => {
    assert.ok(err instanceof RangeError);
    assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
    assert.match(err.message, /"priority"/);
    return true;
  });
  await assert.rejects(startDebugServerThread({ routes: [] } as never), (err: NodeJS.ErrnoException) => {
    assert.ok(err instanceof TypeError);
    assert.match(err.message, /"routes"/);
    return true;
  });
});

/** Nice values of this process's threads, by thread id (Linux). */
function threadNices(): Map<string, number> {
  const nices = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after "(comm) ": state is 3rd, nice the 19th of the line.
      nices.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended while listed
    }
  }
  return nices;
}

test('the thread runs at the lowest priority where that is per thread (Linux), and the program\'s threads keep theirs', async () => {
  const linux = process.platform === 'linux';
  const before = linux ? threadNices() : new Map<string, number>();
  const low = await startDebugServerThread({ port: 0, unref: true });
  try {
    assert.equal(low.priority, linux ? 'low' : 'normal');
    if (linux) {
      const after = threadNices();
      const added = [...after].filter(([tid]) => !before.has(tid));
      assert.ok(added.some(([, nice]) => nice === 19), `a new thread at nice 19 (new threads: ${JSON.stringify(added)})`);
      assert.equal(after.get(String(process.pid)), before.get(String(process.pid)), 'the main thread keeps its priority');
      assert.ok([...before].every(([tid, nice]) => !after.has(tid) || after.get(tid) === nice), 'no thread of the program changes priority');
    }
    assert.equal((await fetch(`${low.url}/metrics`)).status, 200);
  } finally {
    await low.close();
  }
  const normal = await startDebugServerThread({ port: 0, unref: true, priority: 'normal' });
  try {
    assert.equal(normal.priority, 'normal');
    if (linux) assert.ok(![...threadNices().values()].includes(19), 'no thread lowered');
  } finally {
    await normal.close();
  }
});

test('a taken port rejects with the system error; a thread that dies does not take the host with it', async () => {
  const a = await startDebugServerThread({ port: 0, unref: true });
  try {
    await assert.rejects(startDebugServerThread({ port: a.port }), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
    await a.worker.terminate();
    // The host runs on, and close() still resolves.
    await a.close();
    await assert.rejects(fetch(`${a.url}/metrics`));
  } finally {
    await a.close();
  }
});

test('the server thread reads the native event-loop delay histogram itself: a scrape walks none of its counters on this thread, and the delays still reach /metrics', async () => {
  const { shareNativeDelayHistogram } = await import('../../src/stats/event-loop.js');
  // Count this thread's reads of the walking getters (the worker reads its own clone of the histogram).
  let walks = 0;
  let shared = false;
  const stop = shareNativeDelayHistogram((h) => {
    shared = true;
    for (const name of ['mean', 'stddev'] as const) {
      let getter: (() => number) | undefined;
      for (let p = Object.getPrototypeOf(h); p && !getter; p = Object.getPrototypeOf(p)) getter = Object.getOwnPropertyDescriptor(p, name)?.get;
      assert.ok(getter, `histogram.${name} is a getter`);
      if (Object.hasOwn(h, name)) continue;
      Object.defineProperty(h, name, {
        get() {
          walks++;
          return getter!.call(this);
        },
      });
    }
  });
  const s = await startDebugServerThread({ port: 0, unref: true });
  try {
    await (await fetch(`${s.url}/metrics`)).text(); // opens the event-loop window
    // A busy loop (callbacks of ~4 ms for 1.5 s) hands the measuring to the native timer after 200 ms.
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      const until = Date.now() + 4;
      while (Date.now() < until);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(shared, 'the native histogram was created and shared');
    const scrape = fetch(`${s.url}/metrics`);
    // Keep the loop turning (and busy) while the scrape is served.
    let done = false;
    void scrape.finally(() => (done = true));
    while (!done) {
      const until = Date.now() + 2;
      while (Date.now() < until);
      await new Promise((r) => setImmediate(r));
    }
    const text = await (await scrape).text();
    const max = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1]);
    assert.ok(max >= 0.001, `the busy loop's delays (≥ 1 ms) are in the scrape: max ${max} s`);
    assert.equal(walks, 0, 'no walk of the native histogram on this thread');
  } finally {
    stop();
    await s.close();
  }
});
