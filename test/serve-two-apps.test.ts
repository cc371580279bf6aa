import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { resolveLlmConfig } from '../src/server/sources/llm-config.js';
import { JSON_HEADERS, pingBody, rawRequest } from './helpers/raw-http.js';

/** A log stream and what has been written to it so far. */
function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  for (let waited = 0; !cond(); waited += 10) {
    if (waited > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Issue 24: no process-wide state in the server. Two servers in one process, each with its own
 * flush policy, LLM configuration and log stream: each answers with its own settings and writes
 * its stream lines and Jupyter lines to its own log only (before, the last buildApp took every
 * server's Jupyter lines, and the LLM configuration came from the process environment).
 */
test('two servers in one process keep their own settings and logs', async (t) => {
  const logA = collector();
  const logB = collector();
  const a = await startServer({ port: 0, logLevel: 'info', logStream: logA.stream, flushPolicy: 'guide-after' });
  t.after(() => a.shutdown(0));
  const b = await startServer({
    port: 0,
    logLevel: 'info',
    logStream: logB.stream,
    flushPolicy: 'guide-before',
    llm: resolveLlmConfig({ llmBaseUrl: 'http://127.0.0.1:9/v1', llmModel: 'b-model' }, {}),
  });
  t.after(() => b.shutdown(0));

  const health = async (url: string) => (await (await fetch(`${url}/healthz`)).json()) as { policy: string; llm: string };
  const [ha, hb] = [await health(a.url), await health(b.url)];
  assert.equal(ha.policy, 'guide-after');
  assert.equal(hb.policy, 'guide-before');
  assert.match(ha.llm, /not configured/);
  assert.match(hb.llm, /127\.0\.0\.1:9.*model b-model/);

  for (const s of [a, b]) {
    const res = await rawRequest(s.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 2, interval_ms: 0 }) });
    assert.equal(res.status, 200);
  }
  a.app.jupyter.log.log('warn', 'note for A');
  b.app.jupyter.log.log('warn', 'note for B');
  await until(() => logA.text().includes('"stream ok"') && logB.text().includes('"stream ok"'), 'both stream log lines');
  await until(() => logA.text().includes('note for A') && logB.text().includes('note for B'), 'both Jupyter lines');

  const policies = (text: string) => new Set(text.split('\n').filter((l) => l.includes('"stream ok"')).map((l) => (JSON.parse(l) as { policy: string }).policy));
  assert.deepEqual([...policies(logA.text())], ['guide-after']);
  assert.deepEqual([...policies(logB.text())], ['guide-before']);
  assert.ok(!logA.text().includes('note for B'), "B's Jupyter line in A's log");
  assert.ok(!logB.text().includes('note for A'), "A's Jupyter line in B's log");
  const jupyterLine = JSON.parse(logA.text().split('\n').find((l) => l.includes('note for A'))!) as { component: string; level: number };
  assert.equal(jupyterLine.component, 'jupyter');
});

test('a server given no log stream logs nothing (the library never writes to stderr itself)', async (t) => {
  const s = await startServer({ port: 0, logLevel: 'info' });
  t.after(() => s.shutdown(0));
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const res = await rawRequest(s.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 2, interval_ms: 0 }) });
    assert.equal(res.status, 200);
    await rawRequest(s.url, { path: '/nowhere', headers: JSON_HEADERS, body: '{}' }); // a refused request logs at info
    s.app.jupyter.log.log('warn', 'a Jupyter line');
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(written, []);
});
