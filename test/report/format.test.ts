import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatPercent } from '../../src/index.js';

test('formatBytes at 0, 1023, 1024 and every unit boundary', () => {
  assert.equal(formatBytes(0), '0B');
  assert.equal(formatBytes(1), '1B');
  assert.equal(formatBytes(1023), '1023B');
  assert.equal(formatBytes(1024), '1.00K');
  assert.equal(formatBytes(1536), '1.50K');
  assert.equal(formatBytes(1024 * 1024 - 1), '1024.00K');
  assert.equal(formatBytes(1024 * 1024), '1.00M');
  assert.equal(formatBytes(1024 ** 3 - 1), '1024.00M');
  assert.equal(formatBytes(1024 ** 3), '1.00G');
  assert.equal(formatBytes(5.5 * 1024 ** 4), '5632.00G');
  assert.equal(formatBytes(-2048), '-2.00K');
  assert.equal(formatBytes(NaN), 'NaN');
});

test('formatDuration at 0 and every unit boundary', () => {
  assert.equal(formatDuration(0), '0');
  assert.equal(formatDuration(1), '1.00ns');
  assert.equal(formatDuration(999), '999.00ns');
  assert.equal(formatDuration(1000), '1.00µs');
  assert.equal(formatDuration(999_999), '1000.00µs');
  assert.equal(formatDuration(1e6), '1.00ms');
  assert.equal(formatDuration(1e9 - 1), '1000.00ms');
  assert.equal(formatDuration(1e9), '1.00s');
  assert.equal(formatDuration(59.99e9), '59.99s');
  assert.equal(formatDuration(60e9), '1.00m');
  assert.equal(formatDuration(3599e9), '59.98m');
  assert.equal(formatDuration(3600e9), '1.00h');
  assert.equal(formatDuration(90 * 3600e9), '90.00h');
  assert.equal(formatDuration(-1500), '-1.50µs');
  assert.equal(formatDuration(Infinity), 'Infinity');
  assert.equal(formatPercent(0.1234), '12.34%');
});
