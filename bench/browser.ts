/**
 * `npm run bench:browser`: what the page in headless Chromium adds to the wire (bench --browser)
 * on the embedded server (adaptive policy, the guide's ping: 50 tokens 20 ms apart), one stream at
 * a time and 10 at once: browser_overhead_ms p50/p99 (page arrival − wire arrival of the same
 * event, from the server's t stamps), first content on the wire and on the page, paint delay and
 * the page streams that waited for a connection. N streams per level (default 60). Writes
 * reports/browser-*.json. Every figure comes from this run.
 */
import { runBenchCli, stat } from './lib/run-bench-cli.js';
import { writeResult } from './lib/write-result.js';

const N = Number(process.env['N'] ?? 60);
const rows = [];
for (const c of [1, 10]) {
  const args = ['--browser', '-c', String(c), '-n', String(N), '--warmup', String(c)];
  const conf = await runBenchCli(args);
  rows.push({
    c,
    command: `notebook-stream bench ${args.join(' ')}`,
    page_streams_ok: conf.browser?.requests.ok ?? 0,
    overhead_p50_ms: stat(conf, 'browser_overhead_ms', 'p50'),
    overhead_p99_ms: stat(conf, 'browser_overhead_ms', 'p99'),
    wire_first_content_p50_ms: stat(conf, 'first_content_ms', 'p50'),
    page_first_content_p50_ms: stat(conf, 'browser_first_content_ms', 'p50'),
    paint_delay_p50_ms: stat(conf, 'paint_delay_ms', 'p50'),
    paint_delay_p99_ms: stat(conf, 'paint_delay_ms', 'p99'),
    queued_streams: conf.browser?.queued_streams.length ?? 0,
    protocol: conf.browser?.protocol ?? null,
    client_loop_delay_p99_ms: stat(conf, 'client_loop_delay_ms', 'p99'),
  });
}
const lines = [
  '| -c | browser_overhead_ms p50 | p99 | first content wire / page p50 | paint_delay_ms p50 / p99 | queued streams | page streams ok |',
  '|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  lines.push(
    `| ${r.c} | ${r.overhead_p50_ms} | ${r.overhead_p99_ms} | ${r.wire_first_content_p50_ms} / ${r.page_first_content_p50_ms} | ${r.paint_delay_p50_ms} / ${r.paint_delay_p99_ms} | ${r.queued_streams} | ${r.page_streams_ok} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n(${N} measured streams per level, ${rows[0]?.protocol ?? '?'})\n`);
process.stdout.write(`wrote ${writeResult('browser', { command: 'npm run bench:browser', n: N, rows })}\n`);
