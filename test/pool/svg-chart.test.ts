import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactNumber, escapeXml, niceTicks, renderLineChart } from '../../src/report/svg-chart.js';

test('niceTicks covers the range with round steps', () => {
  assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0, 7, 5), [0, 2, 4, 6, 8]);
  const t = niceTicks(0, 381e6, 5);
  assert.equal(t[0], 0);
  assert.ok(t[t.length - 1] >= 381e6);
  assert.deepEqual(niceTicks(5, 5, 5).length > 1, true, 'an empty range still gets an axis');
});

test('compactNumber and escapeXml', () => {
  assert.equal(compactNumber(0), '0');
  assert.equal(compactNumber(1500), '1.5k');
  assert.equal(compactNumber(2_000_000), '2M');
  assert.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

test('renderLineChart draws each series against its axis, with legend, title and no external resource', () => {
  const x = [0, 1, 2, 3, 4];
  const svg = renderLineChart({
    title: 'memory <& makes>',
    x,
    left: { label: 'bytes', format: (v) => `${v}B` },
    right: { label: 'count' },
    series: [
      { name: 'rss', values: [0, 100, 200, 300, 400] },
      { name: 'makes', values: [0, 1, 2, null, 4], axis: 'right' },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.endsWith('</svg>'));
  assert.ok(!/<script|href=|<image|url\(/i.test(svg), 'self-contained');
  assert.ok(svg.includes('memory &lt;&amp; makes&gt;'), 'title escaped');
  assert.ok(svg.includes('rss (left)') && svg.includes('makes (right)'), 'legend names the axis');
  assert.ok(svg.includes('400B'), 'left ticks use the left format');
  // The rss line is one run of 5 points; makes is split in two runs by its gap.
  const groups = svg.split('<g fill="none"').slice(1);
  assert.equal(groups.length, 2);
  assert.equal((groups[0].match(/<polyline/g) ?? []).length, 1);
  assert.equal((groups[1].match(/<polyline/g) ?? []).length, 2);
  // The right series reaches the top of the plot at its own maximum (4), the left at 400.
  const ys = (g: string): number[] => [...g.matchAll(/[\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
  assert.equal(Math.min(...ys(groups[0])), Math.min(...ys(groups[1])));
});

test('long series are thinned to min/max per pixel column, keeping spikes', () => {
  const n = 100_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const values = x.map((i) => (i === 54_321 ? 1000 : 1));
  const svg = renderLineChart({ x, series: [{ name: 'spiky', values }], widthPx: 600, heightPx: 300 });
  assert.ok(svg.length < 60_000, `small SVG: ${svg.length} chars`);
  const pts = [...svg.matchAll(/([\d.]+),([\d.]+)/g)].map((m) => Number(m[2]));
  assert.ok(pts.length <= 2 * 600);
  assert.ok(Math.min(...pts) < 100, 'the spike survives (near the top of the plot)');
});

test('empty and all-missing series render an empty plot without throwing', () => {
  const svg = renderLineChart({ x: [], series: [{ name: 'none', values: [] }, { name: 'gaps', values: [null, NaN] }] });
  assert.ok(svg.includes('</svg>'));
  assert.ok(!svg.includes('<polyline'));
});
