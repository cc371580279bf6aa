import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CliContext } from '../context.js';
import { intIn } from '../options.js';

export const DEFAULT_UPSTREAM_PORT = 18700;

interface UpstreamFlags {
  host: string;
  port: number;
  recordings?: string;
  quiet?: boolean;
}

/**
 * `notebook-stream upstream`: the replay upstream (src/upstream/). stdout gets exactly one line,
 * the API base; request logs go to stderr. Runs until SIGINT or SIGTERM, then exits 0.
 */
export function registerUpstream(program: Command, _ctx: CliContext): void {
  program
    .command('upstream')
    .summary('run an OpenAI-compatible replay upstream (no model)')
    .description(
      'Run an OpenAI-compatible replay upstream with no network and no model: ' +
        'POST /v1/chat/completions (streaming or not) and GET /v1/models. ' +
        'The model name picks the profile: "synthetic?ttft_ms=200&tps=50&tokens=100", ' +
        'a recording from fixtures/llm/ ("zh-streaming-tips?speed=2"), and failures ' +
        'on demand: fail=429|401|500|..., reset_after=N, stall_after=N, error_after=N, cut_after=N, error_body=1. ' +
        'Stream shapes: reasoning=N (reasoning_content deltas first), tokens_per_chunk=K, usage=0|1, ' +
        'continuous_usage=1 (running usage on every chunk), heartbeat_ms=N (SSE comments while idle). ' +
        'Prints the API base (http://127.0.0.1:PORT/v1) as its one stdout line.',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', intIn(0, 65535), DEFAULT_UPSTREAM_PORT)
    .option('--recordings <dir>', 'directory of recordings (default: the fixtures/llm/ that ships with the package)')
    .option('-q, --quiet', 'no request log on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream upstream --port 0\n' +
        '  $ curl -N $BASE/chat/completions -d \'{"model":"synthetic?tokens=5","stream":true,"messages":[{"role":"user","content":"hi"}]}\'\n' +
        '  $ curl -N $BASE/chat/completions -d \'{"model":"synthetic?reasoning=6&tokens_per_chunk=3&heartbeat_ms=100","stream":true,"messages":[{"role":"user","content":"hi"}]}\'\n' +
        'Profiles and the recording format: docs/llm.md.',
    )
    .action(async (flags: UpstreamFlags) => {
      const { startUpstream } = await import('../../upstream/server.js');
      if (flags.recordings !== undefined) {
        // A bad recordings directory is bad input (exit 2), not an internal error.
        const { loadRecordings } = await import('../../upstream/recording.js');
        await loadRecordings(flags.recordings).catch((err: unknown) => {
          throw new UsageError(`--recordings: ${(err as Error).message}`);
        });
      }
      const log = flags.quiet === true ? undefined : (line: string) => void process.stderr.write(`${line}\n`);
      const upstream = await startUpstream({
        host: flags.host,
        port: flags.port,
        ...(flags.recordings !== undefined ? { recordingsDir: flags.recordings } : {}),
        ...(log !== undefined ? { log } : {}),
      });
      // Handlers first, URL second: a script that signals right after reading the URL gets a clean stop.
      const stopped = untilStopSignal();
      process.stdout.write(`${upstream.url}\n`);
      const signal = await stopped;
      log?.(`upstream: ${signal}, stopping`);
      await upstream.close();
    });
}

function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
