/**
 * Dashboard page: start-up. Live (served at /debug/dashboard): read the token,
 * connect the stream, build the views from `event: config`, redraw on
 * requestAnimationFrame when frames arrived (at most once per frame, never in a
 * hidden tab). Report (`memstats report` output): the same views over the
 * frames embedded in the page, drawn once, no actions.
 */

interface ReportData {
  config: DashboardConfig;
  frames: Frame[];
}

interface Views {
  plots: PlotView[];
  stats: StatsView;
  store: FrameStore;
}

function buildViews(config: DashboardConfig, historyMs: number | undefined): Views {
  const plotsEl = document.getElementById('plots')!;
  plotsEl.replaceChildren();
  const plots = config.plots.map((p, i) => new PlotView(p, i, plotsEl));
  const stats = new StatsView(config.stats, document.getElementById('stats')!);
  return { plots, stats, store: new FrameStore(historyMs) };
}

function drawViews(v: Views): void {
  for (const p of v.plots) p.update(v.store.frames);
  v.stats.update(v.store.latest());
}

function startReport(data: ReportData): void {
  const v = buildViews(data.config, undefined);
  v.store.replace(data.frames);
  drawViews(v);
}

function startLive(): void {
  readToken();
  const statusEl = document.getElementById('connection')!;
  const targetEl = document.getElementById('target')!;
  let views: Views | undefined;
  let configKey = '';
  let drawn = -1;
  let scheduled = false;

  const draw = (): void => {
    scheduled = false;
    if (!views || views.store.version === drawn) return;
    drawn = views.store.version;
    drawViews(views);
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  };

  connectStream('dashboard/stream', {
    limits(l) {
      setMaxProfileSeconds(l.maxProfileSeconds);
    },
    config(c) {
      const key = JSON.stringify([c.plots, c.stats]);
      // A reconnect to the same server sends the same config: keep the views (and legend toggles).
      if (key !== configKey || !views) {
        configKey = key;
        views = buildViews(c, c.historyMs);
        drawn = -1;
      }
      // An attach backend's description names the pid already ("pid 2352 (attached)").
      const desc = c.target.description.replace(new RegExp(`^pid ${c.target.pid}\\b\\s*`), '').replace(/^\((.*)\)$/, '$1');
      const what = c.target.description === 'local' || desc === '' ? '' : ` (${desc})`;
      targetEl.textContent = `pid ${c.target.pid}${what}`;
      document.title = `memstats — pid ${c.target.pid}`;
    },
    backlog(frames) {
      views?.store.replace(frames);
      schedule();
    },
    sample(frame) {
      views?.store.add(frame);
      schedule();
    },
    status(text, live) {
      statusEl.textContent = text;
      statusEl.className = live ? 'live' : 'down';
    },
  });
  setupActions(new FlameGraph(document.getElementById('flame-body')!));
}

function start(): void {
  const embedded = document.getElementById('memstats-report-data');
  if (embedded) startReport(JSON.parse(embedded.textContent ?? '{}') as ReportData);
  else startLive();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
