/**
 * @module demo/main
 * Entry point of `npm start`: runs the demo service until Ctrl-C.
 * Options: `--addr host:port` (debug server, default 127.0.0.1:6060, `off` to disable),
 * `--duration-ms N` (stop after N ms).
 */
import { parseArgs } from 'node:util';
import { runDemoService } from './service.js';

const { values } = parseArgs({
  options: { addr: { type: 'string' }, 'duration-ms': { type: 'string' } },
  strict: true,
});
const durationMs = values['duration-ms'] !== undefined ? Number(values['duration-ms']) : undefined;
if (durationMs !== undefined && !(Number.isInteger(durationMs) && durationMs > 0)) {
  process.stderr.write(`memstats demo: --duration-ms must be a positive integer; received ${values['duration-ms']}\n`);
  process.exit(2);
}
await runDemoService({ addr: values.addr, durationMs });
