import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import { intIn } from '../options.js';
import { addRequestOptions, type RequestFlagValues } from './request-options.js';

export interface CheckHeadersFlags extends RequestFlagValues {
  direct?: string;
  idleWindowS: number;
  strict?: boolean;
  json?: boolean;
}

export function registerCheckHeaders(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('check-headers')
    .summary('read one stream\'s response headers: what delays it, and the fix')
    .description(
      'One streaming request with browser-like headers; every rule says what it saw, why it matters ' +
        '(RFC or proxy docs) and the fix for nginx, fastify, Express and FastAPI/Starlette. ' +
        'Exit 1 when an error-level rule fails (--strict: warnings too), 3 when no response came.',
    )
    .argument('<url>', 'stream endpoint (a URL ending in /send_operation gets the guide\'s ping operation)')
    .option('--direct <url>', 'the same backend without the proxy: judge X-Accel-Buffering on its own response')
    .option('--idle-window-s <s>', 'judge heartbeats on streams idle at least this long', intIn(1, 86_400), 20)
    .option('--strict', 'exit 1 on warnings too')
    .option('--json', 'print one JSON document on stdout and nothing else');
  addRequestOptions(cmd, 120)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream check-headers http://127.0.0.1:18600/send_operation\n' +
        '  $ notebook-stream check-headers https://example.com/api/stream --direct http://10.0.0.5:18600/api/stream\n' +
        '  $ notebook-stream check-headers https://example.com/api/stream --http2 --json',
    )
    .action(async (url: string, flags: CheckHeadersFlags, command: Command) => {
      const { runCheckHeadersCommand } = await import('./check-headers-action.js');
      // Findings name options as this command's flags.
      flags.names = flagNamer(command);
      ctx.setExitCode(await runCheckHeadersCommand(url, flags));
    });
}
