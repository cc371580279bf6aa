import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderHtml, type HtmlOptions } from './render-html.js';
import type { Report } from '../model/report.js';

/**
 * Writes the report's HTML page to `file` (its folder created when missing), or to stdout when
 * `file` is `-`. Returns where it went.
 */
export async function writeHtml(report: Report, file: string, options: HtmlOptions = {}): Promise<string> {
  const html = renderHtml(report, options);
  if (file === '-') {
    process.stdout.write(html);
    return 'stdout';
  }
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, html);
  return file;
}
