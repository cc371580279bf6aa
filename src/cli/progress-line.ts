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
