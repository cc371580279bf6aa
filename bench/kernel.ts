/**
 * `npm run bench:kernel`: what Jupyter itself adds to a notebook stream, and what our fixes and the
 * guide's kernel wait change. In one run, against the real Jupyter Server and ipykernel:
 * - request → first output of `print("x")`, requests back to back (where Nagle + delayed ACK bite),
 *   with `--jupyter-tuning stock` vs `fixed`;
 * - the rhythm of 8 prints 50 ms apart: how many stdout events arrive (ipykernel's 200 ms flush);
 * - the guide's kernel poll wait: guide-before (1000 ms) vs guide-after (100 ms) vs adaptive (none).
 * Every figure comes from this run: medians of RUNS requests with min–max. Writes reports/kernel-*.json.
 */
import { bench } from '../src/probe/bench.js';
import type { ReportConfiguration } from '../src/model/report.js';
import { startServe, type ServeProcess } from './lib/serve-process.js';
import { round } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const RUNS = Number(process.env['RUNS'] ?? 15);

const execBody = (code: string, notebook: string) => JSON.stringify({ notebook_id: notebook, operation: { type: 'execute', code }, lang: 'en' });

async function measure(url: string, name: string, code: string, notebook: string, policy?: string): Promise<ReportConfiguration> {
  const out = await bench({
    url: `${url}/send_operation`,
    name,
    requests: RUNS,
    warmup: 2,
    keepTimelines: 0,
    flushPolicy: 'adaptive',
    args: [],
    method: 'POST',
    body: execBody(code, notebook),
    header: ['content-type: application/json', ...(policy === undefined ? [] : [`x-nbs-flush-policy: ${policy}`])],
    keepAlive: true,
    format: 'auto',
    maxEventBytes: 1 << 20,
    connectTimeoutMs: 10_000,
    headersTimeoutMs: 120_000,
    idleTimeoutMs: 120_000,
    requestTimeoutS: 300,
  });
  if (out.nothingMeasured) throw new Error(`${name}: ${out.reason}`);
  return out.report.configurations[0] as ReportConfiguration;
}

function row(c: ReportConfiguration, metric: string) {
  const m = c.metrics[metric];
  return { p50: m?.p50 ?? null, min: m?.min ?? null, max: m?.max ?? null };
}

async function main(): Promise<void> {
  const servers: ServeProcess[] = [];
  try {
    const stock = await startServe(['--jupyter-tuning', 'stock', '--allow-policy-override']);
    servers.push(stock);
    const fixed = await startServe(['--jupyter-tuning', 'fixed', '--allow-policy-override']);
    servers.push(fixed);
    const loop = 'import time\nfor i in range(8):\n    print(i)\n    time.sleep(0.05)';
    const results: Record<string, ReturnType<typeof row> & { metric: string }> = {};
    const add = (label: string, c: ReportConfiguration, metric: string) => {
      results[label] = { metric, ...row(c, metric) };
      process.stderr.write(`${label}: ${metric} p50 ${results[label]!.p50}\n`);
    };
    add('print, stock tuning', await measure(stock.url, 'stock', 'print("x")', 'a'), 'first_content_ms');
    add('print, fixed tuning', await measure(fixed.url, 'fixed', 'print("x")', 'a'), 'first_content_ms');
    add('8 prints 50 ms apart, stock: events', await measure(stock.url, 'stock-loop', loop, 'b'), 'events_per_stream');
    add('8 prints 50 ms apart, fixed: events', await measure(fixed.url, 'fixed-loop', loop, 'b'), 'events_per_stream');
    for (const policy of ['guide-before', 'guide-after', 'adaptive']) {
      add(`print, fixed tuning, ${policy}`, await measure(fixed.url, policy, 'print("x")', `p-${policy}`, policy), 'first_content_ms');
    }
    const lines = ['| measure | metric | p50 | min | max |', '|---|---|---|---|---|'];
    for (const [label, r] of Object.entries(results)) {
      const f = (x: number | null) => (x === null ? '–' : String(round(x)));
      lines.push(`| ${label} | ${r.metric} | ${f(r.p50)} | ${f(r.min)} | ${f(r.max)} |`);
    }
    process.stdout.write(`${lines.join('\n')}\n(events_per_stream counts every event, done included; ${RUNS} requests each, back to back)\n`);
    const file = writeResult('kernel', { command: 'npm run bench:kernel', runs: RUNS, results });
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

await main();
