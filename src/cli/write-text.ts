import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../model/errors.js';

/** Writes a rendering the user asked for with `flag` (folders created); a failure is a usage error naming it. */
export async function writeText(file: string, text: string, flag: string): Promise<void> {
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, text);
  } catch (err) {
    throw new UsageError(`${flag} '${file}': cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
