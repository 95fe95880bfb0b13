#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// `memstats ps | head -1`: a reader that goes away is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`memstats: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
