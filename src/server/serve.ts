import { UnavailableError } from '../errors.js';
import { buildApp, type App } from './app.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server-options.js';

export interface RunningServer {
  /** `http://127.0.0.1:18600`, IPv6 as `http://[::1]:PORT`. */
  url: string;
  host: string;
  port: number;
  app: App;
  /**
   * Graceful stop: new requests get 503 NBS_SHUTTING_DOWN while open streams end with `done`
   * status `shutdown`; after `graceS` whatever is left is cut. Resolves once closed.
   */
  shutdown(graceS?: number): Promise<void>;
}

export function formatUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/** Starts `serve` and resolves once it accepts connections. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const opts: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...options };
  const app = buildApp(opts);
  try {
    await app.fastify.listen({ host: opts.host, port: opts.port, listenTextResolver: (address) => `listening on ${address}` });
  } catch (err) {
    await app.fastify.close().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new UnavailableError(`cannot listen on ${opts.host}:${opts.port}: the port is in use (pick another with --port, or --port 0 for a free one)`);
    }
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EACCES') {
      throw new UnavailableError(`cannot listen on ${opts.host}:${opts.port}: ${e.code} (${e.message})`);
    }
    throw err;
  }
  const address = app.fastify.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const host = typeof address === 'object' && address !== null ? address.address : opts.host;
  let closing: Promise<void> | null = null;

  const shutdown = (graceS = opts.graceS): Promise<void> => {
    if (closing !== null) return closing;
    closing = (async () => {
      app.state.shuttingDown = true;
      app.state.shutdown.abort('shutdown');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((resolve) => {
        timer = setTimeout(() => resolve('grace'), graceS * 1000);
      });
      const result = await Promise.race([app.state.whenIdle().then(() => 'idle' as const), graceOver]);
      clearTimeout(timer);
      if (result === 'grace') {
        app.fastify.log.warn({ active_streams: app.state.activeStreams }, `grace period of ${graceS} s over: closing open streams`);
        app.fastify.server.closeAllConnections();
      }
      await app.fastify.close();
    })();
    return closing;
  };

  return { url: formatUrl(host, port), host, port, app, shutdown };
}
