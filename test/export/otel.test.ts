import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, MetricReader, DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { registerOtelMetrics, OTEL_INSTRUMENTS } from '../../src/export/otel.js';
import { gc } from '../../src/runtime/gc.js';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

function find(rm: ResourceMetrics, name: string) {
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) return m;
  return undefined;
}

test('registerOtelMetrics publishes semantic-convention names plus memstats.*, and records every GC cycle', async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('memstats-test');
  let removed = 0;
  const remove = meter.removeBatchObservableCallback.bind(meter);
  meter.removeBatchObservableCallback = (cb, obs) => {
    removed++;
    remove(cb, obs);
  };
  const handle = registerOtelMetrics(meter);
  let majorsRecorded = 0;
  try {
    gc();
    gc();
    gc({ type: 'minor' });
    // GC cycles are recorded on the 1 s sampler tick.
    await new Promise((r) => setTimeout(r, 1300));
    const { resourceMetrics: rm, errors } = await reader.collect();
    assert.deepEqual(errors, []);
    const used = find(rm, 'v8js.memory.heap.used');
    assert.ok(used, 'v8js.memory.heap.used');
    assert.equal(used.descriptor.unit, 'By');
    const spaces = used.dataPoints.map((p) => p.attributes['v8js.heap.space.name']);
    assert.ok(spaces.includes('old_space') && spaces.includes('new_space'));
    const gcd = find(rm, 'v8js.gc.duration');
    assert.ok(gcd && gcd.dataPointType === DataPointType.HISTOGRAM);
    const major = gcd.dataPoints.find((p) => p.attributes['v8js.gc.type'] === 'major');
    assert.ok(major, 'major cycles recorded');
    const hv = major.value as { count: number; buckets: { boundaries: number[] } };
    assert.ok(hv.count >= 2, `major count ${hv.count}`);
    majorsRecorded = hv.count;
    assert.equal(hv.buckets.boundaries[0], 0.00001, 'buckets from 10 µs');
    const time = find(rm, 'nodejs.eventloop.time');
    assert.deepEqual(time?.dataPoints.map((p) => p.attributes['nodejs.eventloop.state']).sort(), ['active', 'idle']);
    const cycles = find(rm, 'memstats.gc.cycles');
    const majors = cycles?.dataPoints.find((p) => p.attributes['v8js.gc.type'] === 'major')?.value as number;
    assert.ok(majors >= 2);
    assert.ok(find(rm, 'nodejs.eventloop.delay.p99'), 'delay percentiles');
    assert.ok((find(rm, 'memstats.heap.alloc')?.dataPoints[0].value as number) > 1e6);
    assert.equal(new Set(handle.names).size, OTEL_INSTRUMENTS.length);
  } finally {
    handle.unregister();
    handle.unregister();
  }
  // After unregister: the batch callback is removed and GCs are no longer recorded.
  assert.equal(removed, 1);
  gc();
  await new Promise((r) => setTimeout(r, 1200));
  const { resourceMetrics } = await reader.collect();
  const major = find(resourceMetrics, 'v8js.gc.duration')?.dataPoints.find((p) => p.attributes['v8js.gc.type'] === 'major');
  assert.equal((major?.value as { count: number } | undefined)?.count ?? 0, majorsRecorded);
  await provider.shutdown();
});

test('registerOtelMetrics refuses something that is not a Meter', () => {
  assert.throws(() => registerOtelMetrics({} as never), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  assert.throws(() => registerOtelMetrics(undefined as never), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
});
