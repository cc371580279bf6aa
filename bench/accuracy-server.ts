/**
 * The server of `npm run bench:accuracy`, run in its own process so it never shares an event loop
 * with the client it is measured by. `GET /?delay=MS&events=N&interval=MS`: waits `delay`, then
 * sends the status line, headers and the first event in one write (so the first response byte,
 * curl's time_starttransfer, and the first event are the same instant), then N−1 more events.
 * Prints its URL on stdout, like `serve`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const delay = Number(q.get('delay') ?? 0);
  const events = Number(q.get('events') ?? 3);
  const interval = Number(q.get('interval') ?? 10);
  let i = 0;
  let timer: NodeJS.Timeout | null = null;
  const send = () => {
    const data = `data: {"seq":${i},"text":"tok"}\n\n`;
    i++;
    if (i === 1) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    }
    if (i === events) {
      res.end(data);
      return;
    }
    res.write(data);
    timer = setTimeout(send, interval);
  };
  res.on('close', () => {
    if (timer !== null) clearTimeout(timer);
  });
  req.resume();
  req.on('end', () => {
    timer = setTimeout(send, delay);
  });
});
server.on('connection', (s) => s.setNoDelay(true));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
