import { createWriteStream, openSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { UsageError } from '../model/errors.js';
import { startServer, type RunningServer } from '../server/serve.js';
import type { ServerOptions } from '../server/server-options.js';
import type { CliContext } from './context.js';
import { routeConsole } from './console-route.js';

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Token and TLS material from flags, files and NOTEBOOK_STREAM_TOKEN; bad files are usage errors. */
export function readServeSecrets(
  flags: { token?: string; tokenFile?: string; tlsCert?: string; tlsKey?: string },
  env: NodeJS.ProcessEnv,
): Pick<ServerOptions, 'token' | 'tls'> {
  const out: Pick<ServerOptions, 'token' | 'tls'> = {};
  let token: string | undefined;
  if (flags.tokenFile !== undefined) token = readFlagFile('--token-file', flags.tokenFile).toString('utf8').trim();
  else if (flags.token !== undefined) token = flags.token;
  else if (env['NOTEBOOK_STREAM_TOKEN'] !== undefined && env['NOTEBOOK_STREAM_TOKEN'] !== '') token = env['NOTEBOOK_STREAM_TOKEN'];
  if (token !== undefined) {
    if (token.length < 8) throw new UsageError('the token (--token, --token-file or NOTEBOOK_STREAM_TOKEN) must be at least 8 characters');
    out.token = token;
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError(flags.tlsCert === undefined ? '--tls-key needs --tls-cert' : '--tls-cert needs --tls-key');
  }
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    out.tls = { cert: readFlagFile('--tls-cert', flags.tlsCert), key: readFlagFile('--tls-key', flags.tlsKey) };
  }
  return out;
}

/** stderr and, with --log-file, an appended file: pino writes each line once to this tee. */
function logTee(path: string): Writable {
  let fd: number;
  try {
    // Opened now, so an unwritable path is a usage error before anything starts.
    fd = openSync(path, 'a');
  } catch (err) {
    throw new UsageError(`--log-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const file = createWriteStream(path, { fd, flags: 'a' });
  let failed = false;
  file.on('error', (err) => {
    if (!failed) process.stderr.write(`notebook-stream: --log-file ${path}: ${err.message}; logging to stderr only\n`);
    failed = true;
  });
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      process.stderr.write(chunk);
      if (failed) cb();
      else file.write(chunk, () => cb());
    },
  });
}

/**
 * `serve` as a process: start, print the URL (the one stdout line scripts read), and stop
 * gracefully on the first SIGINT/SIGTERM (a second one cuts the grace period short).
 */
export async function runServe(options: ServerOptions, logFile: string | undefined, _ctx: CliContext): Promise<void> {
  const server = await startServer({ ...options, logStream: logFile === undefined ? process.stderr : logTee(logFile) });
  // What @jupyterlab/services prints goes to this server's Jupyter log (redacted, in pino's lines).
  const restoreConsole = routeConsole((level, line) => server.app.jupyter.log.log(level, line));
  try {
    await serveUntilSignalled(server, options.graceS);
  } finally {
    restoreConsole();
  }
}

function serveUntilSignalled(server: RunningServer, graceS: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      server.app.fastify.log.info({ signal }, signals === 1 ? 'shutting down: ending open streams' : 'second signal: closing now');
      server.shutdown(signals === 1 ? graceS : 0).then(
        () => {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
          // Some libraries keep uncancellable retry timers (@jupyterlab/services after a Jupyter
          // crash): everything of ours is closed, so do not wait for them.
          setTimeout(() => process.exit(), 1000).unref();
          resolve();
        },
        reject,
      );
    };
    // Handlers first, URL second: a script that signals as soon as it read the URL gets a
    // graceful stop, not death by signal.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stdout.write(`${server.url}\n`);
  });
}
