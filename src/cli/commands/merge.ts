import type { Command } from 'commander';
import { ExitCode } from '../../model/errors.js';
import type { CliContext } from '../context.js';

interface MergeFlags {
  out: string | false | undefined;
  json?: boolean;
  force?: boolean;
  quiet?: boolean;
}

export function registerMerge(program: Command, ctx: CliContext): void {
  program
    .command('merge')
    .summary('combine reports exactly (histograms add): one bench per machine, then merge')
    .description(
      'Merge reports exactly: histograms add, counts add, the duration spans the earliest start to ' +
        'the latest end and every rate is recomputed. Configurations with the same name merge. ' +
        'Reports of different schema versions, or one name with different targets or load models, ' +
        'are refused (exit 2) unless --force.',
    )
    .argument('<reports...>', 'report files written by bench (--out or --json)')
    .option('--out <file>', 'write the merged report here (default reports/merge-<timestamp>.json)')
    .option('--no-out', 'write no report file')
    .option('--json', 'print the merged report (JSON) on stdout and nothing else')
    .option('--force', 'merge different schema versions or targets anyway')
    .option('-q, --quiet', 'do not say where the report went')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream merge load-a.json load-b.json --out load.json\n' +
        '  $ notebook-stream merge reports/*.json --json > all.json',
    )
    .action(async (files: string[], flags: MergeFlags) => {
      const { runMergeCommand } = await import('./merge-action.js');
      await runMergeCommand(files, flags, ctx.args);
      ctx.setExitCode(ExitCode.OK);
    });
}

export type { MergeFlags };
