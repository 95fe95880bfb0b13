/**
 * @module cli/commands/attach
 * `memstats attach <pid> [--addr host:port]`: attaches to a running Node
 * process through its inspector and serves that process's memstats,
 * profiles, /metrics and dashboard from this CLI's own debug server until
 * Ctrl-C — the agent, for a program started without it.
 */
import { parseCommandArgs, UsageError, CommandError, type Command } from '../command.js';
import { TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseTarget, timeoutMs, withTarget } from '../target.js';
import { parseAddr } from '../../agent/agent.js';
import { isLoopbackHost } from '../../server/http.js';
import { startDebugServer } from '../../server/server.js';
import type { AttachError } from '../../attach/errors.js';

const usage = `Usage: memstats attach <pid> [--addr host:port] [--json]

Attaches to a running Node.js process — started with no flags and no
memstats — and serves its memstats, profiles, /metrics and live dashboard
from this command's own debug server until Ctrl-C:

  1. sends the process SIGUSR1, which opens its inspector on 127.0.0.1:9229
     (if 9229 is taken, or it was started with --inspect-port, memstats finds
     the port it opened from its listening sockets);
  2. connects over loopback only, and installs memstats' readers inside the
     process with one evaluation (no file needs to exist in its tree);
  3. serves http://127.0.0.1:<port>/debug/pprof/, /debug/vars, /metrics and
     /debug/dashboard for that process, as the agent would.

The process prints "Debugger attached." on its stderr when memstats connects.
On exit — Ctrl-C, SIGTERM, SIGHUP, or an error — memstats removes what it
installed (timers, observers, its global handle) and closes the inspector
port it opened; an inspector the process had open before is left open. If
this command is killed outright (SIGKILL), what it installed removes itself
and closes that port after 30 s without contact.

Options:
  --addr host:port   address of the debug server (default 127.0.0.1:0: a
                     free port, printed); a non-loopback host needs
                     MEMSTATS_TOKEN in the environment
  --json             print {pid, url, inspector} as one JSON line when ready
${TARGET_OPTIONS_HELP}
  -h, --help         this text

GC counts and totals start when memstats attaches: V8 keeps no history of
the collections before.

Examples:
  memstats attach 12345
  memstats top http://127.0.0.1:<port>          # from another terminal
  go tool pprof -http=: 'http://127.0.0.1:<port>/debug/pprof/profile?seconds=10'
`;

export const attachCommand: Command = {
  name: 'attach',
  summary: 'serve a running process\'s memstats, profiles and dashboard (pid)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { addr: { type: 'string' }, json: { type: 'boolean' }, ...TARGET_OPTIONS });
    if (positionals.length > 1) throw new UsageError(`expected one <pid>, got ${positionals.length}`);
    const spec = parseTarget(positionals[0]);
    if (spec.kind !== 'pid') throw new UsageError('attach takes a pid; a URL is a debug server already — use it directly (memstats top <url>)');
    const addr = values.addr === undefined ? { host: '127.0.0.1', port: 0 } : parseAddr(values.addr);
    if (!addr) throw new UsageError(`--addr must be host:port, :port or a port; received ${JSON.stringify(values.addr)}`);
    const token = io.env.MEMSTATS_TOKEN || undefined;
    if (!isLoopbackHost(addr.host) && token === undefined) {
      throw new UsageError(`--addr ${addr.host} is not a loopback address: set MEMSTATS_TOKEN (the endpoints expose heap contents and the command line)`);
    }
    const timeout = timeoutMs(values.timeout);
    return withTarget('attach', spec, io, { timeoutMs: timeout }, async (target, ctx) => {
      const backend = target.backend!;
      let server;
      try {
        server = await startDebugServer({ host: addr.host, port: addr.port, backend, ...(token ? { token } : {}) });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new CommandError(`${addr.host}:${addr.port} is in use: pass another --addr (or :0 for any free port)`);
        throw new CommandError(`cannot serve on ${addr.host}:${addr.port}: ${e.code ?? e.message}`);
      }
      const ep = backend.endpoint;
      const inspectorText = `${ep.host}:${ep.port}, ${ep.openedByUs ? 'opened by memstats, closed on detach' : 'already open, left open'}`;
      if (values.json) {
        io.stdout.write(JSON.stringify({ pid: backend.pid, url: server.url, node: backend.info.nodeVersion, inspector: { host: ep.host, port: ep.port, openedByUs: ep.openedByUs } }) + '\n');
      } else {
        io.stdout.write(
          [
            `attached to pid ${backend.pid} (node ${backend.info.nodeVersion}; inspector ${inspectorText})`,
            `serving its memstats on ${server.url}`,
            `  profiles   ${server.url}/debug/pprof/`,
            `  dashboard  ${server.url}/debug/dashboard`,
            `  metrics    ${server.url}/metrics`,
            `  try        memstats top ${server.url}`,
            `             go tool pprof -http=: '${server.url}/debug/pprof/profile?seconds=10'`,
            'Ctrl-C to detach.',
            '',
          ].join('\n'),
        );
      }
      const end = await new Promise<'signal' | AttachError>((resolve) => {
        if (ctx.signal.aborted) resolve('signal');
        ctx.signal.addEventListener('abort', () => resolve('signal'), { once: true });
        backend.onGone((err) => resolve(err));
      });
      await server.close();
      if (end !== 'signal') throw new CommandError(`${end.message}; detached`);
      await backend.close();
      if (!values.json) io.stdout.write(`detached from pid ${backend.pid}${ep.openedByUs ? '; its inspector port is closed' : ''}\n`);
      return 0;
    });
  },
};
