import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startDebugServer } from '../../src/server/index.js';
import { ROUTE_PROVIDERS } from '../../src/server/routes.js';
import { dashboardRoutes } from '../../src/dashboard/routes.js';
import { sampleBackend } from './sample-backend.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

test('the dashboard is one provider of ROUTE_PROVIDERS', () => {
  assert.ok(ROUTE_PROVIDERS.includes(dashboardRoutes));
});

test('/debug/dashboard serves the page with a strict CSP and relative links; assets come from the package with ETags', async () => {
  const sb = sampleBackend();
  const server = await startDebugServer({ port: 0, backend: sb.backend });
  try {
    const page = await get(`${server.url}/debug/dashboard`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'; .*connect-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.ok(!/<script>/.test(page.body), 'no inline script');
    const links = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((l) => l !== 'data:,');
    assert.ok(links.length >= 4);
    for (const l of links) assert.ok(l.startsWith('dashboard/assets/'), `relative link ${l}`);
    for (const l of links) {
      const a = await get(new URL(l, `${server.url}/debug/dashboard`).href);
      assert.equal(a.status, 200, l);
      assert.ok(a.body.length > 500, l);
      assert.match(String(a.headers.etag), /^"[\w-]+"$/);
      const again = await get(new URL(l, `${server.url}/debug/dashboard`).href, { 'If-None-Match': String(a.headers.etag) });
      assert.equal(again.status, 304, `${l} revalidates`);
    }
    const js = await get(`${server.url}/debug/dashboard/assets/dashboard.js`);
    assert.match(js.body, /^\(function \(\) \{"use strict";/, 'the bundle runs in its own scope');
    assert.match(js.body, /sourceMappingURL=dashboard\.js\.map\s*$/);
    assert.equal((await get(`${server.url}/debug/dashboard/assets/dashboard.js.map`)).status, 200);
    assert.equal((await get(`${server.url}/debug/dashboard/assets/nope.js`)).status, 404);
    assert.equal((await get(`${server.url}/debug/dashboard/assets/x%2Fdashboard.js`)).status, 404);
    const slash = await get(`${server.url}/debug/dashboard/`);
    assert.equal(slash.status, 301);
    assert.equal(slash.headers.location, '../dashboard');
    const index = await get(`${server.url}/debug/pprof/`);
    assert.match(index.body, /href="\.\.\/\.\.\/debug\/dashboard">\/debug\/dashboard<\/a>/, 'the index links the dashboard');
  } finally {
    await server.close();
    sb.close();
  }
});

test('with a token, the page and its stream need it like every endpoint', async () => {
  const sb = sampleBackend();
  const server = await startDebugServer({ port: 0, backend: sb.backend, token: 's3cret' });
  try {
    assert.equal((await get(`${server.url}/debug/dashboard`)).status, 401);
    assert.equal((await get(`${server.url}/debug/dashboard/assets/dashboard.js`)).status, 401);
    const basic = `Basic ${Buffer.from(':s3cret').toString('base64')}`;
    assert.equal((await get(`${server.url}/debug/dashboard`, { Authorization: basic })).status, 200);
    assert.equal((await get(`${server.url}/debug/dashboard/stream`, { Authorization: 'Bearer wrong' })).status, 401);
    assert.equal(sb.subscriptions(), 0, 'a refused stream never subscribes');
  } finally {
    await server.close();
    sb.close();
  }
});
