import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a rendered page or document to `file` (its folder created when missing), or to stdout
 * when `file` is `-`: renderers return text, only the CLI decides where it goes. Returns where it went.
 */
export async function writeOutput(file: string, text: string): Promise<string> {
  if (file === '-') {
    process.stdout.write(text);
    return 'stdout';
  }
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, text);
  return file;
}
