import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { runBench } from '../src/probe/run-bench.js';
import { specFor } from './helpers/bench-spec.js';
import { makeSelfSignedCert } from './helpers/tls-cert.js';

const tls = makeSelfSignedCert();
const TEST_CERT = tls.cert;
const TEST_KEY = tls.key;

test('https with a self-signed certificate: tls error by default, ok with --insecure or --ca', async (t) => {
  const server = https.createServer({ cert: TEST_CERT, key: TEST_KEY }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"text":"a"}\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  t.after(() => rm(path.dirname(tls.certFile), { recursive: true, force: true }));
  const ca = tls.certFile;

  const strict = await runBench(await specFor(url), { requests: 1, warmup: 0 });
  assert.equal(strict.records[0]!.error?.kind, 'tls', strict.records[0]!.error?.message);
  for (const flags of [{ insecure: true }, { ca }]) {
    const run = await runBench(await specFor(url, flags), { requests: 2, warmup: 0 });
    for (const r of run.records) {
      assert.equal(r.error, null, JSON.stringify(flags));
      assert.equal(r.httpVersion, '1.1');
      assert.equal(r.contentEvents, 1);
    }
    // The TLS handshake is part of the connection time, so it is measured on the first request.
    assert.ok(run.records[0]!.connectUs !== null && run.records[0]!.connectUs <= run.records[0]!.headersUs!);
  }
});

test('--http2 on https: negotiated by ALPN', async (t) => {
  const server = http2.createSecureServer({ cert: TEST_CERT, key: TEST_KEY, allowHTTP1: true });
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
    stream.end('data: {"text":"a"}\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const h2 = await runBench(await specFor(url, { insecure: true, http2: true }), { requests: 1, warmup: 0 });
  assert.equal(h2.records[0]!.error, null);
  assert.equal(h2.records[0]!.httpVersion, '2');
  const h1 = await runBench(await specFor(url, { insecure: true }), { requests: 1, warmup: 0 });
  assert.equal(h1.records[0]!.httpVersion, '1.1');
});

test('an unresolvable host is dns', async () => {
  const run = await runBench(await specFor('http://nonexistent-host.invalid/'), { requests: 1, warmup: 0 });
  assert.equal(run.records[0]!.error?.kind, 'dns');
});
