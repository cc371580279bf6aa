/**
 * `npm run bench:scale`: target 6 of the performance suite. STREAMS concurrent open streams on the
 * embedded server (default 10,000), each sending one event a second for EVENTS seconds: `lag_ms`
 * p99 (target ≤ 10 ms), the server's peak RSS (target ≤ 1 GiB) and the client's memory per stream.
 * Checks the hard open-file limit first (both processes need one descriptor per stream).
 * PIN=1 (issue 31) pins the server to CPU 0 and the client to CPU 1 (taskset, all threads), so the
 * client's event-loop delay, reported next to lag_ms as its share, does not come from the server.
 * CLIENTS=N (default 2, issue 31) splits the streams over N bench processes run at once, whose
 * reports merge exactly (mergeConfigurations): with 10,000 streams in one client its own scavenges,
 * each scanning every live stream, took 10–25 ms and showed as lag; half the streams each halves
 * that. The client's share is the largest of the clients' own event-loop delay p99.
 */
import { execFileSync } from 'node:child_process';
import { startServe } from './lib/serve-process.js';
import { mergeConfigurations } from '../src/model/merge-reports.js';
import { processPeakRss, runBenchCli, stat } from './lib/run-bench-cli.js';
import { recordGoal } from './lib/goals.js';
import { round } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const STREAMS = Number(process.env['STREAMS'] ?? 10_000);
const EVENTS = Number(process.env['EVENTS'] ?? 10);

const hard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
if (Number.isFinite(hard) && hard < STREAMS + 200) {
  process.stderr.write(`the hard open-file limit is ${hard}; ${STREAMS} streams need more: raise it (ulimit -Hn, /etc/security/limits.conf, LimitNOFILE=) or set STREAMS\n`);
  process.exit(2);
}

const PIN = process.env['PIN'] === '1';
const CLIENTS = Math.max(1, Math.min(STREAMS, Number(process.env['CLIENTS'] ?? 2)));
/**
 * RAMP_S=S (default 0: all at once) opens the streams over S seconds (bench's open model at
 * STREAMS / S a second) instead of all in the same instant; with EVENTS > S all are open together
 * from S on. 10,000 connects in one instant measure the accept storm, not the stream.
 */
const RAMP_S = Number(process.env['RAMP_S'] ?? 0);
/** Pins every thread of a running process to one CPU (Linux taskset). */
const pin = (pid: number, cpu: number) => {
  if (PIN) execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
};
const server = await startServe(['--max-streams', String(STREAMS * 2), '--heartbeat-s', '0', '--log-level', 'warn']);
const body = JSON.stringify({ notebook_id: 'scale', operation: { type: 'ping', count: EVENTS, interval_ms: 1000 }, lang: 'en' });
pin(server.child.pid as number, 0);
/** The server's own count of open streams (nbs_streams_active), sampled: how many were open at once. */
let peakActive = 0;
const activeSampler = setInterval(() => {
  fetch(`${server.url}/metrics`)
    .then((r) => r.text())
    .then((text) => {
      const m = /^nbs_streams_active (\d+)/m.exec(text);
      if (m !== null) peakActive = Math.max(peakActive, Number(m[1]));
    })
    .catch(() => undefined);
}, 250);
/** Peak RSS of each client process, sampled twice a second (a child's VmHWM is gone once it exits). */
const clientPeaks: number[] = [];
const samplers: NodeJS.Timeout[] = [];
let parts;
try {
  parts = await Promise.all(
    Array.from({ length: CLIENTS }, (_, k) => {
      const n = Math.floor(STREAMS / CLIENTS) + (k < STREAMS % CLIENTS ? 1 : 0);
      return runBenchCli(
        [
          `${server.url}/send_operation`,
          ...(RAMP_S > 0 ? ['--rate', String(n / RAMP_S), '--max-in-flight', String(n)] : ['-c', String(n)]),
          '-n', String(n), '--body', body, '--connect-timeout-ms', '60000', '--headers-timeout-ms', '120000',
        ],
        900_000,
        (pid) => {
          pin(pid, 1);
          clientPeaks[k] = 0;
          samplers.push(
            setInterval(() => {
              processPeakRss(pid).then((r) => (clientPeaks[k] = Math.max(clientPeaks[k] ?? 0, r)), () => undefined);
            }, 500),
          );
        },
      );
    }),
  );
} finally {
  for (const s of samplers) clearInterval(s);
  clearInterval(activeSampler);
}
const result = mergeConfigurations(parts, { keepTimelines: 0 });
const clientPeak = clientPeaks.reduce((a, b) => a + b, 0);
const clientLoopP99 = Math.max(...parts.map((p) => stat(p, 'client_loop_delay_ms', 'p99') ?? NaN));
const serverPeak = await processPeakRss(server.child.pid as number);
await server.stop();

const lagP99 = stat(result, 'lag_ms', 'p99');
const row = {
  streams: STREAMS,
  peak_active: peakActive,
  ok: result.requests.ok,
  failed: result.requests.failed,
  errors: result.errors,
  lag_ms_p50: stat(result, 'lag_ms', 'p50'),
  lag_ms_p99: lagP99,
  first_content_ms_p99: stat(result, 'first_content_ms', 'p99'),
  server_peak_rss_mib: round(serverPeak / 2 ** 20, 1),
  client_peak_rss_mib: round(clientPeak / 2 ** 20, 1),
  client_kib_per_stream: round(clientPeak / 1024 / STREAMS, 1),
  client_loop_delay_ms_p99: clientLoopP99,
  clients: CLIENTS,
};
const lines = ['| measure | value | target |', '|---|---:|---|'];
lines.push(`| streams ok / failed; most open at once (the server's nbs_streams_active) | ${row.ok} / ${row.failed}; ${row.peak_active} | ${STREAMS} |`);
lines.push(`| lag_ms p50 / p99 | ${row.lag_ms_p50} / ${row.lag_ms_p99} | p99 ≤ 10 ms: ${lagP99 !== null && lagP99 <= 10 ? 'met' : 'missed'} |`);
lines.push(`| server peak RSS | ${row.server_peak_rss_mib} MiB | ≤ 1024 MiB: ${row.server_peak_rss_mib <= 1024 ? 'met' : 'missed'} |`);
lines.push(`| client peak RSS (per stream) | ${row.client_peak_rss_mib} MiB (${row.client_kib_per_stream} KiB) | |`);
lines.push(`| client event-loop delay p99 (largest of ${CLIENTS}) | ${row.client_loop_delay_ms_p99} ms | |`);
process.stdout.write(`${lines.join('\n')}\n(${EVENTS} events a stream, one a second; ${CLIENTS} client process${CLIENTS > 1 ? 'es' : ''}${PIN ? '; server pinned to CPU 0, clients to CPU 1' : ''})\n`);
const command = `${PIN ? 'PIN=1 ' : ''}CLIENTS=${CLIENTS}${RAMP_S > 0 ? ` RAMP_S=${RAMP_S}` : ''}${process.env['EVENTS'] !== undefined ? ` EVENTS=${EVENTS}` : ''}${process.env['STREAMS'] !== undefined ? ` STREAMS=${STREAMS}` : ''} npm run bench:scale`;
process.stdout.write(`wrote ${writeResult('scale', { command, events: EVENTS, pinned: PIN, ramp_s: RAMP_S, ...row })}\n`);

recordGoal({
  goal: `${STREAMS} concurrent streams: \`lag_ms\` p99, the client's share apart`,
  unit: 'ms',
  figure: lagP99 ?? NaN,
  baseline: NaN,
  baseline_name: 'none (an absolute target)',
  ratio: NaN,
  target: '≤ 10 ms',
  met: lagP99 !== null && lagP99 <= 10,
  note: `client's own event-loop delay p99 ${row.client_loop_delay_ms_p99} ms (its share of lag; ${CLIENTS} client processes, the largest)${PIN ? ', server and clients pinned to a CPU each' : ''}; ${row.ok} ok / ${row.failed} failed`,
});
