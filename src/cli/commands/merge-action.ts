import { mergeReports, type ReportInput } from '../../model/merge-reports.js';
import { reportEnvironment } from '../../probe/machine-facts.js';
import { readReportFile } from '../../report/read-report.js';
import { renderTable } from '../../report/render-table.js';
import { reportErrors } from '../../report/validate-report.js';
import { defaultReportPath, serializeReport, writeReport } from '../../report/write-report.js';
import type { MergeFlags } from './merge.js';
import { colors } from '../color.js';

export async function runMergeCommand(files: readonly string[], flags: MergeFlags, args: readonly string[]): Promise<void> {
  const force = flags.force === true;
  const inputs: ReportInput[] = [];
  for (const file of files) inputs.push({ file, report: await readReportFile(file, undefined, { force }) });
  const merged = mergeReports(inputs, args, force, reportEnvironment());
  const problems = reportErrors(merged);
  if (problems.length > 0) throw new Error(`merged report does not match its schema: ${problems.slice(0, 3).join('; ')}`);
  if (flags.out !== false) {
    const file = await writeReport(merged, flags.out ?? defaultReportPath('merge'));
    if (flags.quiet !== true && flags.json !== true) process.stderr.write(`report: ${file}\n`);
  }
  process.stdout.write(flags.json === true ? serializeReport(merged) : renderTable(merged, await colors()));
}
