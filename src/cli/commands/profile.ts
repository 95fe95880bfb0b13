/**
 * @module cli/commands/profile
 * `memstats profile cpu|heap|block|goroutine <target> [--seconds N] [-o file]`:
 * a profile of a running process, written as pprof (go tool pprof reads it)
 * or, for CPU, as a `.cpuprofile` for Chrome DevTools.
 */
import { parseCommandArgs, UsageError, intFlag, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, TARGET_OPTIONS_HELP, parseTarget, timeoutMs, withTarget } from '../target.js';
import { Progress } from '../progress.js';
import { reserveOutput, type ReservedOutput } from '../target-output.js';
import { formatBytes } from '../../report/format.js';
import { defaultProfileName, type ProfileKind, type TargetProfileRequest } from '../../attach/target.js';

const usage = `Usage: memstats profile cpu|heap|block|goroutine <target> [options]

Takes a profile of a running Node.js process and writes it to a file:
gzipped pprof for go tool pprof (and the dashboard's flame graph), or, with
--cpuprofile, Chrome DevTools' .cpuprofile JSON.

  cpu        where the CPU time goes: V8's sampling profiler at 100 Hz for
             --seconds (default 30)
  heap       what holds the heap: V8's sampling heap profiler (one sample per
             512 KiB, Go's MemProfileRate); live objects allocated during
             --seconds (pid default 10: sampling starts when memstats
             attaches; URL default: since the server's sampling started),
             or every allocation with --allocs
  block      event-loop stalls longer than --threshold-ms (default 50) and the
             JavaScript that ran during them, for --seconds (default 30)
  goroutine  live resources keeping the event loop alive (sockets, timers,
             handles, requests) by type — Node's goroutines

${TARGET_HELP}

Options:
  --seconds N        length of the capture, 1 to 3600
  -o, --output file  where to write (default: cpu-<pid>.pb.gz, heap-<pid>.pb.gz,
                     … in the current directory; - for stdout)
  --cpuprofile       cpu: write a .cpuprofile (Chrome DevTools, speedscope)
  --allocs           heap: every allocation, collected ones included (alloc_space)
  --gc               heap: run a full GC first, so only reachable objects count
  --threshold-ms N   block: smallest stall recorded, 1 to 60000 ms
  --debug N          goroutine: 1 grouped text, 2 one entry per resource
                     (printed; default 0: pprof)
  --json             print {file, bytes, kind, seconds, target} as JSON
${TARGET_OPTIONS_HELP}
  -h, --help         this text

A countdown shows on stderr (when it is a terminal) during the capture. The
file is written under a temporary name and renamed: an interrupted capture,
or a target that exits meanwhile, leaves no file.

Examples:
  memstats profile cpu 12345 --seconds 10
  go tool pprof -top cpu-12345.pb.gz
  memstats profile heap http://127.0.0.1:6060 -o heap.pb.gz
  memstats profile cpu 12345 --cpuprofile -o app.cpuprofile
  memstats profile goroutine 12345 --debug 1
`;

const KINDS: readonly ProfileKind[] = ['cpu', 'heap', 'block', 'goroutine'];

export const profileCommand: Command = {
  name: 'profile',
  summary: 'a CPU, heap, block or goroutine profile of a running process',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      seconds: { type: 'string' },
      output: { type: 'string', short: 'o' },
      cpuprofile: { type: 'boolean' },
      allocs: { type: 'boolean' },
      gc: { type: 'boolean' },
      'threshold-ms': { type: 'string' },
      debug: { type: 'string' },
      json: { type: 'boolean' },
      ...TARGET_OPTIONS,
    });
    const [kindText, targetText, ...extra] = positionals;
    if (kindText === undefined) throw new UsageError('missing profile kind: cpu, heap, block or goroutine');
    if (!(KINDS as readonly string[]).includes(kindText)) throw new UsageError(`unknown profile kind ${JSON.stringify(kindText)}: use cpu, heap, block or goroutine`);
    const kind = kindText as ProfileKind;
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const spec = parseTarget(targetText);
    const only = (flag: string, set: boolean, k: ProfileKind) => {
      if (set && kind !== k) throw new UsageError(`--${flag} applies to ${k} profiles only`);
    };
    only('cpuprofile', values.cpuprofile === true, 'cpu');
    only('allocs', values.allocs === true, 'heap');
    only('gc', values.gc === true, 'heap');
    only('threshold-ms', values['threshold-ms'] !== undefined, 'block');
    only('debug', values.debug !== undefined, 'goroutine');
    if (kind === 'goroutine' && values.seconds !== undefined) throw new UsageError('--seconds does not apply to goroutine: it is a picture of now');
    if (values.output === '') throw new UsageError('--output must be a file path or -');
    const seconds = values.seconds === undefined ? undefined : intFlag('seconds', values.seconds, 30, 1, 3600);
    const thresholdMs = values['threshold-ms'] === undefined ? undefined : intFlag('threshold-ms', values['threshold-ms'], 50, 1, 60_000);
    const debug = values.debug === undefined ? 0 : (intFlag('debug', values.debug, 0, 0, 2) as 0 | 1 | 2);
    const timeout = timeoutMs(values.timeout);
    const toStdout = values.output === '-' || (values.output === undefined && debug > 0);
    const binary = !(kind === 'goroutine' && debug > 0) && !values.cpuprofile;
    if (toStdout && binary && io.stdout.isTTY) throw new UsageError('refusing to write a binary profile to a terminal: pass -o file (or pipe it)');

    return withTarget('profile', spec, io, { timeoutMs: timeout }, async (target, ctx) => {
      const effectiveSeconds =
        kind === 'cpu' || kind === 'block' ? seconds ?? 30 : kind === 'heap' ? seconds ?? (target.kind === 'pid' ? 10 : undefined) : undefined;
      const request: TargetProfileRequest = {
        kind,
        seconds: effectiveSeconds,
        format: values.cpuprofile ? 'cpuprofile' : 'pprof',
        debug,
        allocs: values.allocs === true,
        gc: values.gc === true,
        thresholdMs,
        signal: ctx.signal,
      };
      // The file is reserved before the capture: an unwritable place fails now, not after it.
      const fileName = values.output ?? defaultProfileName(kind, target.pid, request);
      const out: ReservedOutput | undefined = toStdout ? undefined : await reserveOutput(fileName);
      const progress = new Progress(io.stderr as never, io.env);
      const stop = effectiveSeconds ? progress.countdown(`${kind} profile of ${target.label}`, effectiveSeconds) : () => progress.clear();
      try {
        const p = await target.profile(request);
        stop();
        if (toStdout) {
          io.stdout.write(p.body);
          if (values.json) io.stderr.write(JSON.stringify({ file: '-', bytes: p.body.length, kind, seconds: effectiveSeconds ?? null, target: target.label, pid: target.pid }) + '\n');
          return 0;
        }
        await out!.write(p.body);
        await out!.commit();
        const shown = fileName;
        if (values.json) {
          io.stdout.write(JSON.stringify({ file: out!.final, bytes: p.body.length, kind, seconds: effectiveSeconds ?? null, target: target.label, pid: target.pid }) + '\n');
        } else {
          const how = values.cpuprofile ? 'open it in Chrome DevTools (Performance → Load profile) or speedscope' : `go tool pprof -http=: ${shown}`;
          io.stdout.write(`wrote ${shown} (${formatBytes(p.body.length)}, ${kind} profile of ${target.label}${effectiveSeconds ? `, ${effectiveSeconds} s` : ''}): ${how}\n`);
        }
        return 0;
      } finally {
        stop();
        await out?.discard();
      }
    });
  },
};
