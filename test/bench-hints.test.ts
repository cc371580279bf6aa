import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { test } from 'node:test';
import { runCli } from './helpers/serve-process.js';
import { makeSelfSignedCert } from './helpers/tls-cert.js';

/**
 * Failures say what to do (issue 32): bench against a server it cannot talk to names the flag
 * that fixes it. Each case has its control: the same server with that flag is measured, hint-free.
 */
const cli = (args: string[]) => runCli(args, 60_000);

const SSE = (res: { writeHead: (s: number, h: Record<string, string>) => unknown; end: (b: string) => unknown }) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('data: {"text":"a"}\n\n');
};

const tls = makeSelfSignedCert();
const CASES: Array<{ name: string; server: () => Server; scheme: string; fix: string[]; hint: RegExp }> = [
  {
    name: 'a self-signed certificate: exit 3 with the hint to use --ca FILE or --insecure; with --ca it is measured',
    server: () => createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) => SSE(res)),
    scheme: 'https',
    fix: ['--ca', tls.certFile],
    hint: /hint: the server's certificate is not trusted \(.+\): give its CA with --ca FILE, or --insecure/,
  },
  {
    name: 'an h2c-only server: exit 3 with the hint to add --http2; with --http2 it is measured',
    server: () => createHttp2Server((_req, res) => SSE(res)),
    scheme: 'http',
    fix: ['--http2'],
    hint: /hint: .*needs --http2/,
  },
];

for (const c of CASES) {
  test(c.name, async (t) => {
    const server = c.server();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const url = `${c.scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/s`;
    const failed = await cli(['bench', url, '-n', '2', '--no-out']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, c.hint);
    const ok = await cli(['bench', url, '-n', '2', '--no-out', ...c.fix]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /hint:/);
  });
}

test('nothing listening: the hint says so', async () => {
  const r = await cli(['bench', 'http://127.0.0.1:9/x', '-n', '1', '--no-out']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /hint: nothing listens at http:\/\/127\.0\.0\.1:9\/x/);
});
