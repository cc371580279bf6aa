import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Report } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { scripted, startServer } from './helpers/start-server.js';

const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));

/**
 * Runs the real CLI in a child process; resolves with its exit code and output. With `sigintWhen`,
 * sends SIGINT once that condition holds (polled every 10 ms, at most 30 s).
 */
function cli(args: string[], cwd?: string, sigintWhen?: () => boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    if (sigintWhen !== undefined) {
      const pollStart = performance.now();
      const poll = setInterval(() => {
        if (sigintWhen() || performance.now() - pollStart > 30_000) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 10);
      child.on('close', () => clearInterval(poll));
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

test('bench --json prints one valid report and nothing else; exit 0', async (t) => {
  const srv = await startServer(scripted([{ delayMs: 20, data: 'data: {"text":"a"}\n\n' }]));
  t.after(() => srv.close());
  const { code, stdout, stderr } = await cli(['bench', srv.url, '-n', '3', '--json', '--no-out']);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  assert.equal(report.configurations[0]!.requests.ok, 3);
  assert.deepEqual(report.args, ['bench', srv.url, '-n', '3', '--json', '--no-out']);
  assert.ok(report.configurations[0]!.metrics['first_content_ms']!.min! >= 19);
});

test('bench writes reports/bench-<timestamp>.json by default, creating the folder', async (t) => {
  const srv = await startServer(scripted([{ delayMs: 0, data: 'data: x\n\n' }]));
  t.after(() => srv.close());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { code, stdout, stderr } = await cli(['bench', srv.url, '-n', '2'], dir);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /first_content_ms/);
  const files = await readdir(path.join(dir, 'reports'));
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^bench-\d{4}-\d{2}-\d{2}T[\d-]+Z\.json$/);
  const report = JSON.parse(await readFile(path.join(dir, 'reports', files[0]!), 'utf8')) as unknown;
  assert.deepEqual(reportErrors(report), []);
});

test('bad input exits 2 naming the flag; an unreachable target exits 3', async () => {
  const bad = await cli(['bench', 'http://127.0.0.1:9/', '--requests', 'many']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--requests/);
  const url = await cli(['bench', 'not a url', '--no-out']);
  assert.equal(url.code, 2);
  assert.match(url.stderr, /URL/);
  const both = await cli(['bench', 'http://127.0.0.1:9/', '--body', '{}', '--body-file', 'x', '--no-out']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--body/);
  const st = await cli(['bench', 'http://127.0.0.1:9/', '--server-time', 'a b', '--no-out']);
  assert.equal(st.code, 2);
  assert.match(st.stderr, /--server-time/);
  const policy = await cli(['bench', 'http://127.0.0.1:9/', '--flush-policy', 'guide-after', '--no-out']);
  assert.equal(policy.code, 2);
  assert.match(policy.stderr, /--flush-policy/);
  const down = await cli(['bench', 'http://127.0.0.1:9/', '-n', '2', '--no-out']);
  assert.equal(down.code, 3);
  assert.match(down.stderr, /connect_refused 2/);
});

test('bench with no URL measures the embedded server in a child process, then stops it', async () => {
  const body = JSON.stringify({
    notebook_id: 'n1',
    operation: { type: 'ping', count: 5, interval_ms: 50, first_delay_ms: 30, token: 'tok ' },
    lang: 'en',
  });
  const { code, stdout, stderr } = await cli(['bench', '-n', '3', '--body', body, '--flush-policy', 'adaptive', '--json', '--no-out']);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as Report;
  const c = report.configurations[0]!;
  assert.equal(c.name, 'adaptive');
  assert.deepEqual(c.target.embedded_server, { flush_policy: 'adaptive' });
  assert.equal(c.requests.ok, 3);
  const fc = c.metrics['first_content_ms']!;
  // The control: the same run with no injected delay (its own embedded server, the same cold start).
  const controlRun = await cli(['bench', '-n', '3', '--body', body.replace('"first_delay_ms":30', '"first_delay_ms":0'), '--flush-policy', 'adaptive', '--json', '--no-out']);
  assert.equal(controlRun.code, 0, controlRun.stderr);
  const control = (JSON.parse(controlRun.stdout) as Report).configurations[0]!.metrics['first_content_ms']!;
  assert.ok(fc.min! >= 29 && fc.max! < 30 + control.max! + 100, `first content ${fc.min}…${fc.max} ms for an injected 30 ms (control max ${control.max} ms)`);
  // 5 tokens and done; adaptive writes each token at once (done may share the last write). A
  // loaded machine may fire two 50 ms-apart timers in one turn: they then share a write.
  assert.equal(c.metrics['events_per_stream']!.p50, 6);
  const writes = c.metrics['writes_per_stream']!;
  assert.ok(writes.min! >= 3 && writes.max! <= 6, `writes ${writes.min}…${writes.max}`);
  assert.ok(c.metrics['server_first_chunk_ms']!.count === 3);
});

test('Ctrl-C stops the run, aborts the request in flight, still reports what was measured and exits 130; aborted is not an error', async (t) => {
  // Each request stays open 1 s: once the server has seen the second request, SIGINT lands while
  // it is in flight (one request measured, one aborted) however late this process polls.
  const srv = await startServer(scripted([{ delayMs: 0, data: 'data: {"text":"a"}\n\n' }, { delayMs: 1000, data: 'data: {"text":"b"}\n\n' }]));
  t.after(() => srv.close());
  const { code, stdout, stderr } = await cli(['bench', srv.url, '-n', '1000', '--warmup', '0', '--json', '--no-out'], undefined, () => srv.requests.length >= 2);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted/);
  const c = (JSON.parse(stdout) as Report).configurations[0]!;
  assert.ok(c.requests.measured >= 2 && c.requests.measured < 1000, `measured ${c.requests.measured}`);
  assert.equal(c.errors['aborted'], 1);
  assert.equal(c.requests.ok, c.requests.measured - 1);
  // The interrupted request says nothing about the server: an error_rate gate must not fail on it.
  assert.equal(c.scalars['error_rate'], 0);
});
