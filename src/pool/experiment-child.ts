/**
 * @module pool/experiment-child
 * Entry point of a child process that runs one variant of the seed's experiment
 * (pool/experiment): `node experiment-child.js '<ExperimentOptions as JSON>'`.
 * With an IPC channel (fork) it sends `{ type: 'row', row }` messages and one
 * `{ type: 'summary', summary }`; without, it prints the CSV to stdout and the
 * summary as a final `# summary {…}` line. Used by `memstats demo recycle` and
 * bench/recycle.ts, so each variant's RSS is its own process's.
 */
import { experimentCsvHeader, experimentCsvRow, runExperiment, type ExperimentOptions } from './experiment.js';

/** Messages a child sends over IPC. */
export type ExperimentMessage =
  | { type: 'row'; row: import('./experiment.js').ExperimentRow }
  | { type: 'summary'; summary: import('./experiment.js').ExperimentSummary };

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as ExperimentOptions;
  const send = process.send?.bind(process);
  if (send) {
    const summary = await runExperiment(opts, (row) => send({ type: 'row', row } satisfies ExperimentMessage));
    await new Promise<void>((resolve) => send({ type: 'summary', summary } satisfies ExperimentMessage, undefined, {}, () => resolve()));
    process.disconnect?.();
  } else {
    process.stdout.write(experimentCsvHeader(`memstats experiment: ${opts.variant}`));
    const summary = await runExperiment(opts, (row) => process.stdout.write(experimentCsvRow(row)));
    process.stdout.write(`# summary ${JSON.stringify(summary)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`experiment-child: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
