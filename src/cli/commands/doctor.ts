import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import { intIn } from '../options.js';
import { addRequestOptions, type RequestFlagValues } from './request-options.js';

export interface DoctorFlags extends RequestFlagValues {
  direct?: string;
  runs: number;
  budgetS: number;
  strict?: boolean;
  json?: boolean;
  quiet?: boolean;
  jupyterUrl?: string;
  jupyterToken?: string;
  jupyterSamples: number;
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('doctor')
    .summary('measure whether a stream is buffered, where, and how to fix it')
    .description(
      'Times every event of a few runs and classifies the arrivals: STREAMING, FULLY_BUFFERED, ' +
        'SIZE_THRESHOLD (~N KiB), PERIODIC_FLUSH (~T ms) or INCONCLUSIVE. Then changes one thing at a ' +
        'time (Accept-Encoding, Accept, event size on our own server, --direct backend) to find the ' +
        'cause, and ends with the fixes, most likely first. ' +
        'Exit 0 STREAMING, 1 a buffering verdict, INCONCLUSIVE 0 (1 with --strict), 3 nothing measured. ' +
        'With --jupyter-url instead of a URL it checks a Jupyter Server for the Nagle delay on its kernel ' +
        'websocket and ipykernel\'s 200 ms flush interval (verdicts OK, NAGLE_DELAY, FLUSH_INTERVAL).',
    )
    .argument('[url]', 'stream endpoint (our /send_operation gets a 2 s ping: 200 tokens 10 ms apart)')
    .option('--runs <n>', 'baseline runs; the verdict is their majority', intIn(1, 50), 3)
    .option('--direct <url>', 'the same backend without the proxy: is the delay the path\'s or the backend\'s?')
    .option('--budget-s <s>', 'start no attribution step after this many seconds', intIn(1, 3600), 50)
    .option('--strict', 'INCONCLUSIVE exits 1')
    .option('--json', 'print one JSON document on stdout and nothing else')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--jupyter-url <url>', 'check this Jupyter Server instead of a stream (exit 1 when a cause is found)')
    .option('--jupyter-token <token>', 'its token (else JUPYTER_TOKEN)')
    .option('--jupyter-samples <n>', 'back-to-back cells to time', intIn(3, 500), 20);
  addRequestOptions(cmd, 60)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream doctor http://127.0.0.1:8080/send_operation --direct http://127.0.0.1:18600/send_operation\n' +
        "  $ notebook-stream doctor https://api.example.com/v1/chat/completions -H 'Authorization: Bearer …' --body-file req.json --json\n" +
        '  $ JUPYTER_TOKEN=… notebook-stream doctor --jupyter-url http://127.0.0.1:8888/',
    )
    .action(async (url: string | undefined, flags: DoctorFlags, command: Command) => {
      if (flags.jupyterUrl !== undefined) {
        if (url !== undefined) throw new UsageError('doctor takes a stream URL or --jupyter-url, not both');
        const { runJupyterDoctor } = await import('./doctor-jupyter-action.js');
        ctx.setExitCode(
          await runJupyterDoctor({
            jupyterUrl: flags.jupyterUrl,
            samples: flags.jupyterSamples,
            ...(flags.jupyterToken === undefined ? {} : { jupyterToken: flags.jupyterToken }),
            ...(flags.json === undefined ? {} : { json: flags.json }),
            ...(flags.quiet === undefined ? {} : { quiet: flags.quiet }),
            names: flagNamer(command),
          }),
        );
        return;
      }
      if (url === undefined) throw new UsageError('doctor needs a stream URL (or --jupyter-url URL for a Jupyter Server)');
      const { runDoctorCommand } = await import('./doctor-action.js');
      // Advice names options as this command's flags.
      flags.names = flagNamer(command);
      ctx.setExitCode(await runDoctorCommand(url, flags));
    });
}
