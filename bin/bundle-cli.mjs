#!/usr/bin/env node
/**
 * Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into dist/cli/ with esbuild (issue 31:
 * start-up). `notebook-stream --help` then loads one file (our commands' option code plus commander)
 * instead of ~40 modules; each command's action module, and the libraries it drives, stay behind
 * their dynamic `import()` as separate chunks (ESM code splitting), so they load only when the
 * command runs. Runtime dependencies other than commander stay external: they load from
 * node_modules as before, only when a command needs them.
 *
 * Every chunk sits directly in dist/cli/, two levels below the package root like dist/src/*.js, so
 * src/paths.ts and src/version.ts find bin/, fixtures/, schema/ and package.json the same way.
 * bin/notebook-stream.js runs the bundle when it is at least as new as dist/src/cli/main.js.
 */
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url); // bin/ → the package root
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const BUNDLED = new Set(['commander']);
const outdir = new URL('dist/cli/', root).pathname;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: new URL('dist/src/cli/main.js', root).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name)),
  // commander is CommonJS: its require() of Node built-ins needs a real require in an ESM bundle.
  banner: { js: "import { createRequire as __nbsCreateRequire } from 'node:module';\nconst require = __nbsCreateRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
});
