/**
 * Dashboard page: where requests go and what credentials they carry.
 *
 * URLs are relative to the page (`<mount>/debug/dashboard`), so the page works
 * wherever the debug handler is mounted; they are rebuilt without user:password
 * because Chrome refuses fetch() of a URL with credentials, which a page opened
 * as `http://:TOKEN@host/debug/dashboard` would otherwise inherit.
 *
 * Token: a page opened with `#token=…` (or `?token=…`) sends
 * `Authorization: Bearer …` on every request it makes, and removes the token
 * from the address bar. The page itself is loaded by the browser, which can
 * only send Basic auth (its password prompt, or `http://:TOKEN@host/…`); once
 * that is done the browser resends it with every request, token or not.
 * docs/dashboard.md weighs the two.
 */

let bearerToken: string | undefined;

/** readToken takes the token from the fragment or the query, then hides it from the address bar and history. */
function readToken(): void {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const query = new URLSearchParams(location.search);
  const t = hash.get('token') ?? query.get('token');
  if (!t) return;
  bearerToken = t;
  query.delete('token');
  hash.delete('token');
  const q = query.toString();
  const h = hash.toString();
  try {
    history.replaceState(null, '', `${location.pathname}${q ? `?${q}` : ''}${h ? `#${h}` : ''}`);
  } catch {
    // A sandboxed or file: page cannot rewrite its URL: harmless.
  }
}

/** apiUrl resolves `path` against the page's URL (relative: `dashboard/stream`, `gc`, `pprof/profile`). */
function apiUrl(path: string): string {
  const u = new URL(path, location.href);
  u.username = '';
  u.password = '';
  return u.href;
}

/** authHeaders: the Bearer header when the page was given a token. */
function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return bearerToken ? { ...extra, Authorization: `Bearer ${bearerToken}` } : extra;
}

/**
 * refusal renders a failed response as one line: the status, what it means
 * here, and the server's one-line reason.
 */
async function refusal(res: Response): Promise<string> {
  let reason = '';
  try {
    reason = (await res.text()).trim().split('\n')[0].slice(0, 300);
  } catch {
    reason = '';
  }
  const what: Record<number, string> = {
    400: 'Bad request',
    401: 'Not authorized — open the page with the token (see docs/dashboard.md)',
    403: 'Forbidden',
    404: 'Not found — this server has no such endpoint',
    409: 'Busy',
    503: 'Unavailable',
  };
  const head = what[res.status] ?? (res.status >= 500 ? 'Failed' : 'Refused');
  return `${head} (${res.status})${reason ? `: ${reason}` : ''}`;
}
