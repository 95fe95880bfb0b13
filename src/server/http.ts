/**
 * @module server/http
 * HTTP plumbing shared by the debug routes: one `serveError`, response
 * helpers that set the safety headers, query-parameter parsing that answers
 * 400 with a one-line reason, authentication in constant time, and the
 * loopback and Host checks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error whose message is safe to show the client as the one-line reason of `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Reduces any text to one printable line (at most 300 characters), for error bodies. */
export function oneLine(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e\u00a0-\uffff]/g, '').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Headers every debug response carries: no MIME sniffing, no caching. */
const SAFETY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' } as const;

function baseHeaders(res: ServerResponse): void {
  for (const [k, v] of Object.entries(SAFETY_HEADERS)) res.setHeader(k, v);
}

/**
 * serveError answers `status` with a one-line plain-text reason, as Go's
 * net/http/pprof does (no stack trace, ever). If the response has already
 * started, the connection is cut instead, so the client sees a failure rather
 * than a truncated body that looks whole.
 */
export function serveError(res: ServerResponse, status: number, reason: string, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.writableEnded || res.destroyed) return;
  // Drop headers a route may have set for a success (Content-Disposition of a profile).
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  baseHeaders(res);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Go-Pprof', '1');
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  const body = `${oneLine(reason)}\n`;
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.statusCode = status;
  res.end(body);
}

/**
 * send answers 200 (or `status`) with `body` and the safety headers, in one
 * `writeHead` + `end` — the common shape of a node:http response. The debug
 * server shares node:http's JavaScript with the application; responses built
 * another way (setHeader of a Content-Length, then end) change the hidden
 * classes V8 sees there, and a saturated application server measurably slowed
 * down after each scrape (docs/benchmarks.md). `headers` use the canonical
 * spelling of the names (`Cache-Control`) to replace the defaults.
 */
export function send(res: ServerResponse, contentType: string, body: string | Buffer, status = 200, headers?: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    ...SAFETY_HEADERS,
    'Content-Type': contentType,
    ...headers,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
  });
  res.end(body);
}

/** sendJson answers with `value` as indented JSON. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  send(res, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n', status);
}

/** sendAttachment answers with a download (`Content-Disposition: attachment`), as Go serves profiles. */
export function sendAttachment(res: ServerResponse, filename: string, body: Buffer | string, contentType = 'application/octet-stream'): void {
  send(res, contentType, body, 200, { 'Content-Disposition': `attachment; filename="${filename.replace(/["\\\r\n]/g, '_')}"` });
}

/** Headers every response carries; for routes that stream their own body. */
export function setSafetyHeaders(res: ServerResponse): void {
  baseHeaders(res);
}

/**
 * intParam reads integer query parameter `name`: `fallback` when absent,
 * HttpError 400 with a one-line reason when not an integer in [min, max].
 */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new HttpError(400, `${name} must be an integer from ${min} to ${max}; received ${JSON.stringify(raw.slice(0, 40))}`);
  const n = Number(raw);
  if (n < min || n > max) throw new HttpError(400, `${name} must be an integer from ${min} to ${max}; received ${raw.slice(0, 40)}`);
  return n;
}

/** boolParam reads a Go-style flag parameter (`gc=1`): true for a positive integer, false for absent or 0. */
export function boolParam(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return false;
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${name} must be 0 or 1; received ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw) > 0;
}

/** A token kept as its SHA-256 digest, compared in constant time. */
export class TokenCheck {
  private readonly digest: Buffer;
  constructor(token: string) {
    this.digest = createHash('sha256').update(token, 'utf8').digest();
  }

  /** matches compares `candidate` with the token in time independent of where they differ. */
  matches(candidate: string): boolean {
    // Hashing both sides gives equal-length inputs, as timingSafeEqual requires,
    // and hides the token's length.
    const d = createHash('sha256').update(candidate, 'utf8').digest();
    return timingSafeEqual(d, this.digest);
  }

  /**
   * allows reads `Authorization: Bearer <token>`, or `Basic` with the token as
   * password (any user name) — what `go tool pprof http://user:TOKEN@host/…`
   * and browsers send.
   */
  allows(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const sp = h.indexOf(' ');
    if (sp < 0) return false;
    const scheme = h.slice(0, sp).toLowerCase();
    const value = h.slice(sp + 1).trim();
    if (scheme === 'bearer') return this.matches(value);
    if (scheme === 'basic') {
      let decoded: string;
      try {
        decoded = Buffer.from(value, 'base64').toString('utf8');
      } catch {
        return false;
      }
      const colon = decoded.indexOf(':');
      return colon >= 0 && this.matches(decoded.slice(colon + 1));
    }
    return false;
  }
}

/** isLoopbackHost: `localhost`, `*.localhost`, 127.0.0.0/8, ::1 (and its IPv4-mapped forms). */
export function isLoopbackHost(host: string): boolean {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h.startsWith('::ffff:')) h = h.slice(7);
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Host name of a Host header value (`[::1]:6060` → `::1`, `example.com:80` → `example.com`). */
export function hostOfHeader(value: string): string {
  const v = value.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    return end > 0 ? v.slice(1, end) : v;
  }
  const colon = v.lastIndexOf(':');
  return colon >= 0 && v.indexOf(':') === colon ? v.slice(0, colon) : v;
}
