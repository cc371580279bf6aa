import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Flags as commander hands them to the action. */
export interface ReportFlags {
  html?: string;
  json?: boolean;
  quiet?: boolean;
  wide?: boolean;
}

export function registerReport(program: Command, _ctx: CliContext): void {
  program
    .command('report')
    .summary('draw saved reports as a table or an HTML page')
    .description(
      'Read saved report files (each checked against the shipped schema) and print their table, ' +
        'or write one self-contained HTML page with plots (--html). Several files are combined: ' +
        'every configuration of every file, in order.',
    )
    .argument('<reports...>', 'report files (bench --out, compare --out)')
    .option('--html <file>', "write the HTML page here ('-' for stdout)")
    .option('--json', 'print the combined report (JSON) on stdout instead of the table')
    .option('--wide', 'several configurations: every word in the comparison table (default: fit the terminal)')
    .option('-q, --quiet', 'no notes on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream report reports/bench-2026-11-25T12-46-21-123Z.json --html bench.html\n' +
        '  $ notebook-stream report before.json after.json --html before-after.html',
    )
    .action(async (files: string[], flags: ReportFlags) => {
      const { runReportCommand } = await import('./report-action.js');
      await runReportCommand(files, flags);
    });
}
