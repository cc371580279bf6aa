#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled library (dist/), built by `npm run build` (run by `prepare`).
import { main } from '../dist/src/cli/main.js';

// `notebook-stream … | head`: the reader went away; that is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
