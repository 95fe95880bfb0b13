/**
 * @module cli/main
 * `memstats <command> [options]`: dispatches to the commands in `cli/commands/`.
 * Every command answers `--help`; exit codes are 0 (ok), 1 (failure), 2 (usage).
 */
import { CommandError, UsageError, type Command, type CommandIO } from './command.js';
import { commands } from './commands/index.js';

function topUsage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: memstats <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `memstats <command> --help` for the options of one command.',
  ].join('\n');
}

/** Runs the CLI with `argv` (the arguments after `memstats`); resolves to the exit code. */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const out = name === undefined ? io.stderr : io.stdout;
    out.write(topUsage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };
    io.stdout.write(`memstats ${pkg.version}\n`);
    return 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`memstats: unknown command ${JSON.stringify(name)}\n\n${topUsage()}\n`);
    return 2;
  }
  // `run -- node app.js --help` (or `run node app.js --help`) passes --help to the program, not to us.
  const dd = rest.indexOf('--');
  const own = command.ownArgs ? command.ownArgs(rest) : dd === -1 ? rest : rest.slice(0, dd);
  if (own.includes('--help') || own.includes('-h')) {
    io.stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`memstats ${name}: ${err.message}\n\n${command.usage.trimEnd()}\n`);
      return 2;
    }
    if (err instanceof CommandError) {
      io.stderr.write(`memstats ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as NodeJS.ErrnoException;
    io.stderr.write(`memstats ${name}: ${e && e.message ? e.message : String(err)}\n`);
    return 1;
  }
}

function defaultIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
