import { UsageError } from '../../model/errors.js';
import { combineReports } from '../../report/combine-reports.js';
import { readReportFile } from '../../report/read-report.js';
import { reportExporter } from '../../report/exporter.js';
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
    const where = await writeOutput(flags.html, renderHtml(report));
    if (flags.quiet !== true && where !== 'stdout') process.stderr.write(`html: ${where}\n`);
    if (flags.html === '-') return;
  }
  // Several configurations: compare's table, as `compare` prints saved reports; one: bench's.
  process.stdout.write(flags.json === true ? serializeReport(report) : reportExporter('table', 'en', await colors())(report));
}
