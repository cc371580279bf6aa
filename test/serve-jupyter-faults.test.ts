import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JSON_HEADERS, parseSseBody, rawRequest } from './helpers/raw-http.js';
import { startServeProcess } from './helpers/serve-process.js';
import { alive, descendants } from './helpers/process-tree.js';
import { requireCommand } from './helpers/system.js';

/** Issue 25 items 3 (execute after an early disconnect), 4 (secrets) and 5 (orphans), against serve as users run it. */

const exec = (code: string, notebook = 'n1') => JSON.stringify({ notebook_id: notebook, operation: { type: 'execute', code }, lang: 'en' });

/** Sends the request and destroys the socket `ms` after the response headers arrived. */
function dropAfterHeaders(url: string, body: string, ms: number, headers: Record<string, string> = {}): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('no response headers within 60 s'))), 60_000);
    socket.on('error', () => undefined);
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`POST /send_operation HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        socket.removeAllListeners('data');
        clearTimeout(timer);
        setTimeout(() => (socket.destroy(), resolve()), ms);
      }
    });
  });
}

test('execute: a client that leaves 2 ms after the headers of an endless cell; the next cell runs on the same kernel', { timeout: 150_000 }, async (t) => {
  if (!requireCommand(t, 'jupyter-server', 'jupyter-server python3-ipykernel')) return;
  const serve = await startServeProcess(['--jupyter', 'eager'], 60_000);
  t.after(() => serve.stop(15_000));
  const set = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: exec('v = 42'), timeoutMs: 90_000 });
  assert.equal(parseSseBody(set.body).events.at(-1)?.data['status'], 'ok', set.body);
  for (let i = 0; i < 3; i++) {
    await dropAfterHeaders(serve.url, exec('while True: pass'), 2);
    const next = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: exec('print(v)'), timeoutMs: 60_000 });
    const { events } = parseSseBody(next.body);
    assert.equal(events.at(-1)?.data['status'], 'ok', `try ${i}: ${next.body}`);
    assert.equal(events.filter((e) => e.event === 'stdout').map((e) => e.data['text']).join(''), '42\n', `try ${i}: variables kept`);
  }
});

test('secrets: kernels see neither serve\'s API keys nor tokens, --jupyter-env passes a chosen variable', { timeout: 150_000 }, async (t) => {
  if (!requireCommand(t, 'jupyter-server', 'jupyter-server python3-ipykernel')) return;
  const secrets = { OPENAI_API_KEY: 'sk-nbs-test-0123456789abcdef', NOTEBOOK_STREAM_TOKEN: 'nbs-test-token-0123456789', AWS_SECRET_ACCESS_KEY: 'aws-test-secret-0123456789' };
  const serve = await startServeProcess(['--jupyter-env', 'NBS_TEST_PASS', '--llm-base-url', 'http://127.0.0.1:9/v1'], 60_000, 'serve', { ...secrets, NBS_TEST_PASS: 'visible' });
  t.after(() => serve.stop(15_000));
  const code = 'import os, json\nprint(json.dumps(dict(os.environ)))';
  const res = await rawRequest(serve.url, {
    path: '/send_operation',
    headers: { ...JSON_HEADERS, authorization: `Bearer ${secrets.NOTEBOOK_STREAM_TOKEN}` },
    body: exec(code),
    timeoutMs: 90_000,
  });
  const { events } = parseSseBody(res.body);
  assert.equal(events.at(-1)?.data['status'], 'ok', res.body);
  const env = JSON.parse(events.filter((e) => e.event === 'stdout').map((e) => e.data['text']).join('')) as Record<string, string>;
  assert.equal(env['NBS_TEST_PASS'], 'visible', '--jupyter-env passes the variable');
  assert.ok(env['PATH'] !== undefined, 'PATH is passed');
  for (const name of ['OPENAI_API_KEY', 'NOTEBOOK_STREAM_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'JUPYTER_TOKEN', 'NBS_PARENT_PID']) {
    assert.equal(env[name], undefined, `${name} is not in the kernel's environment`);
  }
  const all = JSON.stringify(env);
  for (const value of Object.values(secrets)) assert.ok(!all.includes(value), 'no secret value under another name');
});

test('kill -9 of serve: its Jupyter Server and kernels end within 10 s, its directory goes; a stale directory is swept', { timeout: 150_000 }, async (t) => {
  if (!requireCommand(t, 'jupyter-server', 'jupyter-server python3-ipykernel')) return;
  // A directory left by a serve that died before this fix: its owner pid is gone.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = join(tmpdir(), `nbs-jupyter-stale${process.pid}`);
  mkdirSync(join(stale, 'runtime'), { recursive: true });
  writeFileSync(join(stale, 'owner'), `${dead.stdout}\n`);

  const serve = await startServeProcess(['--jupyter', 'eager'], 60_000);
  t.after(() => serve.stop(1000));
  assert.ok(!existsSync(stale), 'the stale directory was removed at start-up');
  for (const nb of ['a', 'b']) {
    const r = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: exec('1', nb), timeoutMs: 90_000 });
    assert.equal(parseSseBody(r.body).events.at(-1)?.data['status'], 'ok', r.body);
  }
  const pid = serve.child.pid as number;
  const tree = descendants(pid).map((p) => p.pid);
  assert.ok(tree.length >= 3, `server and two kernels under serve: ${tree.join(' ')}`);
  const mine = readdirSync(tmpdir())
    .filter((n) => n.startsWith('nbs-jupyter-'))
    .map((n) => join(tmpdir(), n))
    .filter((d) => {
      try {
        return readFileSync(join(d, 'owner'), 'utf8').trim() === String(pid);
      } catch {
        return false;
      }
    });
  assert.equal(mine.length, 1, 'serve wrote its owner file');
  process.kill(pid, 'SIGKILL');
  const start = performance.now();
  while (tree.some(alive) && performance.now() - start < 20_000) await new Promise((r) => setTimeout(r, 100));
  const took = performance.now() - start;
  const left = tree.filter(alive);
  for (const p of left) process.kill(p, 'SIGKILL');
  assert.deepEqual(left, [], `processes left after ${took.toFixed(0)} ms`);
  assert.ok(took < 10_000, `all gone after ${took.toFixed(0)} ms`);
  for (let i = 0; i < 50 && existsSync(mine[0] as string); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!existsSync(mine[0] as string), 'the private directory (with the token) is removed');
});
