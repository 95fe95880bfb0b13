/**
 * Dashboard page: the Server-Sent Events client. It reads the stream with
 * fetch() rather than EventSource so it can send `Authorization: Bearer` (an
 * EventSource cannot set headers), and reconnects with backoff (1 s doubling
 * to 30 s, reset by the next message) when the stream ends or fails — a
 * restarted server is picked up by itself, with its backlog.
 */
type DashboardConfig = import('../wire.js').DashboardConfig;

interface StreamHandlers {
  config(c: DashboardConfig): void;
  backlog(frames: Frame[]): void;
  sample(frame: Frame): void;
  /** What the server accepts (`maxProfileSeconds`). */
  limits(l: { maxProfileSeconds: number }): void;
  /** Connection state for the header: `live`, or why not. */
  status(text: string, live: boolean): void;
}

/** No sample for this long on an open stream: the program is likely blocked (its loop serves the figures), ms. */
const STALE_MS = 5000;

function connectStream(path: string, on: StreamHandlers): void {
  let backoffMs = 1000;
  // The header must not say "live" while nothing arrives — when the program is stuck is when it matters.
  let lastDataMs = Date.now();
  let stale = false;
  let open = false;
  setInterval(() => {
    if (!open || stale || Date.now() - lastDataMs < STALE_MS) return;
    stale = true;
    on.status(`no data for ${Math.round((Date.now() - lastDataMs) / 1000)} s — the program may be blocked`, false);
  }, 1000);

  const dispatch = (block: string): void => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    const payload = JSON.parse(data.join('\n')) as unknown;
    backoffMs = 1000;
    lastDataMs = Date.now();
    if (stale) {
      stale = false;
      on.status('live', true);
    }
    try {
      if (event === 'config') on.config(payload as DashboardConfig);
      else if (event === 'backlog') on.backlog(payload as Frame[]);
      else if (event === 'sample') on.sample(payload as Frame);
      else if (event === 'limits') on.limits(payload as { maxProfileSeconds: number });
    } catch (err) {
      // A drawing bug must show (console) without tearing the connection down.
      console.error(err);
    }
  };

  const retry = (why: string): void => {
    open = false;
    const wait = backoffMs;
    backoffMs = Math.min(30_000, backoffMs * 2);
    on.status(`${why} — reconnecting in ${Math.round(wait / 1000)} s`, false);
    setTimeout(run, wait);
  };

  async function run(): Promise<void> {
    on.status('connecting…', false);
    let res: Response;
    try {
      res = await fetch(apiUrl(path), { headers: authHeaders({ Accept: 'text/event-stream' }), cache: 'no-store' });
    } catch (err) {
      return retry(`cannot reach the server (${(err as Error).message})`);
    }
    if (!res.ok || !res.body) return retry(await refusal(res));
    on.status('live', true);
    open = true;
    stale = false;
    lastDataMs = Date.now();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          dispatch(block);
        }
      }
      retry('the stream ended');
    } catch (err) {
      retry(`the stream broke (${(err as Error).message})`);
    }
  }

  void run();
}
