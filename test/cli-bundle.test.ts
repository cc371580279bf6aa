import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Issue 31 (start-up): `npm run build` bundles the CLI into dist/cli/ and bin/ runs it. The bundle
// must behave exactly like tsc's output, and `--help` must load none of the command's libraries.
const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Logs every module URL the process resolves to fd 2, one per line prefixed "resolved ". */
const HOOKS =
  "data:text/javascript,import{writeSync}from'node:fs';export async function resolve(s,c,n){const r=await n(s,c);writeSync(2,'resolved '+r.url+'\\n');return r}";
const REGISTER = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(HOOKS)})`;

function run(args: string[], env: Record<string, string> = {}, trace = false) {
  const nodeArgs = trace ? ['--import', REGISTER, BIN, ...args] : [BIN, ...args];
  const r = spawnSync(process.execPath, nodeArgs, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the bundle exists after npm run build and answers --help like tsc output', () => {
  assert.ok(existsSync(BUNDLE), 'npm run build writes dist/cli/main.js');
  const bundled = run(['--help']);
  const plain = run(['--help'], { NOTEBOOK_STREAM_BUNDLE: '0' });
  assert.equal(bundled.code, 0);
  assert.equal(plain.code, 0);
  assert.match(bundled.stdout, /Usage: notebook-stream/);
  assert.equal(bundled.stdout, plain.stdout);
  const sub = run(['bench', '--help']);
  assert.equal(sub.stdout, run(['bench', '--help'], { NOTEBOOK_STREAM_BUNDLE: '0' }).stdout);
});

test('--help through the bundle loads dist/cli/ only, and no command library', () => {
  const r = run(['--help'], {}, true);
  assert.equal(r.code, 0, r.stderr);
  const urls = r.stderr.split('\n').filter((l) => l.startsWith('resolved ')).map((l) => l.slice('resolved '.length));
  const ours = urls.filter((u) => u.includes('/dist/'));
  assert.ok(ours.some((u) => u.endsWith('/dist/cli/main.js')), 'bin ran the bundle');
  assert.deepEqual(ours.filter((u) => !u.includes('/dist/cli/')), [], 'nothing from dist/src/');
  for (const lib of ['fastify', 'undici', 'openai', 'hdr-histogram-js', 'prom-client', 'chalk', 'commander']) {
    assert.ok(!urls.some((u) => u.includes(`/node_modules/${lib}/`)), `${lib} is not loaded by --help`);
  }
  // The control: the unbundled CLI does resolve files of dist/src/ (so the filter above can fail).
  const plain = run(['--help'], { NOTEBOOK_STREAM_BUNDLE: '0' }, true);
  assert.ok(plain.stderr.includes('/dist/src/cli/main.js'));
});

test('a command runs through the bundle and finds files at the package root', () => {
  const r = run(['config', 'systemd', '--user', 'nbs', '--node', process.execPath]);
  if (BIN.startsWith('/tmp/') || BIN.startsWith('/var/tmp/')) {
    // A checkout under /tmp is refused (PrivateTmp would hide it), naming the bin the bundle found.
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`--bin ${BIN}:`), r.stderr);
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(BIN), 'ExecStart names this installation\'s bin/notebook-stream.js');
});
