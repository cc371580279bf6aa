import { NO_COLORS, tableStyle, type Colors } from './chalk.js';
import Table from 'cli-table3';
import type { DoctorResult, Verdict } from '../model/doctor-result.js';

function colour(v: Verdict | null, chalk: Colors): string {
  if (v === null) return chalk.dim('–');
  const text = v.replace(/_/g, ' ');
  return v === 'STREAMING' ? chalk.green(text) : v === 'INCONCLUSIVE' ? chalk.yellow(text) : chalk.red(text);
}

const n = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));

/** doctor's summary: verdict and evidence, each run, the attribution steps, the fixes (most likely first). */
export function renderDoctor(r: DoctorResult, chalk: Colors = NO_COLORS): string {
  const lines: string[] = [];
  const c = r.classification;
  lines.push(chalk.bold(`doctor ${r.url}`) + (r.direct !== null ? `  (direct: ${r.direct})` : ''));
  if (r.hops !== null && r.hops.length > 0) lines.push(renderHops(r, chalk));
  lines.push(`verdict: ${colour(r.verdict, chalk)}  (${r.agree}/${r.of} runs${r.resolvedBy !== null ? ` said ${r.runsVerdict}` : ''})  ${r.reason}`);
  if (r.resolvedBy !== null) lines.push(`  resolved by the ${r.resolvedBy}`);
  const page = r.attribution.find((s) => s.id === 'browser' && s.implicates !== null);
  if (page !== undefined) lines.push(chalk.yellow(`  in the browser: ${page.conclusion}`));
  const co = c.coalescing;
  if (c.rule !== null && co !== null) {
    const rule = { timer: `a timer (~${c.flushIntervalMs} ms)`, size: `a size threshold (~${c.thresholdChars} characters)`, 'timer+size': `a timer (~${c.flushIntervalMs} ms) and a size threshold (~${c.thresholdChars} characters)`, 'timer-or-size': 'a timer or a size threshold (a steady source makes them alike)' }[c.rule];
    lines.push(`  the backend coalesces: ${co.tokensPerEvent} source tokens per event, by ${rule}; first content waited ~${n(c.addedFirstContentMs)} ms`);
    lines.push(
      chalk.dim(
        `  content: ${co.tokensAsked !== null ? `${co.tokensAsked} tokens asked, ` : ''}${co.contentEvents} text events, ${co.tokensSeen} tokens seen (${co.basis === 'asked' ? "by the asked token's size" : 'words of the text'}), ` +
          `${co.charsPerEvent} characters an event (CV ${n(co.charsCv)}), one every ${n(co.intervalMs)} ms (CV ${n(co.intervalCv)}, ${co.clock === 't' ? 'server t' : 'arrival'})` +
          (co.paceAskedMs !== null ? `, pace asked ${co.paceAskedMs} ms a token, seen ${n(co.paceSeenMs)} ms a token` : ''),
      ),
    );
  } else if (c.verdict === 'PERIODIC_FLUSH') lines.push(`  flush interval ~${c.flushIntervalMs} ms; first content waited ${n(c.addedFirstContentMs)} ms in the buffer`);
  if (c.verdict === 'SIZE_THRESHOLD' && c.rule === null) lines.push(`  releases of ~${c.thresholdKiB} KiB (${c.thresholdBytes} bytes); first content waited ${n(c.addedFirstContentMs)} ms`);
  if (c.caveat !== null) lines.push(chalk.yellow(`  cannot tell: ${c.caveat}`));
  if (c.verdict === 'FULLY_BUFFERED') lines.push(`  first content waited ${n(c.addedFirstContentMs)} ms for the end of the stream`);
  if (c.verdict === 'INCONCLUSIVE' && c.needed !== null) lines.push(chalk.yellow(`  to be conclusive: ${c.needed}`));
  const e = c.evidence;
  lines.push(
    chalk.dim(
      `  evidence: ${e.events} events, ${e.bytes} bytes, ${e.releases} releases, stamps ${e.stamps}, span ${e.spanMs} ms, ` +
        `final release ${Math.round(e.finalShare * 100)} % at ${e.finalArrivalMs} ms, wait median ${n(e.medianWaitMs)} / p90 ${n(e.p90WaitMs)} ms, ` +
        `interval ${n(e.intervalMs)} ms (CV ${n(e.intervalCv)}), release ${n(e.releaseBytes)} B (CV ${n(e.bytesCv)})`,
    ),
  );
  const runs = new Table({
    head: ['run', 'verdict', 'status', 'headers ms', 'first content ms', 'end ms', 'events', 'reads', 'encoding'],
    style: tableStyle(chalk),
  });
  r.runs.forEach((run, i) =>
    runs.push([String(i + 1), colour(run.verdict, chalk), n(run.status), n(run.headersMs), n(run.firstContentMs), String(run.endMs), String(run.events), String(run.reads), run.contentEncoding || '–']),
  );
  lines.push(runs.toString());
  if (r.intermediaries.length > 0) lines.push('on the path: ' + r.intermediaries.map((p) => `${p.name} (${p.evidence})`).join(', '));
  if (r.attribution.length > 0) {
    const t = new Table({
      head: ['changed (one thing)', 'verdict', 'first content ms', 'what it says'],
      colWidths: [40, 18, 10, 64],
      wordWrap: true,
      style: tableStyle(chalk),
    });
    for (const s of r.attribution) t.push([s.changed, colour(s.verdict, chalk), n(s.run?.firstContentMs), s.conclusion]);
    lines.push(t.toString());
  }
  if (r.fixes.length > 0) {
    lines.push(chalk.bold('fixes, most likely first'));
    r.fixes.forEach((f, i) => {
      lines.push(`${i + 1}. ${f.title}`);
      lines.push(chalk.dim(`   because: ${f.because}`));
      for (const [stack, snippet] of Object.entries(f.snippets)) {
        lines.push(chalk.dim(`   ${stack}:`));
        for (const l of String(snippet).split('\n')) lines.push(`     ${l}`);
      }
    });
  }
  lines.push(chalk.dim(`doctor took ${(r.elapsedMs / 1000).toFixed(1)} s`));
  return lines.join('\n') + '\n';
}

/** `--hop`: one row per hop, the backend first, then the summary that blames a hop. */
function renderHops(r: DoctorResult, chalk: Colors): string {
  const t = new Table({
    head: ['hop', 'verdict', 'tokens/event', 'first content p50 ms', 'p90 ms', 'hold or lag ms', 'adds over previous ms'],
    style: tableStyle(chalk),
  });
  for (const h of r.hops ?? []) {
    t.push([
      `${h.name}\n${chalk.dim(`${h.url} (HTTP/${h.httpVersion ?? '?'})`)}`,
      `${colour(h.verdict, chalk)} ${h.agree}/${h.of}`,
      h.tokensPerEvent === null ? '–' : `${h.tokensPerEvent} (${h.rule})`,
      n(h.firstContentP50Ms),
      n(h.firstContentP90Ms),
      h.waitMs === null ? '– (no stamps)' : `${h.waitMs} (${h.waitKind})`,
      h.addedMs === null
        ? '–'
        : `${h.addedMs >= 0 ? '+' : ''}${h.addedMs} ±${h.addedNoiseMs ?? '? (1 round)'} (first content ${h.addedFirstContentMs !== null && h.addedFirstContentMs >= 0 ? '+' : ''}${n(h.addedFirstContentMs)})`,
    ]);
  }
  const lines = [t.toString()];
  if (r.blame !== null) lines.push(`${r.blame.kind === 'none' ? chalk.green('hops:') : chalk.red('blame:')} ${r.blame.sentence}`);
  return lines.join('\n');
}

export function serializeDoctor(r: DoctorResult): string {
  return JSON.stringify({ command: 'doctor', ...r }, null, 2) + '\n';
}
