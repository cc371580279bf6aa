#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled library (dist/), built by `npm run build` (run by `prepare`).
// `npm run build` also bundles it into dist/cli/ (bin/bundle-cli.mjs): --help then loads one
// file and a few shared chunks instead of ~40 modules (issue 31). The bundle is used only when it is
// at least as new as tsc's output, so a bare `tsc` never leaves the CLI running stale code.
// NOTEBOOK_STREAM_BUNDLE=0 runs tsc's output instead (bench/startup.ts times both).
import { readFileSync, statSync } from 'node:fs';

// `notebook-stream … | head`: the reader went away; that is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Scripts call --version in loops: answer it without loading the CLI.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import(bundleIsFresh() ? '../dist/cli/main.js' : '../dist/src/cli/main.js');
  process.exitCode = await main(process.argv);
}

function bundleIsFresh() {
  if (process.env.NOTEBOOK_STREAM_BUNDLE === '0') return false;
  const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundle = mtime('../dist/cli/main.js');
  const compiled = mtime('../dist/src/cli/main.js');
  return bundle !== undefined && (compiled === undefined || bundle >= compiled);
}
