import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBench } from '../src/probe/run-bench.js';
import { StreamClient } from '../src/probe/stream-client.js';
import { specFor } from './helpers/bench-spec.js';
import { scripted, startServer, type Step } from './helpers/start-server.js';

const stamp = () => performance.timeOrigin + performance.now();

test('injected first delay and interval are measured at least as long as injected, and close to it', async (t) => {
  const first = 120;
  // 200 ms apart: a loaded event loop that runs late can fire two chained 40 ms timers in one turn
  // (their due times come from its stale cached clock), and the two writes then arrive in one read.
  const interval = 200;
  const steps: Step[] = [{ delayMs: first, data: 'data: {"text":"a"}\n\n' }];
  for (let i = 0; i < 4; i++) steps.push({ delayMs: interval, data: `data: {"text":"${i}"}\n\n` });
  const srv = await startServer(scripted(steps));
  t.after(() => srv.close());
  const run = await runBench(await specFor(`${srv.url}/s`), { requests: 3, warmup: 0 });
  for (const r of run.records) {
    assert.equal(r.error, null);
    assert.equal(r.events, 5);
    // Headers were flushed before the first event: the first byte waits for the first event.
    assert.ok(r.headersUs! < first * 1000, `headers at ${r.headersUs} µs`);
    assert.ok(r.firstContentUs! >= first * 1000, `first content ${r.firstContentUs} µs < ${first} ms`);
    assert.ok(r.firstContentUs! < (first + 1000) * 1000, `first content ${r.firstContentUs} µs`);
    const a = r.timeline.arrivalUs;
    for (let i = 1; i < a.length; i++) {
      // Event i cannot be written before first + i × interval (timers only fire late), so it
      // cannot arrive earlier. A single gap can look shorter when the previous read was stamped
      // late by a busy loop (the test server shares it), so the lower bound is cumulative.
      assert.ok(a[i]! >= (first + i * interval - 1) * 1000, `event ${i} at ${a[i]} µs`);
      const gap = a[i]! - a[i - 1]!;
      assert.ok(gap < (interval + 1000) * 1000, `gap ${gap} µs`);
    }
    // One read per write; a stall of ≥ 200 ms may still merge one pair.
    assert.equal(r.eventsPerRead.length, r.reads);
    assert.equal(r.eventsPerRead.reduce((a, b) => a + b, 0), 5);
    assert.ok(r.reads >= 4, `${r.reads} reads for 5 writes ${interval} ms apart: ${JSON.stringify(r.eventsPerRead)}`);
  }
});

test('first_content skips heartbeats, role-only and usage-only deltas, and done', async (t) => {
  const steps: Step[] = [
    { delayMs: 0, data: ': hb\n\n' },
    { delayMs: 30, data: 'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n' },
    { delayMs: 30, data: 'data: {"choices":[{"delta":{"content":""}}]}\n\n' },
    { delayMs: 30, data: 'data: {"choices":[]}\n\n' },
    { delayMs: 60, data: 'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n' },
    { delayMs: 10, data: 'data: [DONE]\n\n' },
  ];
  const srv = await startServer(scripted(steps));
  t.after(() => srv.close());
  const client = new StreamClient(await specFor(srv.url));
  t.after(() => client.close());
  const r = await client.request(0, false);
  assert.equal(r.error, null);
  assert.equal(r.comments, 1);
  assert.equal(r.events, 5);
  assert.equal(r.contentEvents, 1);
  assert.deepEqual(r.timeline.content, [false, false, false, true, false]);
  // First event: the role-only delta; first content: "Hi", written ≥ 150 ms after the request
  // arrived (chained timers only fire late), so it cannot arrive sooner after the request start.
  assert.equal(r.firstEventUs, r.timeline.arrivalUs[0]);
  assert.equal(r.firstContentUs, r.timeline.arrivalUs[3]);
  assert.ok(r.firstEventUs! <= r.firstContentUs!);
  assert.ok(r.firstContentUs! >= 149_000, `first content ${r.firstContentUs} µs after the request: not the "Hi" written at 150 ms`);
});

test('the server stamps give lag and hold; done.stats is read', async (t) => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const now = stamp(); // one reading for both stamps: the hold is exactly 25 ms however slow the machine
    res.write(`event: chunk\ndata: {"seq":0,"t":${now},"t_src":${now - 25},"text":"x"}\n\n`);
    setTimeout(() => {
      res.end(
        `event: done\ndata: {"seq":1,"t":${stamp()},"t_src":${stamp()},"status":"ok","stats":{"events":1,"bytes":9,"writes":2,"server_first_chunk_ms":1.5}}\n\n`,
      );
    }, 20);
  });
  t.after(() => srv.close());
  const client = new StreamClient(await specFor(srv.url));
  t.after(() => client.close());
  const r = await client.request(0, false);
  assert.deepEqual(r.serverStats, { events: 1, bytes: 9, writes: 2, server_first_chunk_ms: 1.5 });
  assert.deepEqual(r.timeline.event, ['chunk', 'done']);
  const hold = r.timeline.t[0]! - r.timeline.tSrc[0]!;
  assert.ok(Math.abs(hold - 25) < 0.01, `hold ${hold}`);
});

test('keep-alive reuses one connection; --no-keep-alive opens one per request and says so', async (t) => {
  const srv = await startServer(scripted([{ delayMs: 0, data: 'data: x\n\n' }]));
  t.after(() => srv.close());
  const kept = await runBench(await specFor(srv.url), { requests: 3, warmup: 0 });
  assert.equal(srv.connections(), 1);
  assert.deepEqual(kept.records.map((r) => r.reusedConnection), [false, true, true]);
  assert.ok(kept.records[0]!.connectUs! > 0);
  assert.equal(kept.records[1]!.connectUs, null);
  const fresh = await runBench(await specFor(srv.url, { keepAlive: false }), { requests: 3, warmup: 0 });
  assert.equal(srv.connections(), 4);
  for (const r of fresh.records) {
    assert.equal(r.keepAlive, false);
    assert.equal(r.reusedConnection, false);
    assert.ok(r.connectUs !== null && r.connectUs <= r.headersUs!);
  }
  assert.equal(srv.requests.at(-1)!.headers['connection'], 'close');
});

test('default request: browser-like headers; /send_operation gets the guide ping as JSON POST', async (t) => {
  const srv = await startServer(scripted([{ delayMs: 0, data: 'data: x\n\n' }]));
  t.after(() => srv.close());
  await runBench(await specFor(`${srv.url}/api/send_operation`), { requests: 1, warmup: 0 });
  const got = srv.requests[0]!;
  assert.equal(got.method, 'POST');
  assert.equal(got.headers['accept'], 'text/event-stream');
  assert.equal(got.headers['accept-encoding'], 'gzip, deflate, br');
  assert.equal(got.headers['cache-control'], 'no-cache');
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(JSON.parse(got.body).operation.type, 'ping');
  await runBench(await specFor(`${srv.url}/g`, { identity: true, header: ['X-Test: 1'], format: 'ndjson' }), { requests: 1, warmup: 0 });
  const g = srv.requests[1]!;
  assert.equal(g.method, 'GET');
  assert.equal(g.headers['accept-encoding'], 'identity');
  assert.equal(g.headers['accept'], 'application/x-ndjson');
  assert.equal(g.headers['x-test'], '1');
});

test('auto format: SSE framing inside text/plain is parsed as SSE; NDJSON by type; raw otherwise', async (t) => {
  const plain = await startServer(
    scripted(
      [
        { delayMs: 0, data: 'da' },
        { delayMs: 300, data: 'ta: {"text":"a"}\n\n' }, // 300 ms: a late client read cannot merge the two
      ],
      { 'content-type': 'text/plain; charset=utf-8' },
    ),
  );
  t.after(() => plain.close());
  const nd = await startServer(
    scripted(
      [
        { delayMs: 0, data: '{"text":"a","event":"chunk"}\n\n' },
        { delayMs: 10, data: '{"event":"done","stats":{"events":1,"bytes":1,"writes":2,"server_first_chunk_ms":null}}\n' },
      ],
      { 'content-type': 'application/x-ndjson' },
    ),
  );
  t.after(() => nd.close());
  const raw = await startServer(scripted([{ delayMs: 0, data: 'hello' }, { delayMs: 10, data: ' world' }], { 'content-type': 'text/plain' }));
  t.after(() => raw.close());
  const [p] = (await runBench(await specFor(plain.url), { requests: 1, warmup: 0 })).records;
  assert.equal(p!.format, 'sse');
  assert.equal(p!.events, 1);
  assert.equal(p!.timeline.read[0], 1, 'the event completes in the second read');
  const [n] = (await runBench(await specFor(nd.url), { requests: 1, warmup: 0 })).records;
  assert.equal(n!.format, 'ndjson');
  assert.deepEqual(n!.timeline.event, ['chunk', 'done']);
  assert.equal(n!.comments, 1);
  assert.equal(n!.serverStats?.writes, 2);
  const [w] = (await runBench(await specFor(raw.url), { requests: 1, warmup: 0 })).records;
  assert.equal(w!.format, 'raw');
  assert.equal(w!.events, 2);
  assert.equal(w!.contentEvents, 2);
});

test('--http2 speaks h2c with prior knowledge and records HTTP/2', async (t) => {
  const http2 = await import('node:http2');
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
    stream.write('data: {"text":"a"}\n\n');
    setTimeout(() => stream.end('data: {"text":"b"}\n\n'), 30);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as import('node:net').AddressInfo;
  const run = await runBench(await specFor(`http://127.0.0.1:${port}/`, { http2: true }), { requests: 2, warmup: 0 });
  for (const r of run.records) {
    assert.equal(r.error, null);
    assert.equal(r.httpVersion, '2');
    assert.equal(r.events, 2);
    assert.ok(r.timeline.arrivalUs[1]! >= 29_000, `second event at ${r.timeline.arrivalUs[1]} µs`);
  }
  assert.deepEqual(run.records.map((r) => r.reusedConnection), [false, true]);
});

test('two HTTP/1.1 chunks in one socket read are one read (undici calls back twice)', async (t) => {
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    setTimeout(() => {
      // cork: both chunks (each with its own chunk-size line) leave in one TCP write.
      req.socket.cork();
      res.write('data: {"text":"a"}\n\n');
      res.write('data: {"text":"b"}\n\n');
      process.nextTick(() => req.socket.uncork());
      // 300 ms later: a client read delayed by load cannot take c along with a and b.
      setTimeout(() => res.end('data: {"text":"c"}\n\n'), 300);
    }, 20);
  });
  t.after(() => srv.close());
  const client = new StreamClient(await specFor(srv.url));
  t.after(() => client.close());
  const r = await client.request(0, false);
  assert.equal(r.error, null);
  assert.deepEqual(r.eventsPerRead, [2, 1]);
  assert.deepEqual(r.timeline.read, [0, 0, 1]);
  assert.equal(r.timeline.arrivalUs[0], r.timeline.arrivalUs[1]);
});
