import { UsageError } from './errors.js';

/**
 * Service-level objectives for goodput (docs/metrics.md, "Goodput"): `ttft_ms<500,itl_ms.p99<80`.
 * Each term is judged per request, on that request's own figures; a request is good when it
 * succeeded, its stream was whole, and it met every term.
 */

/** Figures one request has once (a latency) and per-gap figures that take a stat over its own gaps. */
export const SLO_REQUEST_METRICS = ['ttft_ms', 'ttfo_ms', 'tpot_ms', 'first_content_ms', 'total_ms'] as const;
export const SLO_GAP_METRICS = ['itl_ms', 'itl_per_token_ms'] as const;
export const SLO_METRICS: readonly string[] = [...SLO_REQUEST_METRICS, ...SLO_GAP_METRICS];
/** Stats over one request's gaps; a gap metric without a stat means `max` (every gap). */
export const SLO_STATS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean'] as const;
export type SloStat = (typeof SLO_STATS)[number];

export interface SloTerm {
  metric: string;
  /** Per-gap metrics only. */
  stat: SloStat | null;
  op: '<' | '<=';
  /** ms. */
  limit: number;
}

export interface Slo {
  /** The terms as one canonical string (`ttft_ms<500,itl_ms.p99<80`): merge only adds goodput of equal SLOs. */
  text: string;
  terms: SloTerm[];
}

/** A term that does not parse; the CLI names the flag. `term` is the part at fault. */
export class SloSyntaxError extends UsageError {
  constructor(
    readonly term: string,
    message: string,
  ) {
    super(message);
    this.name = 'SloSyntaxError';
  }
}

const TERM = /^([a-z_]+)(?:\.(p50|p90|p95|p99|p99\.9|max|mean))?\s*(<=|<)\s*(\d+(?:\.\d+)?)$/;

export function parseSlo(text: string): Slo {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new SloSyntaxError(text, "no objective given (e.g. 'ttft_ms<500,itl_ms.p99<80')");
  const terms: SloTerm[] = [];
  for (const part of parts) {
    const m = TERM.exec(part);
    if (m === null) {
      throw new SloSyntaxError(part, `'${part}' is not METRIC[.STAT]<MS or METRIC[.STAT]<=MS (e.g. 'ttft_ms<500' or 'itl_ms.p99<80')`);
    }
    const [, metric, stat, op, limit] = m;
    if (!SLO_METRICS.includes(metric!)) throw new SloSyntaxError(part, `'${metric}' is not a per-request figure; one of ${SLO_METRICS.join(', ')}`);
    const gap = (SLO_GAP_METRICS as readonly string[]).includes(metric!);
    if (stat !== undefined && !gap) throw new SloSyntaxError(part, `'${metric}' is one value a request: no .${stat}`);
    terms.push({ metric: metric!, stat: gap ? ((stat as SloStat | undefined) ?? 'max') : null, op: op as '<' | '<=', limit: Number(limit) });
  }
  return { text: terms.map(termText).join(','), terms };
}

export function termText(t: SloTerm): string {
  return `${t.metric}${t.stat !== null ? `.${t.stat}` : ''}${t.op}${t.limit}`;
}
