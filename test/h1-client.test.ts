/**
 * bench's load client speaks HTTP/1.1 itself (src/probe/h1-client.ts, issue 31). These tests drive
 * it through the LoadRunner, as `bench -c N` does, against raw TCP servers that put exact bytes on
 * the wire: framings split at every byte, interim responses, bodies until close, servers that
 * close, stall or lie. Each case is also run through undici (the sequential client, `-c 1`), and
 * both must agree: a case where they differ is a defect of ours.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { RequestFlags } from '../src/probe/build-request-spec.js';
import { LoadRunner, type LoadPlan } from '../src/probe/load-runner.js';
import { runBench } from '../src/probe/run-bench.js';
import type { StreamRecord } from '../src/model/record.js';
import { specFor } from './helpers/bench-spec.js';
import { makeSelfSignedCert } from './helpers/tls-cert.js';

const SSE = 'data: {"seq":0,"text":"a"}\n\ndata: {"seq":1,"text":"b"}\n\n';

interface RawServer {
  url: string;
  /** Connections accepted so far, and the request heads received. */
  connections: () => number;
  requests: string[];
  close: () => Promise<void>;
}

/**
 * A TCP server that answers each request head (up to its blank line) with `respond(n, socket)`,
 * n counting requests from 0 over all connections. Bounded: every socket is destroyed on close.
 */
async function rawServer(respond: (n: number, socket: net.Socket, head: string) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const requests: string[] = [];
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        requests.push(head);
        respond(requests.length - 1, s, head);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    connections: () => accepted,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Writes `bytes` one byte per write, each after the last went out: every framing split at every byte. */
function dribble(socket: net.Socket, bytes: Buffer, then?: () => void): void {
  let i = 0;
  const step = () => {
    if (socket.destroyed) return;
    if (i >= bytes.length) {
      then?.();
      return;
    }
    socket.write(bytes.subarray(i, ++i), () => setImmediate(step));
  };
  step();
}

const PLAN: LoadPlan = { model: 'closed', concurrency: 2, rate: 0, arrival: 'constant', requests: 4, durationMs: null, warmup: 0, maxInFlight: 2, connections: 2 };

async function underLoad(url: string, flags: Partial<RequestFlags> = {}, plan: Partial<LoadPlan> = {}): Promise<StreamRecord[]> {
  const records: StreamRecord[] = [];
  const started = performance.now();
  await new LoadRunner(await specFor(url, flags), { ...PLAN, ...plan }, (r) => records.push(r)).run();
  assert.ok(performance.now() - started < 20_000, 'the run ended in bounded time');
  return records.sort((a, b) => a.index - b.index);
}

async function sequential(url: string, flags: Partial<RequestFlags> = {}, requests = 4): Promise<StreamRecord[]> {
  return (await runBench(await specFor(url, flags), { requests, warmup: 0 })).records;
}

const kinds = (records: StreamRecord[]) => records.map((r) => r.error?.kind ?? 'ok');
/** What a record says of the stream, whichever client measured it. */
const facts = (r: StreamRecord) => ({ error: r.error?.kind ?? null, status: r.status, events: r.events, content: r.contentEvents, bytes: r.bytes });

test('chunked, Content-Length and until-close bodies, split at every byte, read as undici reads them', async (t) => {
  const body = Buffer.from(SSE);
  const chunked = Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'),
    Buffer.from(`${body.length.toString(16)};ext=1\r\n`),
    body,
    Buffer.from('\r\n0\r\nx-trailer: yes\r\n\r\n'),
  ]);
  const sized = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
  const untilClose = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n'), body]);
  for (const [name, bytes, closes] of [
    ['chunked', chunked, false],
    ['content-length', sized, false],
    ['until close', untilClose, true],
  ] as const) {
    const srv = await rawServer((_n, s) => dribble(s, bytes, closes ? () => s.end() : undefined));
    t.after(() => srv.close());
    const load = await underLoad(srv.url);
    const loadConnections = srv.connections();
    const seq = await sequential(srv.url, {}, 2);
    assert.deepEqual(kinds(load), ['ok', 'ok', 'ok', 'ok'], `${name}: ${JSON.stringify(load.map((r) => r.error))}`);
    assert.deepEqual(load.map(facts), [...seq, ...seq].map(facts), `${name}: the load client and undici agree`);
    assert.equal(load[0]!.events, 2, name);
    // One byte per read: the events arrived in as many reads as their bytes took.
    assert.ok(load[0]!.reads >= body.length, `${name}: ${load[0]!.reads} reads`);
    assert.equal(loadConnections, closes ? 4 : 2, `${name}: kept alive unless the body ran until close`);
  }
});

test('a 100 Continue before the response, a 204 and a HEAD: no body is waited for', async (t) => {
  const srv = await rawServer((n, s, head) => {
    if (head.startsWith('HEAD')) s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 999\r\n\r\n`);
    else if (n % 2 === 0) s.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${SSE.length}\r\n\r\n${SSE}`);
    else s.write('HTTP/1.1 204 No Content\r\ncontent-type: text/event-stream\r\n\r\n');
  });
  t.after(() => srv.close());
  const records = await underLoad(srv.url, {}, { concurrency: 1, connections: 1 });
  assert.deepEqual(kinds(records), ['ok', 'ok', 'ok', 'ok']);
  assert.deepEqual(records.map((r) => [r.status, r.events]), [[200, 2], [204, 0], [200, 2], [204, 0]]);
  assert.equal(srv.connections(), 1, 'all four on one kept-alive connection');
  const head = await underLoad(srv.url, { method: 'HEAD' }, { requests: 2, concurrency: 1, connections: 1 });
  assert.deepEqual(head.map((r) => [r.error?.kind ?? 'ok', r.status, r.bytes]), [['ok', 200, 0], ['ok', 200, 0]]);
});

test('the request bytes: one write with host, connection, the spec headers and content-length', async (t) => {
  const srv = await rawServer((_n, s) => s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${SSE.length}\r\n\r\n${SSE}`));
  t.after(() => srv.close());
  await underLoad(srv.url + 'send_operation?x=1', { header: ['x-probe: 1'] }, { requests: 2, concurrency: 1, connections: 1 });
  const head = srv.requests[0]!.split('\r\n');
  assert.equal(head[0], 'POST /send_operation?x=1 HTTP/1.1');
  assert.ok(head.includes(`host: ${new URL(srv.url).host}`), head.join(' | '));
  assert.ok(head.includes('connection: keep-alive'));
  assert.ok(head.includes('x-probe: 1'));
  assert.ok(head.some((l) => /^content-length: [1-9]\d*$/.test(l)), 'the guide ping body is sent with its length');
  await underLoad(srv.url, { keepAlive: false }, { requests: 1, concurrency: 1, connections: 1 });
  assert.ok(srv.requests.at(-1)!.split('\r\n').includes('connection: close'));
});

test('malformed responses are protocol errors, as undici says, and the run goes on', async (t) => {
  const bad = [
    'HTTP/9 nonsense\r\n\r\n',
    'SSH-2.0-OpenSSH_9.2\r\n',
    'HTTP/1.1 200 OK\r\ncontent-type : text/event-stream\r\ncontent-length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\n',
    `HTTP/1.1 200 OK\r\nx-big: ${'y'.repeat(20_000)}\r\n\r\n`,
  ];
  for (const response of bad) {
    const srv = await rawServer((n, s) => {
      if (n === 0) s.write(response);
      else s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${SSE.length}\r\n\r\n${SSE}`);
    });
    t.after(() => srv.close());
    const load = await underLoad(srv.url, {}, { requests: 2, concurrency: 1, connections: 1 });
    const label = JSON.stringify(response.slice(0, 50));
    assert.deepEqual(kinds(load), ['protocol', 'ok'], `${label}: ${JSON.stringify(load[0]!.error)}`);
    const seq = await sequential(srv.url, {}, 1);
    assert.deepEqual(kinds(seq), ['ok'], `${label}: undici, on the second response`);
  }
  // And undici on the bad ones, to hold the two to the same rule.
  for (const response of bad) {
    const srv = await rawServer((_n, s) => s.write(response));
    t.after(() => srv.close());
    assert.deepEqual(kinds(await sequential(srv.url, {}, 1)), ['protocol'], `undici on ${JSON.stringify(response.slice(0, 50))}`);
  }
});

test('timeouts, a cut body and a server that closes kept-alive connections', async (t) => {
  // Headers never come for the first request; the body of the second stops mid-event.
  const stall = await rawServer((n, s) => {
    if (n === 0) return;
    if (n === 1) s.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n6\r\ndata: \r\n');
    else s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${SSE.length}\r\n\r\n${SSE}`);
  });
  t.after(() => stall.close());
  const timed = await underLoad(stall.url, { headersTimeoutMs: 300, idleTimeoutMs: 300 }, { requests: 3, concurrency: 1, connections: 1 });
  assert.deepEqual(kinds(timed), ['headers_timeout', 'idle_timeout', 'ok']);
  // The control: how late a plain 300 ms timer fires on this machine now. A timeout that waited a
  // second period (a re-armed timer that fired late) would come 300 ms after it.
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 300));
  const controlUs = (performance.now() - t0) * 1000;
  assert.ok(timed[0]!.endUs >= 290_000 && timed[0]!.endUs < controlUs + 150_000, `headers_timeout after ${timed[0]!.endUs} µs (control ${controlUs} µs)`);
  // The idle timeout counts from the last body byte, which came with the head (headersUs).
  const idleUs = timed[1]!.endUs - timed[1]!.headersUs!;
  assert.ok(idleUs >= 290_000 && idleUs < controlUs + 150_000, `idle_timeout ${idleUs} µs after the last byte (control ${controlUs} µs)`);

  // Cut: the socket closes 10 bytes into a 40-byte body; then `Connection: close` after a whole one.
  const cut = await rawServer((n, s) => {
    if (n === 0) s.end(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 40\r\n\r\ndata: abc\n`);
    else s.end(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\ncontent-length: ${SSE.length}\r\n\r\n${SSE}`);
  });
  t.after(() => cut.close());
  const records = await underLoad(cut.url, {}, { requests: 3, concurrency: 1, connections: 1 });
  assert.deepEqual(kinds(records), ['reset', 'ok', 'ok']);
  assert.equal(cut.connections(), 3, 'a connection the server closed is not written to again');
});

test('a gzip stream larger than the decoder backlog pauses the socket and decodes whole under load', async (t) => {
  const events = Array.from({ length: 20_000 }, (_, i) => `data: {"seq":${i},"text":"${'x'.repeat(40)}"}\n\n`).join('');
  const gz = gzipSync(events);
  const srv = await rawServer((_n, s) => {
    s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n`);
    for (let i = 0; i < gz.length; i += 1000) {
      const part = gz.subarray(i, i + 1000);
      s.write(`${part.length.toString(16)}\r\n`);
      s.write(part);
      s.write('\r\n');
    }
    s.write('0\r\n\r\n');
  });
  t.after(() => srv.close());
  const records = await underLoad(srv.url, {}, { requests: 2 });
  assert.deepEqual(kinds(records), ['ok', 'ok']);
  assert.deepEqual(records.map((r) => r.events), [20_000, 20_000]);
  assert.equal(records[0]!.wireBytes, gz.length);
});

test('over TLS: kept-alive HTTP/1.1 by ALPN, the same records as undici, and an untrusted certificate is tls', async (t) => {
  const { cert, key, certFile } = makeSelfSignedCert();
  let connections = 0;
  const server = https.createServer({ cert, key, ALPNProtocols: ['http/1.1'] }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(SSE);
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const load = await underLoad(url, { ca: certFile });
  assert.deepEqual(kinds(load), ['ok', 'ok', 'ok', 'ok']);
  assert.equal(connections, 2, 'two kept-alive TLS connections for four requests');
  assert.ok(load.every((r) => r.httpVersion === '1.1'));
  const seq = await sequential(url, { ca: certFile }, 2);
  assert.deepEqual(load.map(facts), [...seq, ...seq].map(facts));
  assert.deepEqual(kinds(await underLoad(url, {}, { requests: 2 })), ['tls', 'tls'], 'no --ca: the self-signed certificate is refused');
});
