import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheus, sampleValue } from './helpers/prometheus.js';
import { JSON_HEADERS, parseSseBody, rawRequest } from './helpers/raw-http.js';
import { runCli, startServeProcess } from './helpers/serve-process.js';
import { alive, descendants } from './helpers/process-tree.js';
import { requireCommand } from './helpers/system.js';

const exec = (code: string, notebook = 'n1') => JSON.stringify({ notebook_id: notebook, operation: { type: 'execute', code }, lang: 'en' });

test('serve → execute: a printing loop streams line by line, kernels show in /metrics, SIGTERM leaves no process', { timeout: 120_000 }, async (t) => {
  if (!requireCommand(t, 'jupyter-server', 'jupyter-server python3-ipykernel')) return;
  const serve = await startServeProcess(['--max-kernels', '2']);
  t.after(() => serve.stop(5000));
  const loop = 'import time\nfor i in range(8):\n    print(i)\n    time.sleep(0.05)';
  const res = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: exec(loop), timeoutMs: 90_000 });
  assert.equal(res.status, 200, res.body);
  const { events } = parseSseBody(res.body);
  const stdout = events.filter((e) => e.event === 'stdout');
  assert.equal(stdout.map((e) => e.data['text']).join(''), '0\n1\n2\n3\n4\n5\n6\n7\n');
  // fixed tuning: the kernel flushes every 10 ms, so 8 prints 50 ms apart are 8 events (stock: ~2).
  assert.ok(stdout.length >= 6, `${stdout.length} stdout events for 8 prints`);
  assert.equal(events.at(-1)?.data['status'], 'ok');
  assert.equal(events.at(-1)?.data['execution_count'], 1);

  const again = parseSseBody((await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: exec('1/0'), timeoutMs: 60_000 })).body).events;
  const err = again.find((e) => e.event === 'error');
  assert.equal(err?.data['ename'], 'ZeroDivisionError');
  assert.ok(Array.isArray(err?.data['traceback']));
  assert.equal(again.at(-1)?.data['execution_count'], 2, 'the same kernel, reused for the notebook');

  const metrics = parsePrometheus((await rawRequest(serve.url, { method: 'GET', path: '/metrics' })).body);
  assert.equal(sampleValue(metrics, 'nbs_kernels', { state: 'live' }), 1);
  assert.equal(sampleValue(metrics, 'nbs_kernels', { state: 'max' }), 2);
  assert.ok((sampleValue(metrics, 'nbs_kernel_rss_bytes', { slot: '0' }) ?? 0) > 1_000_000);

  // serve's own Jupyter Server and kernel, found through the process tree (not machine-wide: other
  // Jupyter users on the machine are none of our business).
  const tree = descendants(serve.child.pid as number).filter((p) => /jupyter|ipykernel/.test(p.args));
  assert.ok(tree.some((p) => /ipykernel/.test(p.args)), `a kernel under serve: ${JSON.stringify(tree)}`);
  assert.equal(await serve.stop(15_000), 0);
  assert.equal(serve.stdout(), `${serve.url}\n`, 'Jupyter output never reaches stdout');
  for (let i = 0; i < 100 && tree.some((p) => alive(p.pid)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(tree.filter((p) => alive(p.pid)), [], 'no Jupyter process left behind');
});

test('--jupyter off answers 503 NBS_JUPYTER_UNAVAILABLE and other operations still stream', async (t) => {
  const serve = await startServeProcess(['--jupyter', 'off']);
  t.after(() => serve.stop(5000));
  const res = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: exec('1') });
  assert.equal(res.status, 503);
  assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'NBS_JUPYTER_UNAVAILABLE');
  const ping = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: JSON.stringify({ notebook_id: 'n', operation: { type: 'ping', count: 1 } }) });
  assert.equal(ping.status, 200);
});

test('--jupyter eager with no usable Jupyter exits 3 with one line', async () => {
  const res = await runCli(['serve', '--port', '0', '--jupyter', 'eager'], 60_000, { NOTEBOOK_STREAM_JUPYTER_COMMAND: '/bin/false' });
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, /--jupyter eager: no usable Jupyter Server/);
  assert.equal(res.stdout, '');
});
