import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { checkHeaders } from '../src/probe/check-headers.js';
import { doctor, type DoctorOptions } from '../src/probe/doctor.js';
import { requireNginx, startNginx } from './helpers/nginx.js';
import { runCli, startServeProcess } from './helpers/serve-process.js';
import { DOCTOR_FLAGS } from './helpers/doctor-flags.js';

/**
 * doctor and check-headers through a real nginx 1.22 in front of the embedded server (adaptive
 * policy: every event written at once). Each set-up is judged by what it measurably does.
 * serve sends X-Accel-Buffering: no, so the buffering set-ups ignore it (proxy_ignore_headers),
 * as a proxy someone else runs may.
 */
/** 20 events 20 ms apart: ~1.9 KB, less than one of nginx's 4 KiB buffers. */
const SHORT_PING = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: 20, interval_ms: 20 }, lang: 'en' });

const SETUPS = {
  bufferingHttp10: 'proxy_buffering on;\n            proxy_ignore_headers X-Accel-Buffering;',
  bufferingOff: 'proxy_buffering off;\n            proxy_http_version 1.1;',
  gzipBuffering:
    'proxy_buffering on;\n            proxy_http_version 1.1;\n            proxy_ignore_headers X-Accel-Buffering;\n' +
    '            gzip on;\n            gzip_types text/event-stream;\n            gzip_min_length 0;',
  http10Unbuffered: 'proxy_buffering off;\n            proxy_http_version 1.0;',
} as const;

interface Path {
  proxy: string;
  direct: string;
}

/** serve + nginx with one location body; both stopped after the test, even on failure. */
async function throughNginx(t: TestContext, location: string): Promise<Path | null> {
  const nginx = requireNginx(t);
  if (nginx === null) return null;
  const serve = await startServeProcess([]);
  t.after(() => serve.stop());
  const upstream = new URL(serve.url).host;
  const proxy = await startNginx({
    nginx,
    config: (port) =>
      `    server {\n        listen 127.0.0.1:${port};\n        location / {\n            proxy_pass http://${upstream};\n            ${location}\n        }\n    }\n`,
  });
  t.after(() => proxy.stop());
  return { proxy: `http://127.0.0.1:${proxy.port}/send_operation`, direct: `${serve.url}/send_operation` };
}

const opts = (url: string, over: Partial<DoctorOptions> = {}): DoctorOptions => ({ ...DOCTOR_FLAGS, url, runs: 3, budgetS: 50, ...over });
const outcome = (r: Awaited<ReturnType<typeof checkHeaders>>, id: string) => r.findings.find((f) => f.id === id)?.outcome;

test('nginx, proxy_buffering on, HTTP/1.0 upstream: a short stream is FULLY_BUFFERED, headers withheld', async (t) => {
  const p = await throughNginx(t, SETUPS.bufferingHttp10);
  if (p === null) return;
  const r = await doctor(opts(p.proxy, { body: SHORT_PING, direct: p.direct }));
  assert.equal(r.verdict, 'FULLY_BUFFERED', `${r.reason} ${JSON.stringify(r.runs)}`);
  assert.equal(r.attribution.find((s) => s.id === 'direct')?.implicates, 'path');
  assert.equal(r.fixes[0]?.id, 'proxy-buffering-off');
  assert.ok(r.intermediaries.some((i) => i.name === 'nginx'));
  const h = await checkHeaders({ ...DOCTOR_FLAGS, url: p.proxy, body: SHORT_PING, idleWindowS: 20, strict: false });
  assert.equal(outcome(h, 'headers-withheld'), 'fail', JSON.stringify(h.response));
  assert.equal(outcome(h, 'x-accel-buffering'), 'skip', 'nginx consumed it: its absence proves nothing');
  assert.ok(h.findings.some((f) => f.id === 'intermediary' && /nginx/.test(f.seen)));
  const hd = await checkHeaders({ ...DOCTOR_FLAGS, url: p.proxy, direct: p.direct, body: SHORT_PING, idleWindowS: 20, strict: false });
  assert.equal(outcome(hd, 'x-accel-buffering'), 'pass', 'the backend sends X-Accel-Buffering: no');
});

test('nginx, proxy_buffering on, HTTP/1.0 upstream: a long stream releases every ~4 KiB (SIZE_THRESHOLD)', async (t) => {
  const p = await throughNginx(t, SETUPS.bufferingHttp10);
  if (p === null) return;
  const started = Date.now();
  const r = await doctor(opts(p.proxy, { direct: p.direct }));
  assert.ok(Date.now() - started < 60_000, 'doctor stays under a minute by default');
  assert.equal(r.verdict, 'SIZE_THRESHOLD', `${r.reason} ${JSON.stringify(r.classification.evidence)}`);
  assert.ok(r.classification.thresholdKiB! >= 3 && r.classification.thresholdKiB! <= 8.5, `~${r.classification.thresholdKiB} KiB`);
  assert.equal(r.attribution.find((s) => s.id === 'direct')?.verdict, 'STREAMING');
  assert.equal(r.fixes[0]?.id, 'proxy-buffering-off');
});

test('nginx, proxy_buffering off: STREAMING (exit 0), check-headers passes --strict', async (t) => {
  const p = await throughNginx(t, SETUPS.bufferingOff);
  if (p === null) return;
  const r = await doctor(opts(p.proxy, { runs: 2 }));
  assert.equal(r.verdict, 'STREAMING', r.reason);
  const cli = await runCli(['doctor', p.proxy, '--runs', '1'], 60_000);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /STREAMING/);
  // The first token 300 ms after the headers: "headers withheld" is judged on a real gap, not on a
  // default ping whose first token follows the headers at once and arrives ≥ 100 ms late only
  // because the machine is loaded.
  const body = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: 5, interval_ms: 20, first_delay_ms: 300 }, lang: 'en' });
  const h = await runCli(['check-headers', p.proxy, '--body', body, '--strict', '--json']);
  assert.equal(h.code, 0, h.stdout);
  const withheld = (JSON.parse(h.stdout) as { findings: Array<{ id: string; outcome: string }> }).findings.find((f) => f.id === 'headers-withheld');
  assert.equal(withheld?.outcome, 'pass', 'headers came before the first event and were judged so');
});

test('nginx, gzip on for text/event-stream with buffering on: the client asking for gzip gets everything at the end', async (t) => {
  const p = await throughNginx(t, SETUPS.gzipBuffering);
  if (p === null) return;
  const r = await doctor(opts(p.proxy, { body: SHORT_PING, runs: 2 }));
  assert.equal(r.verdict, 'FULLY_BUFFERED', `${r.reason} ${JSON.stringify(r.runs)}`);
  assert.equal(r.runs[0]?.contentEncoding, 'gzip');
  const compression = r.attribution.find((s) => s.id === 'compression');
  assert.equal(compression?.verdict, 'STREAMING');
  assert.equal(compression?.implicates, 'compression');
  assert.equal(r.fixes[0]?.id, 'gzip-off');
  const h = await checkHeaders({ ...DOCTOR_FLAGS, url: p.proxy, body: SHORT_PING, idleWindowS: 20, strict: false });
  assert.equal(outcome(h, 'content-encoding'), 'fail');
  assert.equal(outcome(h, 'headers-withheld'), 'fail', 'gzip + buffering: headers come with the events at the end');
});

test('nginx, gzip on for text/event-stream with buffering on: a client not asking for gzip streams', async (t) => {
  const p = await throughNginx(t, SETUPS.gzipBuffering);
  if (p === null) return;
  const r = await doctor(opts(p.proxy, { body: SHORT_PING, identity: true, runs: 2 }));
  assert.equal(r.verdict, 'STREAMING', r.reason);
  assert.equal(r.runs[0]?.contentEncoding, '');
  const h = await checkHeaders({ ...DOCTOR_FLAGS, url: p.proxy, identity: true, body: SHORT_PING, idleWindowS: 20, strict: false });
  assert.equal(outcome(h, 'content-encoding'), 'pass');
  const cli = await runCli(['doctor', p.proxy, '--identity', '--body', SHORT_PING, '--runs', '1']);
  assert.equal(cli.code, 0, cli.stdout);
});

test('nginx, proxy_http_version 1.0 with buffering off: measured STREAMING (the 1.0 upstream alone does not hold events)', async (t) => {
  const p = await throughNginx(t, SETUPS.http10Unbuffered);
  if (p === null) return;
  const r = await doctor(opts(p.proxy, { body: SHORT_PING, runs: 2 }));
  assert.equal(r.verdict, 'STREAMING', `${r.reason} ${JSON.stringify(r.runs)}`);
  const h = await checkHeaders({ ...DOCTOR_FLAGS, url: p.proxy, body: SHORT_PING, idleWindowS: 20, strict: false });
  // nginx answers the client in HTTP/1.1 whatever it speaks upstream.
  assert.equal(h.response.statusLineVersion, 'HTTP/1.1');
  assert.equal(outcome(h, 'http-1.0'), 'pass');
});
