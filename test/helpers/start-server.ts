import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  server: http.Server;
  /** Requests received, in order (method, url, headers, body). */
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  /** Connections accepted. */
  connections: () => number;
  close: () => Promise<void>;
}

/**
 * A raw node:http server on 127.0.0.1, port 0, like autocannon's test `startServer`: the handler
 * gets the request with its body already read. `close` destroys every socket, so a hostile handler
 * that never answers cannot keep the test alive.
 */
export async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    connections++;
    socket.setNoDelay(true);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One step of a scripted body: wait `delayMs` after the previous step, then write `data`. */
export interface Step {
  delayMs: number;
  data: string | Buffer;
}

/**
 * Answers every request with `headers` and then the steps, each its own write, then ends. Timers
 * are cleared when the client goes away.
 */
export function scripted(steps: readonly Step[], headers: http.OutgoingHttpHeaders = { 'content-type': 'text/event-stream' }, end = true) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, headers);
    res.flushHeaders();
    let i = 0;
    let timer: NodeJS.Timeout | null = null;
    const next = () => {
      if (i >= steps.length) {
        if (end) res.end();
        return;
      }
      const step = steps[i++]!;
      timer = setTimeout(() => {
        res.write(step.data);
        next();
      }, step.delayMs);
    };
    res.on('close', () => {
      if (timer !== null) clearTimeout(timer);
    });
    void req;
    next();
  };
}
