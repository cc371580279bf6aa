import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeSelfSignedCert } from './helpers/tls-cert.js';

/**
 * Failures say what to do (issue 32): bench against a server it cannot talk to names the flag
 * that fixes it. Each case has its control: the same server with that flag is measured.
 */
const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const SSE = (res: { writeHead: (s: number, h: Record<string, string>) => unknown; end: (b: string) => unknown }) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('data: {"text":"a"}\n\n');
};

test('a self-signed certificate: exit 3 with the hint to use --ca FILE or --insecure; with --ca it is measured', async (t) => {
  const { cert, key, certFile } = makeSelfSignedCert();
  const server = createHttpsServer({ cert, key }, (_req, res) => SSE(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/s`;
  const failed = await cli(['bench', url, '-n', '2', '--no-out']);
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stderr, /hint: the server's certificate is not trusted \(.+\): give its CA with --ca FILE, or --insecure/);
  const ok = await cli(['bench', url, '-n', '2', '--no-out', '--ca', certFile]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr, /hint:/);
});

test('an h2c-only server: exit 3 with the hint to add --http2; with --http2 it is measured', async (t) => {
  const server = createHttp2Server((_req, res) => SSE(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/s`;
  const failed = await cli(['bench', url, '-n', '2', '--no-out']);
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stderr, /hint: .*needs --http2/);
  const ok = await cli(['bench', url, '-n', '2', '--no-out', '--http2']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('nothing listening: the hint says so', async () => {
  const r = await cli(['bench', 'http://127.0.0.1:9/x', '-n', '1', '--no-out']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /hint: nothing listens at http:\/\/127\.0\.0\.1:9\/x/);
});
