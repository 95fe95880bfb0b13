/**
 * @module dashboard/style
 * The stylesheet of the dashboard page and of `memstats report` (served as
 * /debug/dashboard/assets/dashboard.css, inlined in reports).
 */

/** DASHBOARD_CSS: the page's styles. */
export const DASHBOARD_CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #666; --line: #e3e3e3; --bg: #f6f7f9; --card: #fff; --ok: #0a7d32; --err: #b3261e; --busy: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; padding: 10px 18px; background: #1d2733; color: #fff; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; }
header .sub { color: #c9d3de; }
#connection { margin-left: auto; font-size: 13px; padding: 1px 8px; border-radius: 10px; }
#connection.live { background: #1f7a3a; }
#connection.down { background: #8a3a2a; }
#stats { display: flex; flex-wrap: wrap; gap: 8px; padding: 10px 18px 0; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; min-width: 96px; }
.stat .label { display: block; font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.stat .value { font-size: 16px; font-variant-numeric: tabular-nums; }
#actions { display: grid; grid-template-columns: max-content 1fr; gap: 6px 12px; align-items: center; margin: 10px 18px 0; padding: 10px 12px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
#actions .controls { display: flex; gap: 6px; align-items: center; white-space: nowrap; }
#actions .outcome { display: flex; gap: 10px; align-items: center; min-width: 0; }
#actions button { font: inherit; padding: 3px 12px; border: 1px solid #98a2ad; border-radius: 4px; background: #f4f6f8; cursor: pointer; }
#actions button:disabled { opacity: .55; cursor: progress; }
#actions input { width: 4.2em; font: inherit; padding: 2px 4px; }
#actions progress { width: 140px; }
.status { overflow-wrap: anywhere; }
.status.ok { color: var(--ok); } .status.error { color: var(--err); font-weight: 600; } .status.busy { color: var(--busy); }
#flame { margin: 10px 18px 0; padding: 10px 12px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
#flame h2 { font-size: 15px; margin: 0 0 6px; display: flex; gap: 14px; align-items: baseline; }
.flame-graph { position: relative; width: 100%; overflow: hidden; font-size: 12px; margin-bottom: 10px; }
.flame-graph .frame { position: absolute; height: 17px; padding: 0 4px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; border-right: 1px solid #fff; border-bottom: 1px solid #fff; cursor: pointer; line-height: 17px; color: #222; }
.flame-graph .frame:hover { filter: brightness(0.9); }
.flame-graph .frame.ancestor { color: #666; }
table.top { border-collapse: collapse; font-size: 12px; }
table.top caption { text-align: left; font-weight: 600; padding-bottom: 3px; }
table.top th, table.top td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; }
table.top td:nth-child(-n+2) { text-align: right; font-variant-numeric: tabular-nums; }
#plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(560px, 100%), 1fr)); gap: 12px; padding: 12px 18px 24px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
.card h2 { font-size: 15px; margin: 0 0 4px; }
.card .help { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
.chart { min-height: 220px; }
.u-legend { font-size: 12px; }
.u-legend .u-series th { cursor: pointer; }
#report-head, #diagnosis { margin: 12px 18px 0; padding: 10px 14px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
#diagnosis h2 { font-size: 17px; margin: 0 0 8px; }
.finding { border-left: 4px solid var(--busy); padding: 4px 10px; margin: 10px 0; }
.finding.critical { border-color: var(--err); }
.finding.ok { border-color: var(--ok); }
.finding h3 { font-size: 15px; margin: 0 0 4px; }
.finding ul { margin: 4px 0; padding-left: 20px; }
.finding .next { margin: 4px 0 0; }
code { background: #f0f1f3; padding: 0 3px; border-radius: 3px; font-size: 12.5px; }
[hidden] { display: none !important; }
`;
