import type { Command } from 'commander';
import { ExitCode } from '../../model/errors.js';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import type { FieldNamer } from '../../model/field-text.js';
import { collect, numberIn } from '../options.js';

/** Flags as commander hands them to the action. */
export interface GateFlags {
  threshold?: string[];
  baseline?: string;
  maxRegression?: string[];
  minDeltaMs: number;
  config?: string;
  select?: string;
  junit?: string;
  markdown?: string;
  json?: boolean;
  names?: FieldNamer;
}

export function registerGate(program: Command, ctx: CliContext): void {
  program
    .command('gate')
    .summary('CI latency gates: thresholds, regressions against a baseline')
    .description(
      'Check a report against thresholds (METRIC.STAT OP NUMBER, or SCALAR OP NUMBER; OP one of ' +
        '< <= > >=) and against a baseline report (METRIC.STAT:N%, direction-aware: a rise is worse ' +
        'for latencies, a fall for rates). Exit 1 when any gate fails, and when a gated metric has no ' +
        'samples; exit 2 on an unknown metric or stat. With $GITHUB_STEP_SUMMARY set, a Markdown summary ' +
        'is appended to it.',
    )
    .argument('<report>', 'report file (bench --out, compare --out)')
    .option('--threshold <expr>', "e.g. 'first_content_ms.p99 < 150', 'error_rate < 0.01' (repeatable)", collect)
    .option('--baseline <file>', 'report to compare against for --max-regression')
    .option('--max-regression <expr>', "e.g. 'first_content_ms.p50:10%' (repeatable; needs --baseline)", collect)
    .option('--min-delta-ms <ms>', 'forgive regressions of ms metrics smaller than this', numberIn(0, 3_600_000), 0)
    .option('--config <file>', 'gates.json: { "thresholds": [...], "max_regression": [...] }')
    .option('--select <name>', 'the configuration to gate (required when the report holds several)')
    .option('--junit <file>', 'write JUnit XML, one test case per gate')
    .option('--markdown <file>', 'write the Markdown summary to this file too')
    .option('--json', 'print the outcome as JSON on stdout and nothing else')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        "  $ notebook-stream gate reports/bench.json --threshold 'first_content_ms.p99 < 150' --threshold 'error_rate < 0.01'\n" +
        "  $ notebook-stream gate new.json --baseline main.json --max-regression 'first_content_ms.p50:10%' --min-delta-ms 2\n" +
        "  $ notebook-stream gate compare.json --select adaptive --threshold 'first_content_ms.p99 < 150' --junit gates.xml\n" +
        '  $ notebook-stream gate new.json --baseline main.json --config gates.json       # gates.json as in the README',
    )
    .action(async (report: string, flags: GateFlags, command: Command) => {
      const { runGateCommand } = await import('./gate-action.js');
      // A check's detail names options as this command's flags.
      flags.names = flagNamer(command);
      const passed = await runGateCommand(report, flags);
      ctx.setExitCode(passed ? ExitCode.OK : ExitCode.VERDICT_FAILED);
    });
}
