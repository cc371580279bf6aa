/**
 * `npm run bench:accuracy`: how exact is bench's first-byte time? On one server (its own process)
 * in one run, for several injected first delays, compare bench's `headers_ms`/`first_byte_ms`
 * with curl's `time_starttransfer` and with the injected delay. Requests alternate bench, curl,
 * bench, curl… so both see the same machine state. Both open a new connection per request
 * (`--no-keep-alive`), as curl does. Prints a table, writes reports/accuracy-<timestamp>.json.
 * Every figure comes from this run; nothing is hard-coded.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildRequestSpec } from '../src/probe/build-request-spec.js';
import { StreamClient } from '../src/probe/stream-client.js';
import { median } from './lib/stats.js';

const run = promisify(execFile);
const DELAYS = (process.env['DELAYS'] ?? '0,20,100,500').split(',').map(Number);
const RUNS = Number(process.env['RUNS'] ?? 15);


async function startServer(): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL('./accuracy-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (s: string) => resolve(s.trim()));
    child.once('exit', (code) => reject(new Error(`accuracy server exited (${code})`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function curlStartTransferMs(url: string): Promise<{ connect: number; start: number }> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-H', 'Accept: text/event-stream', '-w', '%{time_connect} %{time_starttransfer}', url]);
  const [connect, start] = stdout.trim().split(' ').map((s) => Number(s) * 1000);
  return { connect: connect!, start: start! };
}

interface Row {
  delay_ms: number;
  runs: number;
  curl_connect_ms: number;
  curl_starttransfer_ms: number;
  bench_connect_ms: number;
  bench_headers_ms: number;
  bench_first_byte_ms: number;
  bench_first_content_ms: number;
  bench_minus_curl_ms: number;
  bench_minus_injected_ms: number;
  curl_minus_injected_ms: number;
}

async function main(): Promise<void> {
  const server = await startServer();
  const rows: Row[] = [];
  try {
    for (const delay of DELAYS) {
      const url = `${server.url}/?delay=${delay}&events=3&interval=5`;
      const spec = await buildRequestSpec(url, {
        keepAlive: false,
        format: 'auto',
        maxEventBytes: 1 << 20,
        connectTimeoutMs: 10_000,
        headersTimeoutMs: 30_000,
        idleTimeoutMs: 60_000,
        requestTimeoutS: 60,
        identity: true,
      });
      const client = new StreamClient(spec);
      // One warmup of each, left out: first-use costs (JIT, curl's page cache) are not accuracy.
      await client.request(0, true);
      await curlStartTransferMs(url);
      const b = { connect: [] as number[], headers: [] as number[], firstByte: [] as number[], firstContent: [] as number[] };
      const c = { connect: [] as number[], start: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        const r = await client.request(i + 1, false);
        if (r.error !== null) throw new Error(`bench request failed: ${r.error.kind} ${r.error.message}`);
        b.connect.push(r.connectUs! / 1000);
        b.headers.push(r.headersUs! / 1000);
        b.firstByte.push(r.firstByteUs! / 1000);
        b.firstContent.push(r.firstContentUs! / 1000);
        const cr = await curlStartTransferMs(url);
        c.connect.push(cr.connect);
        c.start.push(cr.start);
      }
      await client.close();
      const row: Row = {
        delay_ms: delay,
        runs: RUNS,
        curl_connect_ms: median(c.connect),
        curl_starttransfer_ms: median(c.start),
        bench_connect_ms: median(b.connect),
        bench_headers_ms: median(b.headers),
        bench_first_byte_ms: median(b.firstByte),
        bench_first_content_ms: median(b.firstContent),
        bench_minus_curl_ms: median(b.headers.map((h, i) => h - c.start[i]!)),
        bench_minus_injected_ms: median(b.headers) - delay,
        curl_minus_injected_ms: median(c.start) - delay,
      };
      rows.push(row);
    }
  } finally {
    server.stop();
  }
  const f = (x: number) => x.toFixed(3).padStart(9);
  const cpus = os.cpus();
  console.log(`bench vs curl time_starttransfer, medians of ${RUNS} alternating runs per delay (new connection each)`);
  console.log(`machine: nproc ${os.availableParallelism()}, ${cpus[0]?.model.trim() ?? '?'}, Node ${process.version}`);
  console.log('delay_ms  curl_start  bench_hdrs  bench_1st_b  bench_1st_c  bench-curl  bench-inj  curl-inj');
  for (const r of rows) {
    console.log(
      `${String(r.delay_ms).padStart(8)} ${f(r.curl_starttransfer_ms)}  ${f(r.bench_headers_ms)}   ${f(r.bench_first_byte_ms)}   ${f(r.bench_first_content_ms)}  ${f(r.bench_minus_curl_ms)} ${f(r.bench_minus_injected_ms)} ${f(r.curl_minus_injected_ms)}`,
    );
  }
  const { stdout: curlVersion } = await run('curl', ['--version']);
  const report = {
    kind: 'accuracy',
    created_at: new Date().toISOString(),
    machine: { nproc: os.availableParallelism(), cpu_model: cpus[0]?.model.trim() ?? 'unknown', node: process.version },
    curl: curlVersion.split('\n')[0],
    runs_per_delay: RUNS,
    rows,
  };
  await mkdir('reports', { recursive: true });
  const file = `reports/accuracy-${report.created_at.replace(/[:.]/g, '-')}.json`;
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`written: ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
