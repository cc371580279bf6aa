import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHeaderRules, failingFindings, isH2ProtocolReset, recogniseIntermediaries, type HeaderObservation } from '../src/probe/header-rules.js';

/** A healthy recorded response; each test changes one thing. */
function obs(over: Partial<HeaderObservation> = {}): HeaderObservation {
  return {
    url: 'http://127.0.0.1:18600/send_operation',
    httpVersion: '1.1',
    statusLineVersion: 'HTTP/1.1',
    status: 200,
    headers: [
      ['content-type', 'text/event-stream; charset=utf-8'],
      ['cache-control', 'no-cache, no-store, must-revalidate, no-transform'],
      ['x-accel-buffering', 'no'],
      ['connection', 'keep-alive'],
      ['transfer-encoding', 'chunked'],
    ],
    error: null,
    headersMs: 3,
    firstEventMs: 25,
    endMs: 1000,
    eventMs: [25, 45, 65, 1000],
    chunkMs: [25, 45, 65, 1000],
    heartbeats: 0,
    idleWindowS: 20,
    direct: null,
    ...over,
  };
}
const get = (o: HeaderObservation, id: string) => {
  const f = checkHeaderRules(o).find((x) => x.id === id);
  assert.ok(f !== undefined, `rule ${id} missing`);
  return f;
};

test('a healthy stream fails no rule', () => {
  const findings = checkHeaderRules(obs());
  assert.deepEqual(failingFindings(findings, true).map((f) => f.id), []);
  for (const f of findings) assert.ok(f.why.length > 10 && f.seen.length > 0, f.id);
});

test('HTTP/2: a PROTOCOL_ERROR reset right after the headers is the forbidden-header error (inferred)', () => {
  // As undici reports nghttp2 resetting a response that carried `Connection: keep-alive`.
  const recorded = obs({
    httpVersion: '2',
    statusLineVersion: null,
    status: null,
    headers: [],
    firstEventMs: null,
    eventMs: [],
    chunkMs: [],
    error: { kind: 'protocol', message: 'HTTP/2: "stream error" received - code 1 (NGHTTP2_PROTOCOL_ERROR)' },
  });
  const f = get(recorded, 'h2-connection-header');
  assert.equal(f.outcome, 'fail');
  assert.equal(f.severity, 'error');
  assert.match(f.why, /RFC 9113 §8\.2\.2/);
  assert.equal(f.fix?.id, 'no-connection-headers-h2');
  assert.ok(failingFindings(checkHeaderRules(recorded), false).some((x) => x.id === 'h2-connection-header'));
  // Headers delivered, then the reset before any event: still inferred.
  const afterHeaders = obs({ httpVersion: '2', statusLineVersion: null, firstEventMs: null, eventMs: [], error: { kind: 'reset', message: 'Stream closed with error code NGHTTP2_PROTOCOL_ERROR' } });
  assert.equal(get(afterHeaders, 'h2-connection-header').outcome, 'fail');
  // A reset for another reason, or late in the stream, is not this rule.
  assert.equal(get(obs({ httpVersion: '2', error: { kind: 'reset', message: 'NGHTTP2_CANCEL' }, firstEventMs: null }), 'h2-connection-header').outcome, 'pass');
  assert.equal(get(obs({ httpVersion: '2', error: { kind: 'protocol', message: 'NGHTTP2_PROTOCOL_ERROR' } }), 'h2-connection-header').outcome, 'pass');
  assert.equal(isH2ProtocolReset({ kind: 'http_status', message: 'HTTP 500' }), false);
});

test('errors: status, Content-Type (text/plain of the old backend), Content-Length, Cache-Control without no-cache, HTTP/1.0', () => {
  assert.equal(get(obs({ status: 502 }), 'status-200').outcome, 'fail');
  const plain = obs({ headers: [['content-type', 'text/plain; charset=utf-8']] });
  const f = get(plain, 'content-type');
  assert.equal(f.outcome, 'fail');
  assert.equal(f.severity, 'error');
  assert.ok(f.fix!.snippets.starlette !== undefined && f.fix!.snippets.express !== undefined);
  assert.equal(get(obs({ headers: [['content-type', 'application/x-ndjson']] }), 'content-type').outcome, 'pass');
  assert.equal(get(obs({ headers: [['content-type', 'text/event-stream'], ['content-length', '1234']] }), 'content-length').outcome, 'fail');
  assert.equal(get(obs({ headers: [['content-type', 'text/event-stream'], ['cache-control', 'max-age=60']] }), 'cache-control-no-cache').outcome, 'fail');
  const h10 = get(obs({ statusLineVersion: 'HTTP/1.0' }), 'http-1.0');
  assert.equal(h10.outcome, 'fail');
  assert.equal(h10.severity, 'error');
  const ids = failingFindings(checkHeaderRules(plain), false).map((x) => x.id);
  assert.deepEqual(ids.sort(), ['cache-control-no-cache', 'content-type']);
});

test('warnings and notes: charset, no-transform, no-store, Pragma/Expires, Content-Encoding, Connection: close', () => {
  assert.equal(get(obs({ headers: [['content-type', 'text/event-stream; charset=iso-8859-1']] }), 'charset').outcome, 'fail');
  const noTransform = obs({ headers: [['content-type', 'text/event-stream'], ['cache-control', 'no-cache']] });
  assert.equal(get(noTransform, 'cache-control-no-transform').severity, 'warn');
  assert.equal(get(noTransform, 'cache-control-no-transform').outcome, 'fail');
  assert.equal(get(noTransform, 'cache-control-no-store').severity, 'info');
  // warnings fail only with --strict
  assert.equal(failingFindings(checkHeaderRules(noTransform), false).length, 0);
  assert.ok(failingFindings(checkHeaderRules(noTransform), true).some((f) => f.id === 'cache-control-no-transform'));
  const pragma = get(obs({ headers: [...obs().headers, ['pragma', 'no-cache'], ['expires', '0']] }), 'pragma-expires');
  assert.equal(pragma.outcome, 'note');
  // Content-Encoding is judged by what arrived: all at the end is a compressor holding the stream ...
  const gz = get(obs({ headers: [...obs().headers, ['content-encoding', 'gzip']], eventMs: [1000, 1000, 1000, 1000] }), 'content-encoding');
  assert.equal(gz.outcome, 'fail');
  assert.equal(gz.fix?.id, 'gzip-off');
  // ... one arrival per event is a compressor flushed per event: information, not an error (issue 28).
  const flushed = get(obs({ headers: [...obs().headers, ['content-encoding', 'br']] }), 'content-encoding');
  assert.deepEqual([flushed.severity, flushed.outcome], ['info', 'note']);
  assert.match(flushed.seen, /flushed per event \(4 events in 4 arrivals\)/);
  // too few events to tell: still the warning
  assert.equal(get(obs({ headers: [...obs().headers, ['content-encoding', 'gzip']], eventMs: [25, 1000] }), 'content-encoding').outcome, 'fail');
  assert.equal(get(obs({ headers: [['content-type', 'text/event-stream'], ['connection', 'close']] }), 'connection-close').outcome, 'fail');
});

test('X-Accel-Buffering: absent through a proxy proves nothing; judged on the backend with --direct', () => {
  const proxied = obs({ headers: [['server', 'nginx/1.22.1'], ['content-type', 'text/event-stream'], ['cache-control', 'no-cache']] });
  const skipped = get(proxied, 'x-accel-buffering');
  assert.equal(skipped.outcome, 'skip');
  assert.match(skipped.why, /proves nothing/);
  const withDirect = { ...proxied, direct: obs() };
  assert.equal(get(withDirect, 'x-accel-buffering').outcome, 'pass');
  const directWithout = { ...proxied, direct: obs({ headers: [['content-type', 'text/event-stream']] }) };
  assert.equal(get(directWithout, 'x-accel-buffering').outcome, 'fail');
});

test('headers withheld until the first event: judged only when the first event is ≥ 100 ms late', () => {
  assert.equal(get(obs({ headersMs: 400, firstEventMs: 402 }), 'headers-withheld').outcome, 'fail');
  assert.equal(get(obs({ headersMs: 2, firstEventMs: 402 }), 'headers-withheld').outcome, 'pass');
  assert.equal(get(obs({ headersMs: 50, firstEventMs: 52 }), 'headers-withheld').outcome, 'skip');
});

test('heartbeat: silent idle stream warns, heartbeats pass, short streams skip', () => {
  const silent = obs({ eventMs: [10, 30_000], chunkMs: [10, 30_000], endMs: 30_001, firstEventMs: 10 });
  assert.equal(get(silent, 'heartbeat').outcome, 'fail');
  const beating = obs({ eventMs: [10, 30_000], chunkMs: [10, 15_000, 30_000], heartbeats: 1, endMs: 30_001, firstEventMs: 10 });
  assert.equal(get(beating, 'heartbeat').outcome, 'pass');
  assert.equal(get(obs(), 'heartbeat').outcome, 'skip');
  assert.equal(get({ ...silent, idleWindowS: 60 }, 'heartbeat').outcome, 'skip');
});

test('intermediaries are recognised from their headers, each with its buffering knob', () => {
  const seen = recogniseIntermediaries([
    ['server', 'cloudflare'],
    ['cf-ray', '8a1b2c3d4e5f-AMS'],
    ['via', '1.1 abc.cloudfront.net (CloudFront)'],
    ['x-amz-cf-id', 'xyz'],
    ['x-envoy-upstream-service-time', '12'],
    ['x-vercel-id', 'fra1::abc'],
  ]);
  assert.deepEqual(seen.map((p) => p.name), ['Cloudflare', 'Amazon CloudFront', 'Envoy', 'Vercel']);
  assert.equal(recogniseIntermediaries([['server', 'Caddy']])[0]?.name, 'Caddy');
  assert.match(recogniseIntermediaries([['server', 'nginx/1.22.1']])[0]!.knob, /proxy_buffering off/);
  const notes = checkHeaderRules(obs({ headers: [...obs().headers, ['server', 'nginx']] })).filter((f) => f.id === 'intermediary');
  assert.equal(notes.length, 1);
});
