import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { pingBody } from './helpers/raw-http.js';

test('a client that reads nothing: buffered bytes stay bounded, the stream ends with timeout', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', stallTimeoutS: 1 });
  t.after(() => server.shutdown(0));
  // 100,000 tokens of 64 KiB with no pause: 6.5 GB if the server kept producing into memory.
  const body = pingBody({ count: 100_000, interval_ms: 0, token: 65_536 });
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  socket.write(`POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.pause();
  let peak = 0;
  for (let i = 0; i < 1000 && server.app.state.outcomes.timeout === 0; i++) {
    peak = Math.max(peak, server.app.state.bufferedBytes());
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(server.app.state.outcomes.timeout, 1, 'the stalled stream ended with status timeout');
  assert.equal(server.app.state.activeStreams, 0);
  // One batch (≥ 64 Ki chars, here one 64 KiB token) and what the socket holds: a few MiB at most.
  assert.ok(peak < 16 * 1024 * 1024, `peak buffered ${peak} bytes`);
  assert.ok(peak > 0, 'the measurement saw the backlog');
  assert.ok(process.memoryUsage().rss < 1024 ** 3, 'the process did not balloon');
});
