import { fileURLToPath } from 'node:url';

/** The package root (dist/src/paths.js → ../../), where fixtures/ and schema/ ship. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}
