import { UsageError } from '../../model/errors.js';
import { Monitor } from '../../monitor/monitor.js';
import type { ProbeOutcome } from '../../monitor/probe-target.js';
import { resolveTargets } from '../monitor-targets.js';
import type { MonitorFlags } from './monitor.js';

const ms = (s: number | null) => (s === null ? null : Math.round(s * 1e6) / 1000);
const max = (xs: number[]) => (xs.length === 0 ? null : Math.max(...xs));

/** The probe's log line (docs/monitoring.md, "Log lines"): one JSON object, no arrays of samples. */
function logLine(o: ProbeOutcome, trigger: string): string {
  return JSON.stringify({
    time: o.at,
    msg: 'probe',
    target: o.target,
    trigger,
    success: o.success,
    failures: o.failures,
    duration_ms: ms(o.durationS),
    status: o.status,
    verdict: o.verdict,
    reason: o.reason,
    events: o.events,
    first_content_ms: ms(o.firstContentS),
    max_gap_ms: ms(max(o.gapsS)),
    max_hold_ms: ms(max(o.holdsS)),
    max_lag_ms: ms(max(o.lagsS)),
  });
}

/**
 * `monitor` as a process: resolve the targets (bad input exits 2 before anything starts), listen,
 * print the /metrics URL, log each probe, and stop on the first SIGINT/SIGTERM.
 */
export async function runMonitor(args: string[], flags: MonitorFlags): Promise<void> {
  if (flags.serverTime !== undefined && flags.serverTime.trim() === '') throw new UsageError('--server-time: empty path');
  const { config, interval, port, host, doctorEvery, expect, gate, schedule, ...request } = flags;
  const targets = await resolveTargets(args, config, {
    ...request,
    intervalMs: interval,
    doctorEvery,
    ...(expect === undefined ? {} : { expect }),
    ...(gate === undefined ? {} : { gate }),
  });
  const write = (line: string) => process.stderr.write(`${line}\n`);
  const monitor = await Monitor.start(
    { host, port, targets, scheduled: schedule },
    {
      onProbe: (o, trigger) => write(logLine(o, trigger)),
      onDoctor: (target, r) =>
        write(
          JSON.stringify({
            time: new Date().toISOString(),
            msg: 'doctor',
            target,
            verdict: r.verdict,
            reason: r.reason,
            fixes: r.fixes.slice(0, 3).map((f) => f.title),
            elapsed_ms: r.elapsedMs,
          }),
        ),
      onDoctorError: (target, err) => write(JSON.stringify({ time: new Date().toISOString(), msg: 'doctor failed', target, error: err instanceof Error ? err.message : String(err) })),
    },
  );
  await new Promise<void>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      write(JSON.stringify({ time: new Date().toISOString(), msg: 'shutting down', signal }));
      monitor.stop().then(() => {
        // A doctor run in flight is abandoned (Monitor.stop): do not wait for its sockets.
        setTimeout(() => process.exit(), 200).unref();
        resolve();
      }, reject);
    };
    // Handlers first, URL second, as serve does: a script that signals on the URL line gets a clean stop.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stdout.write(`${monitor.url}\n`);
  });
}
