/**
 * @module cli/command
 * The shape every `memstats <command>` implements, and the usage-error type.
 * Exit codes: 0 success, 1 failure, 2 usage error (with the usage printed).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One CLI command. `run` returns the exit code. */
export interface Command {
  /** The word after `memstats` (e.g. `run`, `stats`). */
  name: string;
  /** One line for `memstats --help`. */
  summary: string;
  /** Full text for `memstats <name> --help`: usage line, options, examples. */
  usage: string;
  /** Runs the command with the arguments after its name. Throw UsageError for bad usage. */
  run(argv: string[], io: CommandIO): Promise<number>;
  /** The arguments that are the command's own (where its `--help` counts), when not all are: `run`'s program has its own. */
  ownArgs?(argv: string[]): string[];
}

/** Where a command writes; tests replace these. */
export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

/** Thrown for bad usage: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Thrown for a failure the user should read as one line (exit 1), without a stack trace. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/**
 * parseArgs from node:util, with unknown options and wrong values turned into UsageError.
 * `--help`/`-h` is added to every command.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
): { values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K] extends { multiple: true } ? string[] : string } & { help?: boolean }; positionals: string[] } {
  try {
    const r = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    return r as never;
  } catch (err) {
    // parseArgs sometimes adds a hint on a second line; errors here are one line.
    throw new UsageError(String((err as Error).message).split('\n')[0]);
  }
}

/** Parses a positive integer flag value, or throws UsageError naming the flag. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number, short?: string): number {
  if (value === undefined) return fallback;
  const flag = short ? `-${short}/--${name}` : `--${name}`;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be an integer from ${min} to ${max}; received ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}; received ${value}`);
  return n;
}
