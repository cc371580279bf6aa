import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test, type TestContext } from 'node:test';
import { checkHeaders } from '../src/probe/check-headers.js';
import { doctor, type DoctorOptions } from '../src/probe/doctor.js';
import { runCli, startServeProcess } from './helpers/serve-process.js';
import { startServer } from './helpers/start-server.js';
import { DOCTOR_FLAGS } from './helpers/doctor-flags.js';

function opts(url: string, over: Partial<DoctorOptions> = {}): DoctorOptions {
  return { ...DOCTOR_FLAGS, url, runs: 1, budgetS: 1, ...over };
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' };
const now = () => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
/** Event i, stamped with its production time (`t`, ms), `size` bytes of payload. */
const sse = (i: number, size: number) => `event: chunk\ndata: {"seq":${i},"t":${now()},"text":"${'x'.repeat(size)}"}\n\n`;
const done = (i: number) => `event: done\ndata: {"seq":${i},"t":${now()},"status":"ok"}\n\n`;

/**
 * A node:http server producing `count` events (event i after `gapMs(i)`, `size(i)` bytes), and
 * writing them to the socket by `policy`: hold everything to the end, release every N bytes
 * (splitting events, like a proxy's buffer), or every T ms.
 */
async function bufferingServer(
  t: TestContext,
  policy: { kind: 'end' } | { kind: 'bytes'; n: number } | { kind: 'timer'; ms: number },
  count: number,
  gapMs: (i: number) => number,
  size: (i: number) => number,
): Promise<string> {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    let pending = '';
    let i = 0;
    let timer: NodeJS.Timeout | null = null;
    let ticker: NodeJS.Timeout | null = null;
    const flushBytes = (n: number) => {
      while (Buffer.byteLength(pending) >= n) {
        const buf = Buffer.from(pending);
        res.write(buf.subarray(0, n));
        pending = buf.subarray(n).toString('latin1');
      }
    };
    if (policy.kind === 'timer') {
      ticker = setInterval(() => {
        if (pending !== '') res.write(pending);
        pending = '';
      }, policy.ms);
    }
    const next = () => {
      if (i >= count) {
        pending += done(i);
        if (ticker !== null) clearInterval(ticker);
        res.end(pending);
        return;
      }
      pending += sse(i, size(i));
      i++;
      if (policy.kind === 'bytes') flushBytes(policy.n);
      timer = setTimeout(next, gapMs(i));
    };
    timer = setTimeout(next, gapMs(0));
    res.on('close', () => {
      if (timer !== null) clearTimeout(timer);
      if (ticker !== null) clearInterval(ticker);
    });
  });
  t.after(() => srv.close());
  return `${srv.url}/stream`;
}

test('a server that holds everything to the end: FULLY_BUFFERED by majority of 3 runs', async (t) => {
  const url = await bufferingServer(t, { kind: 'end' }, 40, () => 20, () => 50);
  const r = await doctor(opts(url, { runs: 3 }));
  assert.equal(r.verdict, 'FULLY_BUFFERED', r.reason);
  assert.equal(r.of, 3);
  assert.ok(r.agree >= 2);
  assert.ok(r.classification.evidence.finalShare >= 0.9);
  assert.ok(r.fixes.length > 0);
});

test('a server that releases every 4 KiB: SIZE_THRESHOLD ~4 KiB', async (t) => {
  // Bursty production (fast and slow phases) of varied sizes: the releases follow bytes, not time.
  const gap = (i: number) => (Math.floor(i / 25) % 2 === 0 ? 2 : 12);
  const url = await bufferingServer(t, { kind: 'bytes', n: 4096 }, 240, gap, (i) => 60 + ((i * 131) % 400));
  const r = await doctor(opts(url));
  t.diagnostic(JSON.stringify(r.classification.evidence));
  assert.equal(r.verdict, "SIZE_THRESHOLD", `${r.reason} ${JSON.stringify(r.classification.evidence)}`);
  assert.ok(r.classification.thresholdKiB! >= 3.5 && r.classification.thresholdKiB! <= 4.5, `~${r.classification.thresholdKiB} KiB`);
});

test('a server that flushes every 100 ms: PERIODIC_FLUSH with the interval and the added latency', async (t) => {
  const url = await bufferingServer(t, { kind: 'timer', ms: 100 }, 200, (i) => 5 + (i % 3) * 3, (i) => 20 + ((i * 97) % 500));
  const r = await doctor(opts(url));
  assert.equal(r.verdict, 'PERIODIC_FLUSH', `${r.reason} ${JSON.stringify(r.classification.evidence)}`);
  const T = r.classification.flushIntervalMs!;
  // Timers only fire late: generous bounds on a shared machine.
  assert.ok(T >= 90 && T <= 160, `interval ${T} ms`);
  assert.ok(r.classification.addedFirstContentMs! > 0 && r.classification.addedFirstContentMs! <= 200, `added ${r.classification.addedFirstContentMs}`);
});

test('a server that streams every event: STREAMING, no fixes, no attribution', async (t) => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    let i = 0;
    const timer = setInterval(() => {
      if (i === 30) {
        clearInterval(timer);
        res.end(done(i));
        return;
      }
      res.write(sse(i++, 40));
    }, 15);
    res.on('close', () => clearInterval(timer));
  });
  t.after(() => srv.close());
  const r = await doctor(opts(`${srv.url}/s`, { runs: 2, budgetS: 30 }));
  assert.equal(r.verdict, 'STREAMING', r.reason);
  assert.deepEqual(r.fixes, []);
  assert.deepEqual(r.attribution, []);
});

test('serve --flush-policy guide-before: the backend coalesces ~10 tokens an event, at least 40 characters (SIZE_THRESHOLD); large events pass at once', async (t) => {
  // guide-before is "50 characters, or 100 ms and 40 characters" (docs/protocol.md): no event under
  // 40 characters but the last, whatever the pace, so the source steps find a size threshold; at
  // the ping's 10 ms pace the releases come every ~100 ms.
  const serve = await startServeProcess(['--flush-policy', 'guide-before']);
  t.after(() => serve.stop());
  const r = await doctor(opts(`${serve.url}/send_operation`, { runs: 2, budgetS: 40 }));
  const why = `${r.reason} ${JSON.stringify(r.classification.coalescing)}`;
  assert.equal(r.verdict, 'SIZE_THRESHOLD', why);
  assert.ok(r.classification.rule === 'size' || r.classification.rule === 'timer+size', why);
  assert.ok(r.classification.thresholdChars! >= 36 && r.classification.thresholdChars! <= 52, why);
  const co = r.classification.coalescing!;
  assert.ok(co.tokensPerEvent >= 8 && co.tokensPerEvent <= 14, why);
  assert.ok(co.intervalMs! >= 80 && co.intervalMs! <= 170, `interval ${co.intervalMs} ms`);
  assert.ok(r.classification.addedFirstContentMs! >= 50, `first content waited ${r.classification.addedFirstContentMs} ms`);
  const size = r.attribution.find((s) => s.id === 'event-size');
  assert.equal(size?.implicates, 'size', 'large events passing at once is the size-threshold evidence');
  assert.equal(r.fixes[0]?.id, 'flush-per-event');
  assert.ok(!r.fixes.some((f) => f.id === 'gzip-off'), 'the compression step cleared compression');
});

test('serve --flush-policy guide-after: the backend coalesces ~5 tokens an event, ~50 ms apart', async (t) => {
  // "20 characters, or 50 ms and 15 characters": at 10 ms a token both rules fire together, so one
  // run may call it a size threshold or a steady timer-or-size; either way the content shows it.
  const serve = await startServeProcess(['--flush-policy', 'guide-after']);
  t.after(() => serve.stop());
  const r = await doctor(opts(`${serve.url}/send_operation`, { runs: 1 }));
  const why = `${r.reason} ${JSON.stringify(r.classification.coalescing)}`;
  assert.ok(r.verdict === 'PERIODIC_FLUSH' || r.verdict === 'SIZE_THRESHOLD', why);
  assert.notEqual(r.classification.rule, null, why);
  const co = r.classification.coalescing!;
  assert.ok(co.tokensPerEvent >= 3 && co.tokensPerEvent <= 7, why);
  assert.ok(co.intervalMs! >= 40 && co.intervalMs! <= 100, `interval ${co.intervalMs} ms`);
});

test('doctor CLI: exit 1 on a buffering verdict, JSON on stdout; exit 3 when nothing answers; 2 on a bad flag', async (t) => {
  const url = await bufferingServer(t, { kind: 'end' }, 30, () => 15, () => 30);
  const r = await runCli(['doctor', url, '--runs', '1', '--budget-s', '1', '--json'], 60_000);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { command: string; verdict: string };
  assert.equal(doc.command, 'doctor');
  assert.equal(doc.verdict, 'FULLY_BUFFERED');
  // A port nobody listens on.
  const dead = createNetServer();
  await new Promise<void>((res) => dead.listen(0, '127.0.0.1', res));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((res) => dead.close(() => res()));
  const none = await runCli(['doctor', `http://127.0.0.1:${port}/x`, '--runs', '1'], 30_000);
  assert.equal(none.code, 3, none.stderr);
  assert.match(none.stderr, /nothing measured/);
  assert.equal((await runCli(['doctor', url, '--runs', '0'])).code, 2);
});

test('check-headers: an HTTP/1.0 backend with text/plain and no Cache-Control fails with exit 1', async (t) => {
  // node:http always answers HTTP/1.1: a raw socket server speaks 1.0 as old backends do.
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n');
      let i = 0;
      const timer = setInterval(() => {
        if (i === 5) {
          clearInterval(timer);
          socket.end();
          return;
        }
        socket.write(sse(i++, 10));
      }, 20);
      socket.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  const r = await checkHeaders({ ...DOCTOR_FLAGS, url, idleWindowS: 20, strict: false });
  const fail = (id: string) => r.findings.find((f) => f.id === id)?.outcome;
  assert.equal(r.response.statusLineVersion, 'HTTP/1.0');
  assert.equal(fail('http-1.0'), 'fail');
  assert.equal(fail('content-type'), 'fail');
  assert.equal(fail('cache-control-no-cache'), 'fail');
  assert.deepEqual([...r.failing].sort(), ['cache-control-no-cache', 'content-type', 'http-1.0']);
  const cli = await runCli(['check-headers', url, '--json']);
  assert.equal(cli.code, 1, cli.stderr);
  assert.equal((JSON.parse(cli.stdout) as { command: string }).command, 'check-headers');
});

test('check-headers: headers withheld until a late first event, and a healthy stream exits 0', async (t) => {
  const late = await startServer((_req, res) => {
    const timer = setTimeout(() => {
      res.writeHead(200, { ...SSE_HEADERS, 'cache-control': 'no-cache, no-store, no-transform', 'x-accel-buffering': 'no' });
      res.end(sse(0, 5) + done(1));
    }, 250);
    res.on('close', () => clearTimeout(timer));
  });
  t.after(() => late.close());
  const r = await checkHeaders({ ...DOCTOR_FLAGS, url: `${late.url}/s`, idleWindowS: 20, strict: false });
  assert.equal(r.findings.find((f) => f.id === 'headers-withheld')?.outcome, 'fail', JSON.stringify(r.response));
  const serve = await startServeProcess([]);
  t.after(() => serve.stop());
  // The first event 300 ms late, so the headers rule is judged (and passes: serve sends headers at once).
  const late300 = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: 5, first_delay_ms: 300 }, lang: 'en' });
  const ok = await runCli(['check-headers', `${serve.url}/send_operation`, '--strict', '--body', late300]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /no failing rule/);
  assert.match(ok.stdout, /ok\s+│ headers-withheld/);
});


test('doctor: too few events is INCONCLUSIVE, exit 0, and 1 with --strict', async (t) => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, SSE_HEADERS);
    res.end(sse(0, 5) + done(1));
  });
  t.after(() => srv.close());
  const r = await doctor(opts(`${srv.url}/s`));
  assert.equal(r.verdict, 'INCONCLUSIVE');
  assert.match(r.classification.needed ?? '', /at least 6 events/);
  const plain = await runCli(['doctor', `${srv.url}/s`, '--runs', '1', '--budget-s', '1']);
  assert.equal(plain.code, 0, plain.stdout);
  assert.match(plain.stdout, /to be conclusive/);
  const strict = await runCli(['doctor', `${srv.url}/s`, '--runs', '1', '--budget-s', '1', '--strict']);
  assert.equal(strict.code, 1, strict.stdout);
});

test('check-headers: a stream idle past --idle-window-s warns without heartbeats and passes with them', async (t) => {
  const idle = (heartbeat: boolean) =>
    startServer((_req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write(sse(0, 5));
      const hb = heartbeat ? setInterval(() => res.write(': hb\n\n'), 300) : null;
      const timer = setTimeout(() => {
        if (hb !== null) clearInterval(hb);
        res.end(sse(1, 5) + done(2));
      }, 1600);
      res.on('close', () => {
        clearTimeout(timer);
        if (hb !== null) clearInterval(hb);
      });
    });
  const silent = await idle(false);
  t.after(() => silent.close());
  const beating = await idle(true);
  t.after(() => beating.close());
  const a = await checkHeaders({ ...DOCTOR_FLAGS, url: `${silent.url}/s`, idleWindowS: 1, strict: false });
  assert.equal(a.findings.find((f) => f.id === 'heartbeat')?.outcome, 'fail');
  const b = await checkHeaders({ ...DOCTOR_FLAGS, url: `${beating.url}/s`, idleWindowS: 1, strict: false });
  assert.equal(b.findings.find((f) => f.id === 'heartbeat')?.outcome, 'pass', JSON.stringify(b.findings.find((f) => f.id === 'heartbeat')));
  const skipped = await checkHeaders({ ...DOCTOR_FLAGS, url: `${silent.url}/s`, idleWindowS: 20, strict: false });
  assert.equal(skipped.findings.find((f) => f.id === 'heartbeat')?.outcome, 'skip');
});
