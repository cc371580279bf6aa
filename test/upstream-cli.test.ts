import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { upstreamFor } from './llm-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('upstream prints exactly one stdout line, the API base, logs to stderr, and exits 0 on SIGTERM', async (t) => {
  const p = run(['upstream', '--port', '0']);
  t.after(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  const deadline = Date.now() + 15_000;
  while (!p.out().includes('\n') && Date.now() < deadline && p.child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const base = p.out().trim();
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const res = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=3', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.ok((await res.text()).includes('[DONE]'));
  p.child.kill('SIGTERM');
  const [code] = await p.exited;
  assert.equal(code, 0);
  assert.equal(p.out(), `${base}\n`, 'nothing else on stdout');
  assert.match(p.err(), /POST \/v1\/chat\/completions/);
});

test('SIGINT stops it with exit 0 too', async (t) => {
  const p = run(['upstream', '--port', '0', '--quiet']);
  t.after(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  const deadline = Date.now() + 15_000;
  while (!p.out().includes('\n') && Date.now() < deadline && p.child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
  p.child.kill('SIGINT');
  const [code] = await p.exited;
  assert.equal(code, 0);
  assert.equal(p.err(), '', '--quiet logs nothing');
});

test('a port in use exits 3 and names --port', async (t) => {
  const up = await upstreamFor(t);
  const p = run(['upstream', '--port', String(up.port)]);
  const [code] = await p.exited;
  assert.equal(code, 3);
  assert.equal(p.out(), '');
  assert.match(p.err(), /in use \(--port\)/);
});

test('a bad --port exits 2', async () => {
  const p = run(['upstream', '--port', 'x']);
  const [code] = await p.exited;
  assert.equal(code, 2);
  assert.match(p.err(), /--port/);
});

test('an unreadable or invalid --recordings directory exits 2 naming the flag', async () => {
  const p = run(['upstream', '--port', '0', '--recordings', '/nonexistent/recordings']);
  const [code] = await p.exited;
  assert.equal(code, 2);
  assert.equal(p.out(), '');
  assert.match(p.err(), /--recordings: cannot read the recordings directory/);
});
