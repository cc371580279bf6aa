import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServer, type TestServer } from './start-server.js';

export interface LoadServer extends TestServer {
  /** Streams open right now, the most open at once, and every request's arrival (performance.now()). */
  active: () => number;
  maxActive: () => number;
  arrivals: number[];
}

/**
 * A server that counts what it saw: simultaneous streams, connections, arrivals. Each stream sends
 * one event after `holdMs(n)` (n = 0-based arrival order) and ends.
 */
export async function startLoadServer(holdMs: (n: number) => number = () => 0): Promise<LoadServer> {
  let active = 0;
  let maxActive = 0;
  const arrivals: number[] = [];
  const srv = await startServer((_req: http.IncomingMessage, res: http.ServerResponse) => {
    const n = arrivals.length;
    arrivals.push(performance.now());
    active++;
    maxActive = Math.max(maxActive, active);
    let open = true;
    res.on('close', () => {
      if (open) active--;
      open = false;
      clearTimeout(timer);
    });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    const timer = setTimeout(() => {
      res.end('data: {"text":"a"}\n\n');
    }, holdMs(n));
  });
  return { ...srv, active: () => active, maxActive: () => maxActive, arrivals };
}
