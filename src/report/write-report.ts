import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { UsageError } from '../model/errors.js';
import path from 'node:path';
import type { Report } from '../model/report.js';

/** `reports/bench-2026-11-25T12-46-21-123Z.json`: sortable, and safe on every file system. */
export function defaultReportPath(command: string, at: Date = new Date()): string {
  return path.join('reports', `${command}-${at.toISOString().replace(/[:.]/g, '-')}.json`);
}

export function serializeReport(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** Writes the report, creating its folder when missing. Returns the path written. */
export async function writeReport(report: Report, file: string): Promise<string> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, serializeReport(report));
  return file;
}

/**
 * Checks, before anything is measured, that `file` can be written (creating its folder): a run
 * must not be thrown away at the end for a typo in --out. Throws UsageError naming the flag.
 */
export async function ensureWritable(file: string, flag: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const st = await stat(file).catch(() => null);
    if (st !== null) {
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      await access(file, constants.W_OK);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`${flag} ${file}: cannot write there (${e.code ?? e.message})`);
  }
}
