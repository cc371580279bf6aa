import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Report } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { upstreamFor } from './llm-helpers.js';
import { runCli } from './helpers/serve-process.js';

const KEY = 'sk-cli-SECRETKEY-00112233445566778899';

/** Runs the real CLI; OPENAI_API_KEY is set only when `env` says so. */
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, 60_000, { NO_COLOR: '1', ...env }, { unset: ['OPENAI_API_KEY'] });

test('bench --openai --json: exit 0, a valid report with LLM metrics, the key nowhere in the output', async (t) => {
  const up = await upstreamFor(t);
  const model = 'synthetic?ttft_ms=100&tps=100&tokens=5';
  const { code, stdout, stderr } = await cli(['bench', '--openai', up.url, '--model', model, '-n', '2', '--json', '--no-out'], { OPENAI_API_KEY: KEY });
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  const c = report.configurations[0]!;
  assert.equal(c.name, model);
  assert.ok(c.metrics['ttft_ms']!.min! >= 99 && c.metrics['ttft_ms']!.max! < 1000, `ttft ${c.metrics['ttft_ms']!.min}`);
  assert.equal(c.llm?.output_tokens, 10);
  assert.ok(!stdout.includes(KEY) && !stderr.includes(KEY));
});

test('a key given by hand with -H reaches no output: the report args show it redacted', async (t) => {
  const up = await upstreamFor(t);
  const args = ['bench', '--openai', up.url, '--model', 'synthetic?ttft_ms=5&tps=500&tokens=2', '-n', '1', '-H', `Authorization: Bearer ${KEY}`, '--json', '--no-out'];
  const { code, stdout, stderr } = await cli(args);
  assert.equal(code, 0, stderr);
  assert.ok(!stdout.includes(KEY) && !stderr.includes(KEY));
  assert.ok((JSON.parse(stdout) as Report).args.includes('Authorization: [redacted]'));
});

test('the table shows the LLM rows and says where token counts came from', async (t) => {
  const up = await upstreamFor(t);
  const { code, stdout, stderr } = await cli(['bench', '--openai', up.url, '--model', 'synthetic?ttft_ms=20&tps=200&tokens=4', '-n', '2', '--no-out']);
  assert.equal(code, 0, stderr);
  for (const row of ['ttft_ms', 'itl_ms', 'tpot_ms', 'tokens_per_event']) assert.match(stdout, new RegExp(`^│ ${row} `, 'm'));
  assert.match(stdout, /output_tokens_per_s [\d.]+ {2}output_tokens 8 in 2 LLM streams, from the server's usage/);
});

test('no --model: the first model of GET /models; --max-tokens cuts the answer', async (t) => {
  const up = await upstreamFor(t);
  const { code, stdout, stderr } = await cli(['bench', '--openai', up.url, '--max-tokens', '3', '-n', '2', '--json', '--no-out']);
  assert.equal(code, 0, stderr);
  const c = (JSON.parse(stdout) as Report).configurations[0]!;
  assert.equal(c.name, 'synthetic');
  assert.deepEqual(c.llm, { streams: 2, output_tokens: 6, token_source: 'usage', usage_streams: 2, stream_errors: 0 });
});

test('fail=401 and fail=429: http_status errors, exit 3; the key (echoed by the 401 body) is in no output or report', async (t) => {
  const up = await upstreamFor(t);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-llmcli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'key'), `${KEY}\n`);
  for (const status of [401, 429]) {
    const out = path.join(dir, `r${status}.json`);
    const r = await cli(['bench', '--openai', up.url, '--model', `synthetic?fail=${status}`, '--openai-key-file', path.join(dir, 'key'), '-n', '2', '--out', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /nothing measured: all 2 requests .* failed \(http_status 2\)/);
    const text = await readFile(out, 'utf8');
    assert.deepEqual((JSON.parse(text) as Report).configurations[0]!.errors, { http_status: 2 });
    for (const s of [r.stdout, r.stderr, text]) assert.ok(!s.includes(KEY), `key leaked (fail=${status})`);
  }
});

test('usage errors exit 2 naming the flag; an unreachable API base exits 3', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['bench', 'http://127.0.0.1:9/', '--model', 'm'], /--model: only with --openai/],
    [['bench', 'http://127.0.0.1:9/', '--max-tokens', '5'], /--max-tokens: only with --openai/],
    [['bench', 'http://127.0.0.1:9/x', '--openai', 'http://127.0.0.1:9/v1'], /--openai: give the API base there/],
    [['bench', '--openai', 'http://127.0.0.1:9/v1', '--prompt', 'a', '--prompt-file', 'b'], /--prompt and --prompt-file/],
    [['bench', '--openai', 'ftp://127.0.0.1/v1', '--model', 'm'], /--openai: only http: and https:/],
    [['bench', '--openai', 'not a url', '--model', 'm'], /--openai: 'not a url' is not an absolute URL/],
    [['bench', '--openai', 'http://127.0.0.1:9/v1', '--model', 'm', '--body', '{}'], /--openai builds the request body/],
    [['bench', '--openai', 'http://127.0.0.1:9/v1', '--flush-policy', 'guide-after'], /--flush-policy/],
    [['bench', '--openai', 'http://127.0.0.1:9/v1', '--model', 'm', '--openai-key-file', '/nonexistent/key'], /--openai-key-file: cannot read/],
    [['bench', '--openai', 'http://127.0.0.1:9/v1', '--max-tokens', '0'], /--max-tokens/],
  ];
  for (const [args, message] of cases) {
    const r = await cli([...args, '--no-out']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const refused = await cli(['bench', '--openai', 'http://127.0.0.1:9/v1', '--model', 'm', '-n', '2', '--no-out']);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /connect_refused 2/);
  const noModels = await cli(['bench', '--openai', 'http://127.0.0.1:9/v1', '--no-out']);
  assert.equal(noModels.code, 3);
  assert.match(noModels.stderr, /cannot reach http:\/\/127\.0\.0\.1:9\/v1\/models .*connect_refused/);
});
