import { fileURLToPath } from 'node:url';

/**
 * The package root, where bin/, fixtures/ and schema/ ship: ../../ from dist/src/paths.js and from
 * the CLI bundle's chunks in dist/cli/ (bin/bundle-cli.mjs keeps them two levels deep).
 */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}
