import assert from 'node:assert/strict';
import { connect as h2connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { pingBody } from './helpers/raw-http.js';
import { requireCommand } from './helpers/system.js';
import { makeSelfSignedCert } from './helpers/tls-cert.js';

/** Issue 25 item 1: a client that goes away frees its slot at once on every protocol. */

const LONG = pingBody({ count: 1000, interval_ms: 100 });

async function waitFor(cond: () => boolean, ms: number): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

function openH2(session: ClientHttp2Session): Promise<ClientHttp2Stream> {
  const req = session.request({ ':method': 'POST', ':path': '/send_operation', 'content-type': 'application/json' });
  req.on('error', () => undefined);
  req.end(LONG);
  return new Promise((resolve, reject) => {
    req.once('response', () => resolve(req));
    req.once('error', reject);
  });
}

/**
 * Drops `n` streams with `drop` and returns the slowest time from the drop to the slot being free.
 * The stall timeout is 30 s: a leaked stream would hold its slot far longer than the bound here.
 */
async function dropAll(server: RunningServer, n: number, open: () => Promise<() => void>): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < n; i++) {
    const drop = await open();
    await waitFor(() => server.app.state.activeStreams === 1, 5000);
    drop();
    slowest = Math.max(slowest, await waitFor(() => server.app.state.activeStreams === 0, 5000));
  }
  return slowest;
}

for (const kind of ['reset', 'destroy', 'goaway-then-close'] as const) {
  test(`h2c: a client that ${kind}s frees its stream with outcome client_closed`, async (t) => {
    const server = await startServer({ port: 0, logLevel: 'silent', http2: true, stallTimeoutS: 30 });
    t.after(() => server.shutdown(0));
    const slowest = await dropAll(server, 5, async () => {
      const session = h2connect(server.url);
      session.on('error', () => undefined);
      const req = await openH2(session);
      return () => {
        if (kind === 'reset') {
          req.close(constants.NGHTTP2_CANCEL);
          session.close();
        } else if (kind === 'destroy') {
          session.destroy();
        } else {
          // What curl -m does: GOAWAY, then the connection is gone.
          session.goaway(constants.NGHTTP2_NO_ERROR);
          setImmediate(() => session.destroy());
        }
      };
    });
    assert.equal(server.app.state.outcomes.client_closed, 5);
    assert.equal(server.app.state.outcomes.timeout, 0);
    assert.ok(slowest < 3000, `slot freed after ${slowest.toFixed(0)} ms, not at the stall timeout`);
  });
}

test('TLS with ALPN h2: a session destroyed mid-stream frees its slot', async (t) => {
  if (!requireCommand(t, 'openssl', 'openssl')) return;
  const tls = makeSelfSignedCert();
  const server = await startServer({ port: 0, logLevel: 'silent', tls: { cert: tls.cert, key: tls.key }, stallTimeoutS: 30 });
  t.after(() => server.shutdown(0));
  await dropAll(server, 3, async () => {
    const session = h2connect(server.url, { ca: tls.cert });
    session.on('error', () => undefined);
    await openH2(session);
    return () => session.destroy();
  });
  assert.equal(server.app.state.outcomes.client_closed, 3);
});

test('HTTP/1.1: a closed socket frees its slot (the control for the HTTP/2 cases)', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', stallTimeoutS: 30 });
  t.after(() => server.shutdown(0));
  await dropAll(server, 5, async () => {
    const socket = netConnect({ host: '127.0.0.1', port: server.port });
    socket.on('error', () => undefined);
    socket.write(`POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(LONG)}\r\n\r\n${LONG}`);
    await new Promise((r) => socket.once('data', r));
    return () => socket.destroy();
  });
  assert.equal(server.app.state.outcomes.client_closed, 5);
});
