import type { StreamRecord } from '../model/record.js';
import type { Slo, SloStat, SloTerm } from '../model/slo.js';
import type { StreamFigures } from './stream-figures.js';

/**
 * Whether one measured request is good (docs/metrics.md, "Goodput"): it succeeded, its stream was
 * whole (no integrity kind, strict or not), it delivered content, and it met every term on its
 * own figures. A per-gap term over no gaps (one content event) holds; `tpot_ms` with N ≤ 1 is 0,
 * as vLLM takes it.
 */
export function isGood(r: StreamRecord, f: StreamFigures, slo: Slo): boolean {
  if (r.error !== null || r.integrity !== null || f.ttftUs === null) return false;
  for (const t of slo.terms) {
    const us = valueUs(r, f, t);
    if (us === null) return false;
    const ms = us / 1000;
    if (t.op === '<' ? !(ms < t.limit) : !(ms <= t.limit)) return false;
  }
  return true;
}

function valueUs(r: StreamRecord, f: StreamFigures, t: SloTerm): number | null {
  switch (t.metric) {
    case 'ttft_ms':
      return f.ttftUs;
    case 'ttfo_ms':
      return f.ttfoUs;
    case 'tpot_ms':
      return f.tpotUs ?? 0;
    case 'first_content_ms':
      return r.firstContentUs;
    case 'total_ms':
      return r.endUs;
    case 'itl_ms':
      return gapStat(f.gapsUs, t.stat ?? 'max');
    case 'itl_per_token_ms':
      return gapStat(f.perTokenUs, t.stat ?? 'max');
    default:
      return null;
  }
}

/** A stat of one request's own gaps: percentiles by nearest rank (the ⌈p·n⌉-th smallest); 0 with no gaps. */
export function gapStat(gaps: readonly number[], stat: SloStat): number {
  if (gaps.length === 0) return 0;
  if (stat === 'mean') return gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sorted = [...gaps].sort((a, b) => a - b);
  if (stat === 'max') return sorted[sorted.length - 1]!;
  const p = Number(stat.slice(1)) / 100;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}
