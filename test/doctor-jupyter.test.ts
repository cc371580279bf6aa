import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startJupyter } from '../src/jupyter/server.js';
import { runCli } from './helpers/serve-process.js';
import { requireCommand } from './helpers/system.js';

test('doctor --jupyter-url names the Nagle delay on stock Jupyter and not on the fixed one', { timeout: 180_000 }, async (t) => {
  if (!requireCommand(t, 'jupyter-server', 'jupyter-server python3-ipykernel')) return;
  const stock = await startJupyter({ tuning: 'stock', env: process.env });
  t.after(() => stock.stop());
  const fixed = await startJupyter({ tuning: 'fixed', env: process.env });
  t.after(() => fixed.stop());

  const s = await runCli(['doctor', '--jupyter-url', stock.url, '--jupyter-samples', '10', '--json'], 120_000, { JUPYTER_TOKEN: stock.token });
  assert.equal(s.code, 1, s.stderr);
  const sr = JSON.parse(s.stdout) as { verdict: string; causes: string[]; fixes: string[]; measurement: { backToBackFirstOutputMs: number[] } };
  assert.ok(sr.causes.includes('NAGLE_DELAY'), `stock: ${JSON.stringify(sr.causes)} ${sr.measurement.backToBackFirstOutputMs}`);
  // The measuring kernel is not tuned: ipykernel's 200 ms flush interval shows on both servers.
  assert.ok(sr.causes.includes('FLUSH_INTERVAL'));
  assert.match(sr.fixes.join('\n'), /TCP_NODELAY/);

  const f = await runCli(['doctor', '--jupyter-url', fixed.url, '--jupyter-samples', '10'], 120_000, { JUPYTER_TOKEN: fixed.token });
  assert.equal(f.code, 1, 'the flush interval is still found');
  assert.match(f.stdout, /FLUSH INTERVAL/);
  assert.doesNotMatch(f.stdout, /NAGLE/, f.stdout);
  for (const out of [s.stdout, s.stderr, f.stdout, f.stderr]) assert.ok(!out.includes(stock.token) && !out.includes(fixed.token), 'no token in any output');
});

test('doctor --jupyter-url: unreachable is exit 3, a URL and --jupyter-url together exit 2', async () => {
  const down = await runCli(['doctor', '--jupyter-url', 'http://127.0.0.1:9/'], 60_000);
  assert.equal(down.code, 3, down.stderr);
  assert.match(down.stderr, /--jupyter-url/);
  const both = await runCli(['doctor', 'http://127.0.0.1:9/x', '--jupyter-url', 'http://127.0.0.1:9/']);
  assert.equal(both.code, 2);
  const none = await runCli(['doctor']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs a stream URL/);
});
