import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { test, type TestContext } from 'node:test';
import zlib from 'node:zlib';
import { checkHeaders } from '../src/probe/check-headers.js';
import { doctor } from '../src/probe/doctor.js';
import { runBench } from '../src/probe/run-bench.js';
import { negotiateEncoding } from '../src/server/compress-sink.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import type { ServerOptions } from '../src/server/server-options.js';
import { specFor, TEST_FLAGS } from './helpers/bench-spec.js';

const EVENTS = 5;
// 200 ms apart: a read delayed by load cannot take two flushed events along.
const PING = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: EVENTS, interval_ms: 200, token: 'token '.repeat(20) }, lang: 'en' });

async function withServer(t: TestContext, opts: Partial<ServerOptions>): Promise<RunningServer> {
  const server = await startServer({ port: 0, logLevel: 'silent', ...opts });
  t.after(() => server.shutdown(0));
  return server;
}

interface Decoded {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Decoded text of each socket read, with its arrival time. */
  reads: Array<{ at: number; text: string }>;
}

/**
 * A real client: node:http and zlib's own decompressor, fed one socket read at a time (each read
 * flushed with Z_SYNC_FLUSH / BROTLI_OPERATION_FLUSH so everything it completes comes out with it).
 */
function decodedRequest(url: string, acceptEncoding: string): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/send_operation`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': acceptEncoding } }, (res) => {
      const enc = res.headers['content-encoding'];
      const z =
        enc === 'gzip'
          ? zlib.createGunzip()
          : enc === 'br'
            ? zlib.createBrotliDecompress()
            : null;
      const reads: Decoded['reads'] = [];
      const queue: Buffer[] = [];
      let busy = false;
      let ended = false;
      const pump = () => {
        if (busy) return;
        const chunk = queue.shift();
        if (chunk === undefined) {
          if (ended) resolve({ status: res.statusCode ?? 0, headers: res.headers, reads });
          return;
        }
        const at = performance.now();
        if (z === null) {
          reads.push({ at, text: chunk.toString('utf8') });
          pump();
          return;
        }
        busy = true;
        let text = '';
        const onData = (d: Buffer) => (text += d.toString('utf8'));
        z.on('data', onData);
        z.write(chunk, () => {
          z.flush(enc === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH, () => {
            z.removeListener('data', onData);
            if (text !== '') reads.push({ at, text });
            busy = false;
            pump();
          });
        });
      };
      res.on('data', (c: Buffer) => {
        queue.push(c);
        pump();
      });
      res.on('end', () => {
        ended = true;
        pump();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(PING);
  });
}

test('negotiation: the configured encoding when accepted, br before gzip for auto, identity otherwise', () => {
  assert.equal(negotiateEncoding('off', 'gzip, br'), null);
  assert.equal(negotiateEncoding('auto', 'gzip, deflate, br'), 'br');
  assert.equal(negotiateEncoding('auto', 'gzip'), 'gzip');
  assert.equal(negotiateEncoding('auto', 'br;q=0, gzip'), 'gzip');
  assert.equal(negotiateEncoding('auto', 'gzip;q=1, br;q=0.5'), 'gzip');
  assert.equal(negotiateEncoding('gzip', 'br'), null);
  assert.equal(negotiateEncoding('br', '*'), 'br');
  assert.equal(negotiateEncoding('gzip', 'identity'), null);
  assert.equal(negotiateEncoding('gzip', undefined), null);
});

for (const encoding of ['gzip', 'br'] as const) {
  test(`--compress ${encoding}: Content-Encoding and Vary set, every event decoded in its own read`, async (t) => {
    const server = await withServer(t, { compress: encoding });
    const res = await decodedRequest(server.url, 'gzip, deflate, br');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], encoding);
    assert.match(String(res.headers['vary']), /Accept-Encoding/);
    const text = res.reads.map((r) => r.text).join('');
    const events = text.split('\n\n').filter((e) => e !== '');
    assert.equal(events.length, EVENTS + 1, text.slice(0, 300));
    assert.match(events.at(-1)!, /^event: done\ndata: \{"seq":5,/);
    // Each read decodes to whole events, and each chunk event came in a read of its own.
    const chunkReads = res.reads.filter((r) => r.text.includes('event: chunk'));
    t.diagnostic(`${encoding}: ${res.reads.length} reads, events per read ${res.reads.map((r) => r.text.split('\n\n').length - 1).join(' ')}`);
    assert.ok(chunkReads.length >= EVENTS - 1, `chunk events in ${chunkReads.length} reads`);
    for (const r of res.reads) assert.ok(r.text.endsWith('\n\n'), `a read ends on an event boundary: ${JSON.stringify(r.text.slice(-20))}`);

    // The probe's decoder agrees, and the wire is smaller than the text.
    const run = await runBench(await specFor(`${server.url}/send_operation`, { body: PING }), { requests: 1, warmup: 0 });
    const r = run.records[0]!;
    assert.equal(r.error, null);
    assert.equal(r.contentEncoding, encoding);
    assert.equal(r.events, EVENTS + 1);
    assert.ok(r.wireBytes < r.bytes, `wire ${r.wireBytes} < decoded ${r.bytes}`);
    assert.ok(new Set(r.timeline.read).size >= EVENTS - 1, `reads ${r.timeline.read.join(',')}`);

    // check-headers judges it by what arrived: a flushed compressed stream is information, not an error.
    const checked = await checkHeaders({ ...TEST_FLAGS, url: `${server.url}/send_operation`, body: PING, idleWindowS: 20, strict: true });
    const ce = checked.findings.find((f) => f.id === 'content-encoding');
    assert.deepEqual([ce?.severity, ce?.outcome], ['info', 'note'], ce?.seen);
    assert.ok(!checked.failing.includes('content-encoding'));
  });
}

test('--compress gzip: a client that does not accept it gets identity, with Vary', async (t) => {
  const server = await withServer(t, { compress: 'gzip' });
  const res = await decodedRequest(server.url, 'identity');
  assert.equal(res.headers['content-encoding'], undefined);
  assert.match(String(res.headers['vary']), /Accept-Encoding/);
  assert.equal(res.reads.map((r) => r.text).join('').split('\n\n').filter((e) => e !== '').length, EVENTS + 1);
  // --compress off (the default) sends no Vary on Accept-Encoding.
  const plain = await withServer(t, {});
  const off = await decodedRequest(plain.url, 'gzip, br');
  assert.equal(off.headers['content-encoding'], undefined);
  assert.equal(off.headers['vary'], undefined);
});

test('doctor names a compressed stream flushed per event STREAMING, and says why', async (t) => {
  const server = await withServer(t, { compress: 'br' });
  const result = await doctor({ ...TEST_FLAGS, url: `${server.url}/send_operation`, runs: 3, budgetS: 0 });
  assert.equal(result.runs[0]?.contentEncoding, 'br');
  assert.equal(result.verdict, 'STREAMING', `${result.reason} (${result.runs.map((r) => `${r.verdict}/${r.reads}`).join(', ')})`);
  assert.match(result.reason, /compressed \(br\) and flushed per event/);
  assert.deepEqual(result.fixes, []);
});
