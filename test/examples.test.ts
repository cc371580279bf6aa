import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeSelfSignedCert } from './helpers/tls-cert.js';
import { startServeProcess, startUrlProcess } from './helpers/serve-process.js';

/**
 * Every example in README.md, docs/ and every command's --help runs as written (issue 32): this
 * test extracts them and runs each against local servers, in a directory that holds the files
 * they name. Only what cannot be local is rewritten (the port of the server they talk to, a
 * system path they would write); an example that names a remote host or is a template is listed
 * with its reason, so a new one is run unless someone says why not.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'notebook-stream.js');

interface Example {
  where: string;
  text: string;
}

/** `$ notebook-stream …` lines of every command's help, continuation lines joined. */
function helpExamples(): Example[] {
  const out: Example[] = [];
  const seen = new Set<string>();
  const visit = (path: string[]) => {
    const key = path.join(' ');
    if (seen.has(key)) return;
    seen.add(key);
    const r = spawnSync(process.execPath, [BIN, ...path, '--help'], { encoding: 'utf8', timeout: 30_000 });
    out.push(...examplesIn(r.stdout, `${key === '' ? '' : `${key} `}--help`, /^\s*\$ (notebook-stream .*)$/));
    const commands = r.stdout.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
    for (const m of commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)) if (m[1] !== 'help') visit([...path, m[1]!]);
  };
  visit([]);
  return out;
}

function examplesIn(text: string, where: string, line: RegExp): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = line.exec(lines[i]!);
    if (m === null) continue;
    let cmd = m[1]!;
    while (/\\\s*(#.*)?$/.test(cmd) && i + 1 < lines.length) cmd = cmd.replace(/\\\s*(#.*)?$/, ' ') + lines[++i]!.trim();
    out.push({ where: `${where}:${i + 1}`, text: cmd.replace(/\s+#\s.*$/, '').trim() });
  }
  return out;
}

/** `notebook-stream …` lines inside ```sh, ```bash and ```console blocks of README.md and docs/. */
function docExamples(): Example[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const out: Example[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const block of text.matchAll(/^```(?:sh|bash|console|shell)\n([\s\S]*?)^```/gm)) {
      const start = text.slice(0, block.index).split('\n').length;
      for (const e of examplesIn(block[1]!, file, /^\s*(?:\$ )?(?:npx )?(notebook-stream .*)$/)) {
        const lineNo = Number(e.where.split(':').pop()) + start;
        out.push({ where: `${file}:${lineNo}`, text: e.text });
      }
    }
  }
  return out;
}

/** Examples that cannot run here, and why. A pattern matches the example's text. */
const NOT_RUN: ReadonlyArray<readonly [RegExp, string]> = [
  [/(https?|wss?):\/\/[^\s'"]*(example\.com|10\.0\.0\.\d|api\.openai)/, 'talks to a host that is not this machine'],
  [/\b(URL|URL_A|URL_B|BASE_URL|REPORT\.json|B\.json|FILE|NAME|TOKEN)\b|…|<[a-z]+>|\[/, 'a template, with placeholders to fill in'],
  [/\bserve\b.*--jupyter eager/, 'starts Jupyter Server, which the Jupyter tests cover'],
];

/** Rewrites that keep an example local: the ports of the servers this test started, system paths. */
function localize(text: string, serveUrl: string, upstreamUrl: string): string {
  const serveHost = serveUrl.replace(/^http:\/\//, '');
  return text
    .replace(/http:\/\/127\.0\.0\.1:(18600|8080)/g, serveUrl)
    .replace(/127\.0\.0\.1:18600/g, serveHost)
    .replace(/http:\/\/127\.0\.0\.1:(18700|PORT)\/v1/g, upstreamUrl)
    .replace(/--port (18600|18601|18700|8443|9464)\b/g, '--port 0')
    // A server without --port takes its default port, which another example may hold right now.
    .replace(/^(notebook-stream (serve|upstream|monitor)\b)(?!.*--port)/, '$1 --port 0')
    .replace(/--tls-cert \S+/g, '--tls-cert cert.pem')
    .replace(/--tls-key \S+/g, '--tls-key key.pem')
    .replace(/--host 0\.0\.0\.0/g, '--host 127.0.0.1')
    .replace(/--out \/etc\/\S+/g, '--out ./out-file --force')
    .replace(/\/run\/secrets\/nbs-token/g, './token')
    // The unit names where the package is installed: not this checkout, which may sit under /tmp or /root.
    .replace(/^(notebook-stream config systemd\b.*)$/, '$1 --bin /opt/notebook-stream/bin/notebook-stream.js --node /usr/bin/node');
}

/** Commands that run until stopped: stopped with SIGTERM once they printed their URL line. */
const SERVES = /^notebook-stream (serve|upstream|monitor)\b/;
/** A run still going after this long is interrupted (the file must end within the suite's 180 s). */
const INTERRUPT_MS = 10_000;
/** Examples run at once, each in its own copy of the working directory. */
const PARALLEL = 5;
/** Exit codes that mean the example ran: 1 is a verdict (a gate, a buffering diagnosis). */
const RAN = new Set([0, 1]);

/** Why the test stopped an example: a server printed its URL (it runs), or the clock ran out. */
type Stopped = 'served' | 'timer' | null;

function run(text: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; stopped: Stopped }> {
  return new Promise((resolve) => {
    const serves = SERVES.test(text);
    const child = spawn('bash', ['-c', `${text.replace(/\s*&$/, '')}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopped: Stopped = null;
    const stop = (sig: NodeJS.Signals, why: 'served' | 'timer') => {
      stopped ??= why;
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (serves && stdout.includes('\n')) stop('SIGTERM', 'served');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Long runs (-d 2m, compare's rounds) are interrupted: they handle SIGINT and exit 130, having run.
    const interrupt = setTimeout(() => stop(serves ? 'SIGTERM' : 'SIGINT', 'timer'), INTERRUPT_MS);
    const kill = setTimeout(() => stop('SIGKILL', 'timer'), INTERRUPT_MS + 15_000);
    child.on('close', (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, stopped });
    });
  });
}

test('every example in README.md, docs/ and --help runs as written against local servers', { timeout: 1_200_000 }, async (t) => {
  const examples = [...helpExamples(), ...docExamples()];
  assert.ok(examples.length >= 40, `found ${examples.length} examples: the extraction broke`);
  const dir = mkdtempSync(join(tmpdir(), 'nbs-examples-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // `notebook-stream` on PATH, as after `npm install -g` or `npx`.
  const shim = join(dir, '.bin');
  mkdirSync(shim);
  writeFileSync(join(shim, 'notebook-stream'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(shim, 'notebook-stream'), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${shim}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1', LANG: 'C.UTF-8' };
  delete env['GITHUB_STEP_SUMMARY'];

  const serve = await startServeProcess(['--allow-policy-override']);
  t.after(() => serve.stop());
  const upstream = await startUrlProcess(['upstream', '--port', '0']);
  t.after(() => upstream.stop());
  const serveUrl = serve.url.replace(/\/$/, '');
  const upstreamUrl = upstream.url.replace(/\/$/, '');

  // The files the examples name, made by the tool itself.
  const bench = spawnSync(process.execPath, [BIN, 'bench', `${serveUrl}/send_operation`, '-n', '3', '--json', '--no-out', '--body', '{"notebook_id":"x","operation":{"type":"ping","count":3,"interval_ms":5},"lang":"en"}'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(bench.status, 0, bench.stderr);
  mkdirSync(join(dir, 'reports'));
  for (const f of ['run.json', 'before.json', 'after.json', 'new.json', 'main.json', 'load-a.json', 'load-b.json', 'reports/bench.json', 'reports/bench-2026-11-25T12-46-21-123Z.json']) writeFileSync(join(dir, f), bench.stdout);
  const cmp = spawnSync(process.execPath, [BIN, 'compare', '--flush-policies', 'guide-before,adaptive', '--rounds', '5', '-n', '1', '--count', '3', '--interval-ms', '5', '--json', '--no-out'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(cmp.status, 0, cmp.stderr);
  writeFileSync(join(dir, 'compare.json'), cmp.stdout);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const gates = /```json\n(\{ "thresholds"[^\n]*)\n```/.exec(readme);
  assert.ok(gates !== null, "README's gates.json example");
  writeFileSync(join(dir, 'gates.json'), gates[1]!);
  for (const f of ['report-load-a.json', 'report-load-b.json', 'nbs-load-1.json', 'nbs-load-2.json']) writeFileSync(join(dir, f), bench.stdout);
  // monitor's --config: one target, the local server (docs/monitoring.md has the full format).
  writeFileSync(join(dir, 'targets.yaml'), `interval: 2s\ntargets:\n  - name: local\n    url: ${serveUrl}/send_operation\n`);
  writeFileSync(join(dir, 'req.json'), '{"notebook_id":"x","operation":{"type":"ping","count":3},"lang":"en"}');
  writeFileSync(join(dir, 'token'), 'example-token-0123456789\n');
  const { certFile, keyFile } = makeSelfSignedCert();
  copyFileSync(certFile, join(dir, 'cert.pem'));
  copyFileSync(keyFile, join(dir, 'key.pem'));

  const failures: string[] = [];
  const skipped: string[] = [];
  const queue: Array<{ e: Example; text: string }> = [];
  const seenText = new Set<string>();
  for (const e of examples) {
    const reason = NOT_RUN.find(([re]) => re.test(e.text))?.[1];
    if (reason !== undefined) {
      skipped.push(`${e.where}: ${reason}`);
      continue;
    }
    const text = localize(e.text, serveUrl, upstreamUrl);
    if (seenText.has(text)) continue;
    seenText.add(text);
    queue.push({ e, text });
  }
  const ran = queue.length;
  const worker = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      // Its own directory: examples write files (run.json, ws.json) that others read.
      const cwd = mkdtempSync(join(tmpdir(), 'nbs-example-'));
      cpSync(dir, cwd, { recursive: true });
      const r = await run(job.text, cwd, env).finally(() => rmSync(cwd, { recursive: true, force: true }));
      // A server runs once it printed its URL line (then SIGTERM ends it); one that did not within
      // INTERRUPT_MS failed. A long run stopped by the clock exits 130 having reported what it
      // measured (or 3 when not a round or a request had finished yet, saying so); doctor takes
      // SIGINT's default. One that ignores SIGINT is killed and fails.
      const ok =
        r.stopped === 'served'
          ? r.code === 0 || r.signal === 'SIGTERM'
          : r.stopped === 'timer'
            ? !SERVES.test(job.text) && (r.code === 130 || (r.code === 3 && /interrupted/.test(r.stderr)) || (r.signal === 'SIGINT' && /^notebook-stream doctor\b/.test(job.text)))
            : r.code !== null && RAN.has(r.code);
      if (!ok) failures.push(`${job.e.where}: \`${job.e.text}\` exited ${r.code ?? r.signal}${r.stopped === null ? '' : r.stopped === 'served' ? ' (stopped by the test once serving)' : ' (stopped by the test after 10 s)'}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  t.diagnostic(`${ran} examples run; not run: ${skipped.length}`);
  for (const s of skipped) t.diagnostic(`not run: ${s}`);
  assert.deepEqual(failures, [], `examples that do not run as written:\n${failures.join('\n')}`);
});
