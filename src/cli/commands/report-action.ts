import { UsageError } from '../../model/errors.js';
import { combineReports } from '../../report/combine-reports.js';
import { readReportFile } from '../../report/read-report.js';
import { langFromLocale } from '../../report/compare-labels.js';
import { renderCompare } from '../../report/render-compare.js';
import { renderTable } from '../../report/render-table.js';
import { terminalWidth } from '../terminal-width.js';
import { renderHtml } from '../../report/render-html.js';
import { ensureWritable, serializeReport } from '../../report/write-report.js';
import type { ReportFlags } from './report.js';
import { colors } from '../color.js';
import { writeOutput } from '../write-output.js';

/** Reads, validates and combines the files; writes the HTML page and prints the table or JSON. */
export async function runReportCommand(files: readonly string[], flags: ReportFlags): Promise<void> {
  if (flags.html === '-' && flags.json === true) throw new UsageError('--html -: stdout already carries the JSON of --json');
  if (flags.html !== undefined && flags.html !== '-') await ensureWritable(flags.html, '--html');
  const reports = [];
  for (const file of files) reports.push({ file, report: await readReportFile(file) });
  const report = combineReports(reports);
  if (flags.html !== undefined) {
    const where = await writeOutput(flags.html, renderHtml(report), { dashToStdout: true });
    if (flags.quiet !== true && where !== 'stdout') process.stderr.write(`html: ${where}\n`);
    // The page is what was asked for (docs/reports.md): the table only without --html, JSON with --json.
    if (flags.json !== true) return;
  }
  // Several configurations: compare's table, as `compare` prints saved reports; one: bench's.
  if (flags.json === true) process.stdout.write(serializeReport(report));
  else process.stdout.write(report.configurations.length > 1 ? renderCompare(report, langFromLocale(process.env), { width: terminalWidth(), wide: flags.wide === true, colors: await colors() }) : renderTable(report, await colors()));
}
