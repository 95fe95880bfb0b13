/**
 * @module cli/commands/ps
 * `memstats ps [--json]`: the Node.js processes of this user (gops' process
 * list) — pid, uptime, RSS, whether the memstats agent serves it (and where)
 * or its inspector is open, and the command line.
 */
import { parseCommandArgs, UsageError, type Command } from '../command.js';
import { formatBytes } from '../../report/format.js';
import { httpRequest } from '../../attach/http-request.js';
import { probeInspector } from '../../attach/inspector-port.js';
import { listNodeProcesses, listeningSockets, loopbackHostFor, readEnviron, reachableOverLoopback, type ListeningSocket, type ProcessInfo } from '../../attach/proc.js';
import { parseAddr } from '../../agent/agent.js';

const usage = `Usage: memstats ps [--json]

Lists the Node.js processes of this user (every user's, for root): pid,
uptime, resident memory, whether the memstats agent serves it and at which
URL, whether its inspector is open and on which port, and its command line.

A process is shown as served when one of its listening ports answers
memstats' /debug/vars (or asks for a token with memstats' realm); the
inspector, when a port answers /json/list. Only loopback and wildcard
listeners are asked, each once, with a short deadline.

Options:
  --json             print a JSON array: [{pid, uptimeSeconds, rssBytes,
                     agentUrl, agentToken, inspectorPort, argv}]
  -h, --help         this text

Then:
  memstats top <pid|url>    memstats attach <pid>    memstats stats <pid|url>
`;

/** One row of `memstats ps`. */
export interface PsRow {
  pid: number;
  uptimeSeconds: number;
  rssBytes: number;
  /** URL of the memstats debug server the process serves, if any. */
  agentUrl: string | null;
  /** That server asks for a token. */
  agentToken: boolean;
  /** Port of the open inspector, if any. */
  inspectorPort: number | null;
  argv: string[];
}

function urlFor(s: ListeningSocket): string {
  const host = loopbackHostFor(s);
  return `http://${host.includes(':') ? `[${host}]` : host}:${s.port}`;
}

/** What a listening socket is: the memstats agent, an inspector, or something else. */
async function classify(s: ListeningSocket): Promise<{ agent?: { url: string; token: boolean }; inspector?: number }> {
  const url = urlFor(s);
  try {
    const r = await httpRequest(`${url}/debug/vars`, { timeoutMs: 700, maxBytes: 4 * 1024 * 1024 });
    if (r.status === 200) {
      try {
        const v = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
        if (v && typeof v.memstats === 'object' && Array.isArray(v.cmdline)) return { agent: { url, token: false } };
      } catch {
        // Not JSON: not ours.
      }
    } else if (r.status === 401 && /realm="memstats"/.test(String(r.headers['www-authenticate'] ?? ''))) {
      return { agent: { url, token: true } };
    }
  } catch {
    // No HTTP there, or too slow: not ours.
  }
  if (await probeInspector(loopbackHostFor(s), s.port, 700)) return { inspector: s.port };
  return {};
}

async function describe(info: ProcessInfo): Promise<PsRow> {
  const row: PsRow = { pid: info.pid, uptimeSeconds: Math.round(info.uptimeSeconds), rssBytes: info.rssBytes, agentUrl: null, agentToken: false, inspectorPort: null, argv: info.argv };
  let sockets: ListeningSocket[] = [];
  try {
    sockets = listeningSockets(info.pid).filter((s) => reachableOverLoopback(s.address));
  } catch {
    sockets = [];
  }
  // The agent's address from its environment goes first: the usual answer, found with one request.
  const env = readEnviron(info.pid);
  const addr = env?.MEMSTATS_ADDR ? parseAddr(env.MEMSTATS_ADDR) : undefined;
  if (addr) sockets.sort((a, c) => Number(c.port === addr.port) - Number(a.port === addr.port));
  const seen = new Set<number>();
  for (const s of sockets) {
    if (seen.has(s.port)) continue;
    seen.add(s.port);
    const c = await classify(s);
    if (c.agent && !row.agentUrl) {
      row.agentUrl = c.agent.url;
      row.agentToken = c.agent.token;
    }
    if (c.inspector !== undefined && row.inspectorPort === null) row.inspectorPort = c.inspector;
  }
  return row;
}

function uptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** formatPs renders rows as a table. */
export function formatPs(rows: PsRow[], columns = 120): string {
  if (rows.length === 0) return 'no Node.js processes of this user\n';
  const head = ['PID', 'UPTIME', 'RSS', 'MEMSTATS', 'INSPECTOR', 'COMMAND'];
  const body = rows.map((r) => [
    String(r.pid),
    uptime(r.uptimeSeconds),
    formatBytes(r.rssBytes),
    r.agentUrl ? `${r.agentUrl}${r.agentToken ? ' (token)' : ''}` : '-',
    r.inspectorPort !== null ? String(r.inspectorPort) : '-',
    r.argv.join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => (i === 5 ? 0 : c[i].length))));
  const line = (cells: string[]) => {
    const fixed = cells.slice(0, 5).map((c, i) => (i === 0 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
    const room = Math.max(20, columns - fixed.length - 3);
    const cmd = cells[5].length > room ? `${cells[5].slice(0, room - 1)}…` : cells[5];
    return `${fixed}  ${cmd}`.trimEnd();
  };
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

export const psCommand: Command = {
  name: 'ps',
  summary: 'Node.js processes of this user, with their agent URL or inspector port',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`ps takes no arguments; received ${JSON.stringify(positionals[0])}`);
    const rows = await Promise.all(listNodeProcesses().map((p) => describe(p)));
    if (values.json) io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else io.stdout.write(formatPs(rows, io.stdout.columns ?? 120));
    return 0;
  },
};
