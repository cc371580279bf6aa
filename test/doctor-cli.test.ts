import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BIN, runCli } from './helpers/serve-process.js';

test('doctor --help and check-headers --help load no undici', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbs-lazy-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(spec, ctx, next) {
      if (/^(fastify|undici)$/.test(spec)) process.stderr.write('LOADED ' + spec + '\\n');
      return next(spec, ctx);
    }`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`);
  for (const args of [['doctor', '--help'], ['check-headers', '--help']]) {
    const child = spawn(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.doesNotMatch(err, /LOADED/, `${args.join(' ')} loaded: ${err}`);
    assert.match(out, /Examples:/);
  }
});

test('usage errors exit 2 and name the flag or argument', async () => {
  for (const args of [
    ['doctor'],
    ['doctor', 'not a url'],
    ['doctor', 'http://127.0.0.1:1/x', '--runs', '0'],
    ['doctor', 'http://127.0.0.1:1/x', '--server-time', ' '],
    ['check-headers', 'ftp://example.com/x'],
    ['check-headers', 'http://127.0.0.1:1/x', '--idle-window-s', 'soon'],
    ['check-headers', 'http://127.0.0.1:1/x', '-H', 'no colon'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.notEqual(r.stderr.trim(), '');
  }
});

test('check-headers exits 3 when nothing answers', async () => {
  const r = await runCli(['check-headers', 'http://127.0.0.1:1/x', '--connect-timeout-ms', '2000']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /nothing measured/);
});
