import { outputTokens, type StreamRecord } from '../model/record.js';

/**
 * One stream's own LLM figures (µs from the intended start), computed once and shared by the
 * run's histograms (llm-metrics.ts), goodput (goodput.ts) and nothing else: docs/metrics.md
 * defines each.
 */
export interface StreamFigures {
  /** C₁: the first content event (reasoning and tool calls count). */
  ttftUs: number | null;
  /** The first visible text (reasoning and tool-call deltas excluded). */
  ttfoUs: number | null;
  /** Cₖ. */
  lastContentUs: number | null;
  /** The k − 1 gaps Cᵢ₊₁ − Cᵢ. */
  gapsUs: number[];
  /** Each gap ÷ the tokens of its later event when the server counted them, else ÷ N/k. */
  perTokenUs: number[];
  /** N, and whether it came from `usage`. */
  tokens: number;
  fromUsage: boolean;
  /** k. */
  contentEvents: number;
  /** (Cₖ − C₁) / (N − 1) when N > 1. */
  tpotUs: number | null;
}

/**
 * The output tokens of one stream and where the count came from: the server's `usage` when it sent
 * one, else its content events (one delta is taken for one token, as GuideLLM does without usage).
 */
export function outputTokensOf(r: StreamRecord): { tokens: number; fromUsage: boolean } {
  return { tokens: outputTokens(r), fromUsage: r.outputTokens !== null };
}

export function streamFigures(r: StreamRecord): StreamFigures {
  const { tokens, fromUsage } = outputTokensOf(r);
  const tl = r.timeline;
  let first = -1;
  let last = -1;
  let ttfo: number | null = null;
  let events = 0;
  const own = tl.ownTokens();
  const gaps: number[] = [];
  // Tokens of each content event after the first when its own `usage` said (running totals: vLLM's continuous_usage_stats).
  const known: number[] = [];
  for (let i = 0; i < tl.length; i++) {
    if (!tl.content[i]) continue;
    const at = tl.arrivalUs[i]!;
    if (ttfo === null && tl.kind[i] === 'text') ttfo = at;
    if (first < 0) first = at;
    else {
      gaps.push(at - last);
      known.push(own[i]! > 0 ? own[i]! : NaN);
    }
    last = at;
    events++;
  }
  const mean = events > 0 && tokens > 0 ? tokens / events : 1;
  const perToken = gaps.map((g, i) => (Number.isNaN(known[i]!) ? g / mean : g / known[i]!));
  return {
    ttftUs: first < 0 ? null : first,
    ttfoUs: ttfo,
    lastContentUs: last < 0 ? null : last,
    gapsUs: gaps,
    perTokenUs: perToken,
    tokens,
    fromUsage,
    contentEvents: events,
    tpotUs: first >= 0 && tokens > 1 ? (last - first) / (tokens - 1) : null,
  };
}
