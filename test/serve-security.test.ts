import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../src/model/errors.js';
import { hostnameOf, isLoopbackHost } from '../src/server/access.js';
import { startServer } from '../src/server/serve.js';
import { JSON_HEADERS, pingBody, rawRequest } from './helpers/raw-http.js';
import { runCli, startServeProcess } from './helpers/serve-process.js';

const TOKEN = 's3cret-token-for-tests-7f3a';
const codeOf = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

test('with a token: missing or wrong → 401 NBS_UNAUTHORIZED, right → stream; /healthz stays open', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', token: TOKEN });
  t.after(() => server.shutdown(0));
  const post = (auth?: string) =>
    rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, ...(auth === undefined ? {} : { authorization: auth }) }, body: pingBody({ count: 1 }) });
  for (const auth of [undefined, 'Bearer wrong-token-123', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer']) {
    const res = await post(auth);
    assert.equal(res.status, 401, String(auth));
    assert.equal(codeOf(res.body), 'NBS_UNAUTHORIZED');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  }
  assert.equal((await post(`Bearer ${TOKEN}`)).status, 200);
  assert.equal((await post(`bearer  ${TOKEN}`)).status, 200, 'scheme is case-insensitive (RFC 9110 §11.1)');
  assert.equal((await rawRequest(server.url, { method: 'GET', path: '/metrics' })).status, 401, '/metrics needs the token');
  assert.equal((await rawRequest(server.url, { method: 'GET', path: '/healthz' })).status, 200);
  // With a token the token decides: a foreign Host is fine.
  const foreign = await rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, host: 'evil.example', authorization: `Bearer ${TOKEN}` }, body: pingBody({ count: 1 }) });
  assert.equal(foreign.status, 200);
});

test('without a token: a foreign Host gets 403 NBS_HOST_NOT_ALLOWED (DNS rebinding); loopback names pass', async (t) => {
  // A non-loopback --allowed-host without a token is an open door: serve refuses it unless told.
  await assert.rejects(startServer({ port: 0, logLevel: 'silent', allowedHosts: ['notebook.internal'] }), (e) => e instanceof UsageError && /allowedHosts notebook\.internal/.test(e.message));
  const server = await startServer({ port: 0, logLevel: 'silent', allowedHosts: ['notebook.internal'], insecureNoAuth: true });
  t.after(() => server.shutdown(0));
  const post = (host: string) => rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, host }, body: pingBody({ count: 1 }) });
  for (const host of ['evil.example', 'evil.example:18600', '192.168.1.10', 'localhost.evil.example', '127.0.0.1.nip.io']) {
    const res = await post(host);
    assert.equal(res.status, 403, host);
    assert.equal(codeOf(res.body), 'NBS_HOST_NOT_ALLOWED');
  }
  for (const host of ['localhost', `localhost:${server.port}`, `127.0.0.1:${server.port}`, '[::1]:8080', 'notebook.internal', 'NOTEBOOK.internal:443', 'app.localhost']) {
    assert.equal((await post(host)).status, 200, host);
  }
});

test('Host parsing and loopback names', () => {
  assert.equal(hostnameOf('[::1]:80'), '::1');
  assert.equal(hostnameOf('Example.COM:8080'), 'example.com');
  assert.equal(hostnameOf('::1'), '::1');
  assert.ok(isLoopbackHost('127.5.5.5'));
  assert.ok(isLoopbackHost('[::1]'));
  assert.ok(!isLoopbackHost('128.0.0.1'));
  assert.ok(!isLoopbackHost('localhost.example'));
});

test('a non-loopback address without a token or --insecure-no-auth is refused before binding', async () => {
  await assert.rejects(startServer({ host: '0.0.0.0', port: 0, logLevel: 'silent' }), (e) => e instanceof UsageError && /tokenFile/.test(e.message));
  const res = await runCli(['serve', '--host', '0.0.0.0', '--port', '0']);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /refusing to listen on 0\.0\.0\.0 without a token/);
  assert.equal(res.stdout, '');
});

test('CORS: only listed origins get headers; preflight answered without a token; credentials only when asked', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', corsOrigins: ['https://app.example'], token: TOKEN });
  t.after(() => server.shutdown(0));
  const pre = await rawRequest(server.url, {
    method: 'OPTIONS',
    path: '/send_operation',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  assert.match(pre.headers['access-control-allow-methods'] ?? '', /POST/);
  assert.match(pre.headers['access-control-allow-headers'] ?? '', /authorization/);
  assert.equal(pre.headers['access-control-allow-credentials'], undefined);
  const stream = await rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, origin: 'https://app.example', authorization: `Bearer ${TOKEN}` }, body: pingBody({ count: 1 }) });
  assert.equal(stream.status, 200);
  assert.equal(stream.headers['access-control-allow-origin'], 'https://app.example', 'the hijacked stream carries CORS headers');
  assert.equal(stream.headers['content-type'], 'text/event-stream; charset=utf-8');
  const other = await rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, origin: 'https://evil.example', authorization: `Bearer ${TOKEN}` }, body: pingBody({ count: 1 }) });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  const creds = await startServer({ port: 0, logLevel: 'silent', corsOrigins: ['https://app.example'], corsCredentials: true });
  t.after(() => creds.shutdown(0));
  const c = await rawRequest(creds.url, { method: 'OPTIONS', path: '/send_operation', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
  assert.equal(c.headers['access-control-allow-credentials'], 'true');
});

test('the token never appears in logs (stderr and --log-file), whatever the requests carry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nbs-log-'));
  const tokenFile = join(dir, 'token');
  const logFile = join(dir, 'serve.log');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const serve = await startServeProcess(['--token-file', tokenFile, '--log-file', logFile, '--log-level', 'trace']);
  t.after(() => serve.stop(1000));
  const auth = { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}` };
  assert.equal((await rawRequest(serve.url, { path: '/send_operation', headers: auth, body: pingBody({ count: 2 }) })).status, 200);
  assert.equal((await rawRequest(serve.url, { path: '/send_operation', headers: { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}-wrong` }, body: pingBody() })).status, 401);
  assert.equal((await rawRequest(serve.url, { path: '/send_operation', headers: auth, body: '{"notebook_id":' })).status, 400);
  assert.equal(await serve.stop(), 0);
  const logged = readFileSync(logFile, 'utf8');
  assert.match(logged, /"stream ok"/, 'the log file has the stream line');
  assert.ok(!logged.includes(TOKEN.slice(0, 12)), 'no token in the log file');
  assert.ok(!serve.stderr().includes(TOKEN.slice(0, 12)), 'no token on stderr');
});

test('serve flags: bad token and TLS files are usage errors naming the flag', async () => {
  const missing = await runCli(['serve', '--port', '0', '--token-file', '/nonexistent/token']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--token-file \/nonexistent\/token: ENOENT/);
  const half = await runCli(['serve', '--port', '0', '--tls-cert', '/tmp/x.pem']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--tls-cert needs --tls-key/);
});
