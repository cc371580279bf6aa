import type { Http2Session } from 'node:http2';
import { UnavailableError, UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';
import { hostnameOf, isLoopbackHost } from './access.js';
import { buildApp, type App } from './app.js';
import { monoNow } from './clock.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server-options.js';

/**
 * The listen(2) backlog: connections the kernel completes before we accept them. Node's default
 * (511) overflows when thousands of clients connect at once (a reconnect storm, bench:scale): the
 * kernel drops their SYNs and each retries after 1 s, then 3 s. With 5,000 connecting at once,
 * connect p50 went from 1.3 s to 0.57 s with 4,096 (docs/performance.md). Linux caps it at
 * net.core.somaxconn (4,096 by default since 5.4).
 */
const LISTEN_BACKLOG = 4096;

/** After the streams ended, shutdown keeps answering 503 while requests arrived this recently. */
const LINGER_MS = 500;
const unrefDelay = (ms: number) => new Promise<'delay'>((r) => setTimeout(() => r('delay'), ms).unref());

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

export function formatUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  return host.includes(':') ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`;
}

/** Starts `serve` and resolves once it accepts connections. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const opts: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...options };
  if (!isLoopbackHost(opts.host) && opts.token === undefined && !opts.insecureNoAuth) {
    throw new UsageError(`refusing to listen on ${opts.host} without a token: sources run code and spend API money`, {
      code: 'NBS_USAGE_UNSAFE',
      details: { host: opts.host },
      hint: { code: 'NBS_HINT_AUTH', sep: '. ', text: ft`Pass ${field('tokenFile')} FILE (or NOTEBOOK_STREAM_TOKEN), or ${field('insecureNoAuth')} if something else guards this port` },
    });
  }
  const foreign = opts.allowedHosts.filter((h) => !isLoopbackHost(hostnameOf(h)));
  if (foreign.length > 0 && opts.token === undefined && !opts.insecureNoAuth) {
    throw new UsageError(ft`${field('allowedHosts')} ${foreign[0]}: anyone who reaches that name (through a proxy, say) could run code`, {
      code: 'NBS_USAGE_UNSAFE',
      details: { host: foreign[0] },
      hint: {
        code: 'NBS_HINT_AUTH',
        text: ft`add a token (${field('tokenFile')} FILE or NOTEBOOK_STREAM_TOKEN), or ${field('insecureNoAuth')} if something else authenticates every request`,
      },
    });
  }
  const app = buildApp(opts);
  // HTTP/2 sessions outlive server.close() on Node 20: close them ourselves on shutdown.
  const sessions = new Set<Http2Session>();
  if (opts.http2 || opts.tls !== undefined) {
    app.fastify.server.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  try {
    await app.fastify.listen({ host: opts.host, port: opts.port, backlog: LISTEN_BACKLOG, listenTextResolver: (address) => `listening on ${address}` });
  } catch (err) {
    await app.fastify.close().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new UnavailableError(`cannot listen on ${opts.host}:${opts.port}: the port is in use`, {
        code: 'NBS_UNAVAILABLE_PORT_IN_USE',
        details: { host: opts.host, port: opts.port },
        hint: { code: 'NBS_HINT_PORT', sep: ' (', text: ft`pick another with ${field('port')}, or ${field('port')} 0 for a free one)` },
      });
    }
    if (e.code === 'ENOTFOUND' || e.code === 'EINVAL') {
      throw new UsageError(ft`${field('host')} ${opts.host}: not an address or name of this machine (${e.code})`, { code: 'NBS_USAGE_BAD_VALUE', details: { host: opts.host } });
    }
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') {
      throw new UnavailableError(`cannot listen on ${opts.host}:${opts.port}: ${e.code} (${e.message})`);
    }
    throw err;
  }
  try {
    await app.jupyter.startEager();
  } catch (err) {
    await app.fastify.close().catch(() => undefined);
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
      const cut = () => {
        const server = app.fastify.server as { closeAllConnections?: () => void };
        server.closeAllConnections?.();
        for (const s of sessions) s.destroy();
      };
      const result = await Promise.race([app.state.whenIdle().then(() => 'idle' as const), graceOver]);
      // Clients still arriving (a load balancer that has not noticed yet) get 503 NBS_SHUTTING_DOWN
      // with Connection: close, not ECONNREFUSED: keep listening for LINGER_MS after the last stream
      // ended and after each refused request, until the grace ends (issue 25 item 7).
      if (result === 'idle') {
        const idleAt = monoNow();
        while (monoNow() - Math.max(idleAt, app.state.refusedAt) < LINGER_MS) {
          if ((await Promise.race([unrefDelay(LINGER_MS / 2), graceOver])) === 'grace') break;
        }
      }
      if (result === 'grace') {
        app.fastify.log.warn({ active_streams: app.state.activeStreams }, `grace period of ${graceS} s over: closing open streams`);
        cut();
      }
      const closed = app.fastify.close();
      // GOAWAY to every HTTP/2 session: finished streams are done, open ones were cut above.
      for (const s of sessions) s.close();
      // A client that sent its own GOAWAY (or never answers ours) keeps its session open, and
      // server.close() waits for it: cut what is left when the grace ends (issue 25).
      if (result === 'idle' && (await Promise.race([closed.then(() => 'closed' as const), graceOver])) === 'grace') cut();
      clearTimeout(timer);
      await closed;
    })();
    return closing;
  };

  return { url: formatUrl(host, port, opts.tls !== undefined ? 'https' : 'http'), host, port, app, shutdown };
}
