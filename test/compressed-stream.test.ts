import assert from 'node:assert/strict';
import type http from 'node:http';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { runBench } from '../src/probe/run-bench.js';
import { specFor } from './helpers/bench-spec.js';
import { startServer } from './helpers/start-server.js';

const EVENTS = 4;
// 200 ms: a read delayed by load cannot take two flushed events along (it would need a 200 ms stall).
const INTERVAL = 200;

function compressor(encoding: string): zlib.Gzip | zlib.Deflate | zlib.BrotliCompress {
  if (encoding === 'gzip') return zlib.createGzip();
  if (encoding === 'deflate') return zlib.createDeflate();
  return zlib.createBrotliCompress();
}

/** Writes EVENTS events INTERVAL ms apart through a compressor; flushes after each when asked. */
function compressedStream(encoding: string, flushEach: boolean) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': encoding });
    res.flushHeaders();
    const z = compressor(encoding);
    z.pipe(res);
    let i = 0;
    let timer: NodeJS.Timeout | null = null;
    const next = () => {
      if (i === EVENTS) {
        z.end();
        return;
      }
      z.write(`event: chunk\ndata: {"seq":${i},"text":"${'token '.repeat(20)}"}\n\n`);
      i++;
      // The next event is timed from when this one left the compressor (zlib works off-thread).
      if (flushEach) z.flush(() => (timer = setTimeout(next, INTERVAL)));
      else timer = setTimeout(next, INTERVAL);
    };
    res.on('close', () => {
      if (timer !== null) clearTimeout(timer);
    });
    next();
  };
}

for (const encoding of ['gzip', 'deflate', 'br']) {
  test(`${encoding} flushed per event arrives per event`, async (t) => {
    const srv = await startServer(compressedStream(encoding, true));
    t.after(() => srv.close());
    const run = await runBench(await specFor(srv.url), { requests: 2, warmup: 0 });
    for (const r of run.records) {
      assert.equal(r.error, null);
      assert.equal(r.contentEncoding, encoding);
      assert.equal(r.events, EVENTS);
      assert.ok(r.bytes > r.wireBytes, `decoded ${r.bytes} > wire ${r.wireBytes}`);
      // One read per flushed event; one merged pair is tolerated. The holding compressor below
      // gives at most 2, so this still tells the two apart.
      const reads = new Set(r.timeline.read);
      assert.ok(reads.size >= EVENTS - 1, `events in reads ${r.timeline.read.join(',')}`);
      const a = r.timeline.arrivalUs;
      // Event i leaves the compressor no earlier than i × INTERVAL after the stream began.
      for (let i = 1; i < a.length; i++) assert.ok(a[i]! >= (i * INTERVAL - 1) * 1000, `event ${i} at ${a[i]} µs`);
    }
  });
}

test('a compressor that holds data shows it: every event arrives with the end of the stream', async (t) => {
  const srv = await startServer(compressedStream('gzip', false));
  t.after(() => srv.close());
  const [r] = (await runBench(await specFor(srv.url), { requests: 1, warmup: 0 })).records;
  assert.equal(r!.error, null);
  assert.equal(r!.events, EVENTS);
  // All events were produced (EVENTS-1) × INTERVAL ms apart, but none left the compressor early.
  assert.ok(new Set(r!.timeline.read).size <= 2, `reads ${r!.timeline.read.join(',')}`);
  assert.ok(r!.firstContentUs! >= (EVENTS - 1) * (INTERVAL - 2) * 1000, `first content ${r!.firstContentUs} µs`);
});

test('a corrupt gzip body is undecodable_encoding', async (t) => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
    res.end(Buffer.from('this is not gzip at all\n\n'));
  });
  t.after(() => srv.close());
  const [r] = (await runBench(await specFor(srv.url), { requests: 1, warmup: 0 })).records;
  assert.equal(r!.error?.kind, 'undecodable_encoding');
});

test('a large fast gzip stream decodes completely (the socket pauses while zlib catches up)', async (t) => {
  const events = 20_000;
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
    const z = zlib.createGzip({ level: 1 });
    z.pipe(res);
    for (let i = 0; i < events; i++) {
      z.write(`data: {"seq":${i},"text":"${'x'.repeat(200)}"}\n\n`);
      if (i % 50 === 0) z.flush();
    }
    z.end();
  });
  t.after(() => srv.close());
  const [r] = (await runBench(await specFor(srv.url), { requests: 1, warmup: 0 })).records;
  assert.equal(r!.error, null);
  assert.equal(r!.events, events);
  assert.equal(r!.contentEvents, events);
  // Arrivals never go backwards, whatever order zlib's callbacks come in.
  const a = r!.timeline.arrivalUs;
  for (let i = 1; i < a.length; i++) assert.ok(a[i]! >= a[i - 1]!);
});
