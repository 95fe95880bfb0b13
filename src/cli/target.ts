/**
 * @module cli/target
 * What every command that acts on a `<target>` shares: parsing the argument,
 * opening the target, turning its errors into one-line CommandErrors, and
 * detaching on every way out — normal end, error, Ctrl-C, SIGTERM, SIGHUP.
 * A first signal aborts the command and detaches (the inspector port
 * memstats opened is closed); a second one leaves at once (the agent
 * installed in the target then removes itself after 30 s without contact).
 */
import { CommandError, UsageError, intFlag, type CommandIO } from './command.js';
import { isAttachError } from '../attach/errors.js';
import { openTarget, parseTargetSpec, type Target, type TargetSpec } from '../attach/target.js';
import { removePendingTemps } from './target-output.js';

/** The text every command's usage gives about `<target>`. */
export const TARGET_HELP = `<target> is a pid — attached through its inspector: memstats sends SIGUSR1,
connects on loopback, installs its readers for the length of the command and
removes them after (the target prints "Debugger attached." on its stderr) —
or the URL of a memstats debug server (http://127.0.0.1:6060, or host:port).`;

/** Options every target command accepts, for parseCommandArgs. */
export const TARGET_OPTIONS = {
  timeout: { type: 'string' },
} as const;

/** The usage lines of TARGET_OPTIONS. */
export const TARGET_OPTIONS_HELP = `  --timeout S        wait up to S seconds for a pid's inspector to open
                     (default 10; port 9229 busy: memstats waits for it)`;

/** parseTarget reads the `<target>` positional; UsageError when missing or malformed. */
export function parseTarget(text: string | undefined): TargetSpec {
  if (text === undefined || text === '') throw new UsageError('missing <target>: a pid or a debug server URL');
  const spec = parseTargetSpec(text);
  if (!spec) throw new UsageError(`<target> must be a pid or a debug server URL (http://127.0.0.1:6060); received ${JSON.stringify(text.slice(0, 80))}`);
  return spec;
}

/** parseOnlyTarget reads the one `<target>` positional of a command that takes nothing else; UsageError for more than one, or as parseTarget. */
export function parseOnlyTarget(positionals: string[]): TargetSpec {
  if (positionals.length > 1) throw new UsageError(`expected one <target>, got ${positionals.length}`);
  return parseTarget(positionals[0]);
}

/** The inspector timeout from `--timeout`, ms. */
export function timeoutMs(value: string | undefined): number {
  return intFlag('timeout', value, 10, 1, 600) * 1000;
}

/** MEMSTATS_ATTACH_WATCHDOG_MS (1,000…3,600,000): how long an agent left by a killed CLI stays; default 30 s. */
function watchdogFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1000 && n <= 3_600_000 ? n : undefined;
}

/** What a command's body receives besides the target. */
export interface TargetContext {
  /** Aborted by the first Ctrl-C / SIGTERM / SIGHUP. */
  signal: AbortSignal;
  /** One line on stderr, `memstats <command>: …`. */
  note(line: string): void;
}

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;

/** describeError turns any error into the one line the CLI prints (no `memstats:` prefix, no stack). */
export function describeError(err: unknown): string {
  const e = err as Error | undefined;
  const text = (e && typeof e.message === 'string' ? e.message : String(err)).split('\n')[0];
  return text.replace(/^memstats: /, '');
}

/**
 * withTarget opens `spec`, runs `body`, and always closes the target. Errors
 * become CommandErrors (exit 1; 130/143/129 after a signal). Resolves with
 * what `body` resolves with.
 */
export async function withTarget<T>(
  command: string,
  spec: TargetSpec,
  io: CommandIO,
  options: { timeoutMs?: number },
  body: (target: Target, ctx: TargetContext) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  let signalCode = 0;
  const note = (line: string) => io.stderr.write(`memstats ${command}: ${line}\n`);
  const handlers = SIGNALS.map(([sig, code]) => {
    const h = () => {
      if (signalCode !== 0) {
        // A second signal: leave now. The installed agent removes itself when it stops hearing from us.
        note('leaving without detaching; memstats removes itself from the target within 30 s');
        removePendingTemps(); // no half file left behind, even now
        process.exit(code);
      }
      signalCode = code;
      if (spec.kind === 'pid') note(`detaching from pid ${spec.pid} (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to leave at once)`);
      ac.abort();
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  let target: Target | undefined;
  try {
    target = await openTarget(spec, {
      timeoutMs: options.timeoutMs,
      signal: ac.signal,
      onStatus: note,
      token: io.env.MEMSTATS_TOKEN || undefined,
      watchdogMs: watchdogFromEnv(io.env.MEMSTATS_ATTACH_WATCHDOG_MS),
    });
    return await body(target, { signal: ac.signal, note });
  } catch (err) {
    if (signalCode !== 0) throw new CommandError('interrupted', signalCode);
    if (err instanceof CommandError || err instanceof UsageError) throw err;
    if (isAttachError(err)) throw new CommandError(err.message);
    throw new CommandError(describeError(err));
  } finally {
    try {
      await target?.close();
    } catch {
      // Detaching from a process that is gone has nothing left to undo.
    }
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
