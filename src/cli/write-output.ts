import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../model/errors.js';

/**
 * Writes a rendered page or document to `file`, its folder created when missing: renderers return
 * text, only the CLI decides where it goes. Returns where it went. `dashToStdout`: `-` is stdout
 * (report --html); elsewhere `-` stays a file name. `flag`: a failure is a usage error naming the
 * flag and the file (exit 2); without it the caller words the failure.
 */
export async function writeOutput(file: string, text: string, o: { flag?: string; dashToStdout?: boolean } = {}): Promise<string> {
  if (o.dashToStdout === true && file === '-') {
    process.stdout.write(text);
    return 'stdout';
  }
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, text);
  } catch (err) {
    if (o.flag === undefined) throw err;
    throw new UsageError(`${o.flag} '${file}': cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return file;
}
