import { readFile } from 'node:fs/promises';
import { UsageError } from '../../model/errors.js';
import { mergeReports, type ReportInput } from '../../model/merge-reports.js';
import { SCHEMA_VERSION, type Report } from '../../model/report.js';
import { upgradeReport } from '../../model/upgrade-report.js';
import { reportEnvironment } from '../../probe/machine-facts.js';
import { renderTable } from '../../report/render-table.js';
import { reportErrors } from '../../report/validate-report.js';
import { defaultReportPath, serializeReport, writeReport } from '../../report/write-report.js';
import type { MergeFlags } from './merge.js';
import { colors } from '../color.js';

/** Reads and validates one report; every complaint names the file (exit 2). */
async function readReport(file: string, force: boolean): Promise<ReportInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    // A version-1 report is read as version 2 (its warnings kept as text).
    value = upgradeReport(JSON.parse(text));
  } catch (err) {
    throw new UsageError(`${file}: not JSON: ${(err as Error).message}`);
  }
  // With --force a report of another schema version is read as far as it goes.
  const problems = reportErrors(value).filter((p) => !(force && p.startsWith('/schemaVersion')));
  if (problems.length > 0) {
    const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
    const hint = typeof version === 'number' && version !== SCHEMA_VERSION ? ` (schemaVersion ${version}; --force merges anyway)` : '';
    throw new UsageError(`${file}: not a notebook-stream report${hint}: ${problems.slice(0, 3).join('; ')}`);
  }
  return { file, report: value as Report };
}

export async function runMergeCommand(files: readonly string[], flags: MergeFlags, args: readonly string[]): Promise<void> {
  const force = flags.force === true;
  const inputs: ReportInput[] = [];
  for (const f of files) inputs.push(await readReport(f, force));
  const merged = mergeReports(inputs, args, force, reportEnvironment());
  const problems = reportErrors(merged);
  if (problems.length > 0) throw new Error(`merged report does not match its schema: ${problems.slice(0, 3).join('; ')}`);
  if (flags.out !== false) {
    const file = await writeReport(merged, flags.out ?? defaultReportPath('merge'));
    if (flags.quiet !== true && flags.json !== true) process.stderr.write(`report: ${file}\n`);
  }
  process.stdout.write(flags.json === true ? serializeReport(merged) : renderTable(merged, await colors()));
}
