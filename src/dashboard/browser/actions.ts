/**
 * Dashboard page: the actions, each through the debug server's own endpoint
 * (so the same rules apply: token, one capture of a kind at a time → 409):
 * force a GC (POST gc), capture a CPU profile (GET pprof/profile?seconds=N →
 * flame graph + the .pb.gz download), take a heap snapshot (GET
 * pprof/heapsnapshot → download). Each shows progress and ends with a message
 * that says what happened or why it was refused.
 */

interface ActionRow {
  button: HTMLButtonElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
}

function actionRow(name: string): ActionRow {
  return {
    button: document.getElementById(`${name}-button`) as HTMLButtonElement,
    progress: document.getElementById(`${name}-progress`) as HTMLProgressElement,
    status: document.getElementById(`${name}-status`) as HTMLElement,
  };
}

function setStatus(row: ActionRow, text: string, kind: 'busy' | 'ok' | 'error'): void {
  row.status.textContent = text;
  row.status.className = `status ${kind}`;
}

/** Runs `work` with the row's button disabled and its progress shown; failures end as an error message. */
async function runAction(row: ActionRow, work: () => Promise<void>): Promise<void> {
  row.button.disabled = true;
  row.progress.hidden = false;
  row.progress.removeAttribute('value');
  try {
    await work();
  } catch (err) {
    const e = err as Error;
    setStatus(row, e instanceof TypeError ? `Failed: the server did not answer (${e.message})` : `Failed: ${e.message}`, 'error');
  } finally {
    row.button.disabled = false;
    row.progress.hidden = true;
  }
}

/** offerDownload points `link` at `blob` (releasing the blob it pointed at) and shows it. */
function offerDownload(link: HTMLAnchorElement, blob: Blob, filename: string): void {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.hidden = false;
}

function filenameOf(res: Response, fallback: string): string {
  const m = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '');
  return m ? m[1] : fallback;
}

/** The timestamp part of downloaded file names: `20240131-140327`. */
function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Longest CPU profile the server accepts (its maxProfileSeconds, from the stream's `limits`). */
let maxCpuSeconds = 300;

/** setMaxProfileSeconds takes the server's limit for the CPU-profile box. */
function setMaxProfileSeconds(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) return;
  maxCpuSeconds = n;
  const input = document.getElementById('cpu-seconds') as HTMLInputElement | null;
  if (input) input.max = String(n);
}

function setupActions(flame: FlameGraph): void {
  const gc = actionRow('gc');
  const cpu = actionRow('cpu');
  const snap = actionRow('snapshot');
  const secondsInput = document.getElementById('cpu-seconds') as HTMLInputElement;
  const flameSection = document.getElementById('flame') as HTMLElement;
  const flameTitle = document.getElementById('flame-title') as HTMLElement;
  const cpuDownload = document.getElementById('cpu-download') as HTMLAnchorElement;
  const snapDownload = document.getElementById('snapshot-download') as HTMLAnchorElement;

  gc.button.addEventListener('click', () =>
    runAction(gc, async () => {
      setStatus(gc, 'Collecting…', 'busy');
      const res = await fetch(apiUrl('gc'), { method: 'POST', headers: authHeaders(), cache: 'no-store' });
      if (!res.ok) return setStatus(gc, await refusal(res), 'error');
      const r = (await res.json()) as { heapUsedBeforeBytes: number; heapUsedAfterBytes: number; durationMs: number };
      setStatus(gc, `Full GC in ${fmtMs(r.durationMs)}: heap used ${fmtBytes(r.heapUsedBeforeBytes)} → ${fmtBytes(r.heapUsedAfterBytes)}.`, 'ok');
    }),
  );

  cpu.button.addEventListener('click', () =>
    runAction(cpu, async () => {
      const seconds = Math.round(Number(secondsInput.value));
      if (!(seconds >= 1 && seconds <= maxCpuSeconds)) return setStatus(cpu, `Seconds must be a whole number from 1 to ${maxCpuSeconds} (this server's limit).`, 'error');
      const started = performance.now();
      cpu.progress.max = seconds;
      const tick = setInterval(() => {
        const s = (performance.now() - started) / 1000;
        cpu.progress.value = Math.min(seconds, s);
        setStatus(cpu, s < seconds ? `Profiling… ${Math.floor(s)} of ${seconds} s` : 'Encoding the profile…', 'busy');
      }, 200);
      setStatus(cpu, `Profiling… 0 of ${seconds} s`, 'busy');
      try {
        const res = await fetch(apiUrl(`pprof/profile?seconds=${seconds}`), { headers: authHeaders(), cache: 'no-store' });
        if (!res.ok) return setStatus(cpu, await refusal(res), 'error');
        const bytes = new Uint8Array(await res.arrayBuffer());
        setStatus(cpu, 'Decoding…', 'busy');
        const profile = await decodePprof(bytes);
        const tree = flameTree(profile);
        flame.show(tree);
        flameSection.hidden = false;
        flameTitle.textContent = `CPU profile, ${seconds} s — ${fmtFlameValue(tree.root.total, tree.unit)} of ${tree.type}`;
        offerDownload(cpuDownload, new Blob([bytes], { type: 'application/octet-stream' }), filenameOf(res, `cpu-${stamp()}.pb.gz`));
        setStatus(cpu, `Captured ${seconds} s (${fmtBytes(bytes.length)}). Flame graph below; go tool pprof reads the download.`, 'ok');
      } finally {
        clearInterval(tick);
      }
    }),
  );

  snap.button.addEventListener('click', () =>
    runAction(snap, async () => {
      const started = performance.now();
      const waiting = setInterval(() => setStatus(snap, `Writing the snapshot… ${fmtMs(performance.now() - started)} (the process pauses while V8 walks its heap)`, 'busy'), 250);
      setStatus(snap, 'Writing the snapshot…', 'busy');
      let res: Response;
      try {
        res = await fetch(apiUrl('pprof/heapsnapshot'), { headers: authHeaders(), cache: 'no-store' });
      } finally {
        clearInterval(waiting);
      }
      if (!res.ok || !res.body) return setStatus(snap, await refusal(res), 'error');
      const total = Number(res.headers.get('content-length') ?? 0);
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let received = 0;
      if (total > 0) snap.progress.max = total;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        if (total > 0) snap.progress.value = received;
        setStatus(snap, `Downloading… ${fmtBytes(received)}${total > 0 ? ` of ${fmtBytes(total)}` : ''}`, 'busy');
      }
      if (total > 0 && received !== total) return setStatus(snap, `Failed: the download stopped at ${fmtBytes(received)} of ${fmtBytes(total)}.`, 'error');
      offerDownload(snapDownload, new Blob(chunks as BlobPart[], { type: 'application/octet-stream' }), filenameOf(res, `heap-${stamp()}.heapsnapshot`));
      snapDownload.click();
      setStatus(snap, `Heap snapshot of ${fmtBytes(received)} in ${fmtMs(performance.now() - started)}. Open it in Chrome DevTools → Memory → Load.`, 'ok');
    }),
  );
}
