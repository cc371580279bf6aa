import type { EventEmitter } from 'node:events';
import type { LoadProgress, LoadRunnerEvents } from '../probe/load-runner.js';

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** One line: done/total (or elapsed/duration), rate, in flight, errors, dropped, ETA. */
export function formatProgress(p: LoadProgress): string {
  const parts: string[] = [];
  if (p.phase === 'warmup') parts.push('warmup');
  if (p.total !== null) parts.push(`${p.done}/${p.total}`);
  else if (p.durationMs !== null) parts.push(`${seconds(p.elapsedMs)}/${seconds(p.durationMs)}`, `${p.done} done`);
  parts.push(`${p.ratePerS < 10 ? p.ratePerS.toFixed(1) : p.ratePerS.toFixed(0)} req/s`, `${p.inFlight} in flight`, `${p.errors} errors`);
  if (p.dropped > 0) parts.push(`${p.dropped} dropped`);
  if (p.etaMs !== null && (p.total === null || p.done < p.total)) parts.push(`ETA ${seconds(p.etaMs)}`);
  return parts.join('  ');
}

/**
 * Draws the runner's progress on `out` (stderr, a TTY: the caller decides) and clears it when the
 * run is done. The runner never prints; this only listens. Returns a function that detaches it.
 */
export function attachProgressLine(runner: EventEmitter<LoadRunnerEvents>, out: NodeJS.WriteStream): () => void {
  const draw = (p: LoadProgress) => out.write(`\r\x1b[K${formatProgress(p)}`);
  const clear = () => out.write('\r\x1b[K');
  runner.on('tick', draw);
  runner.on('done', clear);
  return () => {
    runner.off('tick', draw);
    runner.off('done', clear);
  };
}

/**
 * Without a terminal (CI logs, a pipe) there is no line to redraw: one line per phase instead, so
 * a long run shows it is alive (issue 32). Returns a function that detaches it.
 */
export function attachPhaseLines(runner: EventEmitter<LoadRunnerEvents>, out: NodeJS.WritableStream, what: string): () => void {
  let phase: LoadProgress['phase'] | null = null;
  const started = performance.now();
  const tick = (p: LoadProgress) => {
    if (p.phase === phase) return;
    phase = p.phase;
    const size = p.total !== null ? `${p.total} request${p.total === 1 ? '' : 's'}` : p.durationMs !== null ? `for ${seconds(p.durationMs)}` : '';
    out.write(`${what}: ${p.phase === 'warmup' ? 'warm-up' : 'measuring'} ${size}\n`);
  };
  const done = (p: LoadProgress) => out.write(`${what}: done, ${p.done} requests (${p.errors} errors) in ${seconds(performance.now() - started)}\n`);
  runner.on('tick', tick);
  runner.on('done', done);
  return () => {
    runner.off('tick', tick);
    runner.off('done', done);
  };
}
