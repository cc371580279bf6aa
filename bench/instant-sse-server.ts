/**
 * The endpoint of `npm run bench:client` (issue 31): a node:http server that answers every request
 * at once with one SSE event and the end, status line, headers and body in one write, keep-alive.
 * Faster than either client measured against it, so their requests/s is the clients' own.
 * Prints its URL as its one stdout line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from('data: {"seq":0,"text":"tok"}\n\n');
const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.on('connection', (s) => s.setNoDelay(true));
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
