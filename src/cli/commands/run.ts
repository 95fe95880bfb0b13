/**
 * @module cli/commands/run
 * `memstats run [--addr host:port] [--gc-log] [--record path] -- <command…>`:
 * runs a Node program with the memstats agent preloaded, exits with its exit
 * code and forwards termination signals to it.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { CommandError, UsageError, parseCommandArgs, type Command, type CommandIO } from '../command.js';
import { parseAddr } from '../../agent/agent.js';
import { isLoopbackHost } from '../../server/http.js';

const usage = `Usage: memstats run [options] -- <command> [args...]

Runs a Node.js program with the memstats agent preloaded: its debug server
(/debug/pprof/*, /debug/vars, /metrics) on 127.0.0.1:6060, GC tracking from
the first instruction, and optionally GC lines and a recording. Exits with the
program's exit code.

Options:
  --addr host:port   Debug server address (default 127.0.0.1:6060; :0 picks a
                     free port, printed on stderr; "off" disables the server).
  --gc-log           A GC line on stderr every second with GCs.
  --record path      Append one sample per second to path as ndjson (%p = pid).
  --heap-sampling inuse|allocs
                     Run the sampling heap profiler from the start: inuse
                     for /debug/pprof/heap, allocs for /debug/pprof/allocs.
  -h, --help         Show this help.

The command is a node invocation (node [node-options] script [args]); a script
ending in .js, .mjs or .cjs runs with this node. Any other command (npx, npm,
tsx) gets the agent through NODE_OPTIONS, and so does every Node process it
starts: the first to bind the address serves it, the others say so and run on.

Environment: MEMSTATS_TOKEN sets the token the server requires (mandatory for
a non-loopback --addr); it is read from the environment, never from the command
line, so that it does not show in process lists.

Examples:
  memstats run -- node server.js
  memstats run --addr 127.0.0.1:7070 --gc-log -- node --max-old-space-size=512 server.js
  memstats run --record run.ndjson -- server.js
  go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10
`;

/** URL of the agent module, absolute, so that any program can import it whatever its cwd. */
function registerUrl(): string {
  return new URL('../../agent/register.js', import.meta.url).href;
}

function isNode(cmd: string): boolean {
  if (cmd === process.execPath) return true;
  return /^node(\.exe)?$/i.test(path.basename(cmd)) || /^nodejs$/i.test(path.basename(cmd));
}

/** splitCommand separates run's own options from the command to run. */
export function splitCommand(argv: string[]): { own: string[]; command: string[] } {
  const dd = argv.indexOf('--');
  if (dd >= 0) return { own: argv.slice(0, dd), command: argv.slice(dd + 1) };
  // Without `--`, the first word that is not one of our options starts the command.
  const own: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--addr' || a === '--record' || a === '--heap-sampling') {
      own.push(a, ...(i + 1 < argv.length ? [argv[i + 1]] : []));
      i += 2;
    } else if (a.startsWith('-')) {
      own.push(a);
      i++;
    } else break;
  }
  return { own, command: argv.slice(i) };
}

/** buildInvocation returns the program, its arguments and environment with the agent preloaded. */
export function buildInvocation(command: string[], env: NodeJS.ProcessEnv, agentEnv: Record<string, string>): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const importFlag = `--import=${registerUrl()}`;
  let [file, ...args] = command;
  const childEnv: NodeJS.ProcessEnv = { ...env, ...agentEnv };
  if (/\.(m|c)?js$/i.test(file)) {
    args = [file, ...args];
    file = process.execPath;
  }
  if (isNode(file)) {
    // On the command line, not in NODE_OPTIONS: the program's own child processes stay unaffected —
    // those it forks inherit the flag (fork and cluster copy execArgv), so the agent also checks that
    // its parent is this process.
    args = [importFlag, ...args];
    childEnv.MEMSTATS_RUN_PARENT = String(process.pid);
  } else {
    delete childEnv.MEMSTATS_RUN_PARENT;
    childEnv.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}${importFlag}`;
  }
  return { file, args, env: childEnv };
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { own, command } = splitCommand(argv);
  const { values, positionals } = parseCommandArgs(own, {
    addr: { type: 'string' },
    'gc-log': { type: 'boolean' },
    record: { type: 'string' },
    'heap-sampling': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])} before the command (put the command after --)`);
  if (command.length === 0) throw new UsageError('missing the command to run, after --');
  const agentEnv: Record<string, string> = {};
  if (values.addr !== undefined) {
    const a = values.addr.trim();
    if (a.toLowerCase() !== 'off') {
      const addr = parseAddr(a);
      if (!addr) throw new UsageError(`--addr must be host:port (e.g. 127.0.0.1:6060, :0) or off; received ${JSON.stringify(values.addr)}`);
      if (!isLoopbackHost(addr.host) && !io.env.MEMSTATS_TOKEN) {
        throw new UsageError(`--addr ${a} is not a loopback address: set MEMSTATS_TOKEN in the environment to serve it beyond this machine`);
      }
    }
    agentEnv.MEMSTATS_ADDR = a;
  }
  if (values['gc-log']) agentEnv.MEMSTATS_GC_LOG = '1';
  if (values.record !== undefined) {
    if (values.record === '') throw new UsageError('--record needs a file path');
    agentEnv.MEMSTATS_RECORD = path.resolve(values.record);
  }
  const hs = values['heap-sampling'];
  if (hs !== undefined) {
    if (hs !== 'inuse' && hs !== 'allocs') throw new UsageError(`--heap-sampling must be inuse or allocs; received ${JSON.stringify(hs)}`);
    agentEnv.MEMSTATS_HEAP_SAMPLING = hs;
  }

  const inv = buildInvocation(command, io.env, agentEnv);
  const child = spawn(inv.file, inv.args, { stdio: 'inherit', env: inv.env });

  // Ctrl-C in a terminal reaches the whole foreground group, the program
  // included: forwarding it too would deliver it twice. From a supervisor
  // (no terminal), a signal reaches only us and must be passed on.
  const forwarded: NodeJS.Signals[] = io.stdin.isTTY ? ['SIGTERM', 'SIGHUP', 'SIGQUIT'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const ignoreInt = () => {};
  const forward = (sig: NodeJS.Signals) => {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };
  for (const s of forwarded) process.on(s, forward);
  // In a terminal, our own SIGINT must not kill us before the program has exited.
  if (io.stdin.isTTY) process.on('SIGINT', ignoreInt);

  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') reject(new CommandError(`cannot run ${JSON.stringify(inv.file)}: not found`, 127));
        else if (err.code === 'EACCES') reject(new CommandError(`cannot run ${JSON.stringify(inv.file)}: permission denied`, 126));
        else reject(new CommandError(`cannot run ${JSON.stringify(inv.file)}: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + ((signal && (osConstants.signals as Record<string, number>)[signal]) || 1));
      });
    });
  } finally {
    for (const s of forwarded) process.off(s, forward);
    process.off('SIGINT', ignoreInt);
  }
}

/** The `run` command. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a Node.js program with the memstats agent (debug server, GC log, recording)',
  usage,
  run,
  ownArgs: (argv) => splitCommand(argv).own,
};
