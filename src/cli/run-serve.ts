import { startServer } from '../server/serve.js';
import type { ServerOptions } from '../server/server-options.js';
import type { CliContext } from './context.js';

/**
 * `serve` as a process: start, print the URL (the one stdout line scripts read), and stop
 * gracefully on the first SIGINT/SIGTERM (a second one cuts the grace period short).
 */
export async function runServe(options: ServerOptions, _ctx: CliContext): Promise<void> {
  const server = await startServer(options);
  process.stdout.write(`${server.url}\n`);
  await new Promise<void>((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      server.app.fastify.log.info({ signal }, signals === 1 ? 'shutting down: ending open streams' : 'second signal: closing now');
      server.shutdown(signals === 1 ? options.graceS : 0).then(
        () => {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
          resolve();
        },
        reject,
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
