#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled library (dist/), built by `npm run build` (run by `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
