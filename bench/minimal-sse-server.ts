/**
 * The baseline of `bench:efficiency`: the smallest honest node:http SSE server for the guide's
 * ping operation — parse the JSON body, write one event per token with the same stamps as
 * notebook-stream's wire format, end with `done`. No validation, no metrics, no policies: what a
 * hand-written backend costs. Prints its URL as its one stdout line.
 */
import { createServer } from 'node:http';

const origin = performance.timeOrigin;
const now = () => Math.round((origin + performance.now()) * 1000) / 1000;

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    const op = (JSON.parse(body || '{}') as { operation?: { count?: number; interval_ms?: number; token?: string } }).operation ?? {};
    const count = op.count ?? 50;
    const interval = op.interval_ms ?? 20;
    const token = JSON.stringify(op.token ?? 'tok ');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const start = performance.now();
    let seq = 0;
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      const t = now();
      if (seq === count) {
        res.end(`event: done\ndata: {"seq":${seq},"t":${t},"t_src":${t},"status":"ok"}\n\n`);
        return;
      }
      res.write(`event: chunk\ndata: {"seq":${seq},"t":${t},"t_src":${t},"text":${token}}\n\n`);
      seq++;
      timer = setTimeout(tick, Math.max(0, start + seq * interval - performance.now()));
    };
    res.on('close', () => clearTimeout(timer));
    tick();
  });
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`http://127.0.0.1:${a.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
