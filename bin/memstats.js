#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// `memstats ps | head -1`: a reader that goes away is not an error of ours. A command attached to a
// process (`memstats top <pid> | head -1`) first detaches from it, as on Ctrl-C, then ends with 0.
let broken = false;
let leave;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    const code = err && err.code;
    if (code !== 'EPIPE' && !(broken && code === 'ERR_STREAM_DESTROYED')) throw err;
    if (broken) return;
    broken = true;
    if (process.listenerCount('SIGINT') > 0) {
      process.emit('SIGINT', 'SIGINT');
      leave = setTimeout(() => process.exit(0), 10_000);
      return;
    }
    process.exit(process.exitCode ?? 0);
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = broken ? 0 : code; clearTimeout(leave); },
  (err) => { process.stderr.write(`memstats: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; clearTimeout(leave); },
);
