import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from './report.js';

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
