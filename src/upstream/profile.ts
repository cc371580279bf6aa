import type { LlmRecording } from './recording.js';

/**
 * The replay upstream's profiles. The profile is chosen by the request's `model` so that any
 * OpenAI-compatible client can drive it without extra headers:
 *
 *   synthetic?ttft_ms=200&tps=50&tokens=100&jitter_ms=5
 *   NAME?speed=2                     (a recording from fixtures/llm/NAME.json)
 *   …&fail=429&retry_after_s=3       (any profile: answer with that status instead)
 *   …&reset_after=N | &stall_after=N | &error_after=N (any profile: reset the connection, go silent,
 *                                      or send an error event after N deltas)
 *   synthetic?reasoning=6&tokens_per_chunk=3 (reasoning deltas first; several tokens a chunk)
 *   …&cut_after=N | &heartbeat_ms=N | &usage=0|1 | &continuous_usage=1 | &error_body=1 (issue 30)
 *
 * docs/llm.md is the reference for every parameter.
 */

/** One content delta of a plan: its text and when it is written, in ms from the request's arrival. */
export interface PlannedDelta {
  atMs: number;
  text: string;
  /** `reasoning` deltas go out as `delta.reasoning_content` (vLLM's and DeepSeek's name). */
  kind: 'content' | 'reasoning';
  /** Output tokens the delta stands for (a synthetic chunk of `tokens_per_chunk` words, else 1). */
  tokens: number;
}

/** What the upstream does for one request. */
export interface Plan {
  /** The `model` field the chunks carry. */
  model: string;
  deltas: PlannedDelta[];
  finishReason: 'stop' | 'length';
  /** Completion tokens reported in `usage` (a recording may say more tokens than deltas). */
  completionTokens: number;
  /** Prompt tokens reported in `usage`, or undefined: estimated from the messages. */
  promptTokens: number | undefined;
  /** Answer with this HTTP status and an OpenAI-shaped error body instead of a completion. */
  failStatus: number | undefined;
  /** `retry-after` (seconds) sent with a 429. */
  retryAfterS: number;
  /** When the role chunk is written, ms from arrival (never after the first content delta). */
  roleAtMs: number;
  /** Destroy the socket right after this many content deltas (0: after the role chunk). */
  resetAfter: number | undefined;
  /** Write nothing more after this many content deltas, but keep the connection open. */
  stallAfter: number | undefined;
  /** Send an in-stream error event (`data: {"error": …}`) after this many deltas, then end. */
  errorAfter: number | undefined;
  /** End the body cleanly after this many deltas: no finish chunk, no `[DONE]` (a cut stream). */
  cutAfter: number | undefined;
  /** Write an SSE comment after this many ms without a write (a heartbeat). */
  heartbeatMs: number | undefined;
  /** true: the usage chunk whatever the request asked; false: never; undefined: as asked. */
  usage: boolean | undefined;
  /** Every chunk carries the running usage (vLLM's `continuous_usage_stats`). */
  continuousUsage: boolean;
  /** Answer 200 with an error object as the body (what some gateways do). */
  errorBody: boolean;
  /** Reasoning tokens among the completion tokens (`completion_tokens_details.reasoning_tokens`). */
  reasoningTokens: number;
}

/** A model string that names no profile, or a bad parameter: the upstream answers 400/404. */
export class ProfileError extends Error {
  readonly status: 400 | 404;
  readonly param: string | null;
  constructor(status: 400 | 404, message: string, param: string | null) {
    super(message);
    this.name = 'ProfileError';
    this.status = status;
    this.param = param;
  }
}

export const SYNTHETIC_DEFAULTS = { ttft_ms: 200, tps: 50, tokens: 100, jitter_ms: 0, seed: 1 } as const;
export const FAIL_STATUSES = [400, 401, 403, 404, 429, 500, 502, 503] as const;

const LIMITS: Record<string, { min: number; max: number; int: boolean }> = {
  ttft_ms: { min: 0, max: 600_000, int: false },
  tps: { min: 0.001, max: 1_000_000, int: false },
  tokens: { min: 0, max: 1_000_000, int: true },
  jitter_ms: { min: 0, max: 60_000, int: false },
  seed: { min: 0, max: 2 ** 31 - 1, int: true },
  speed: { min: 0.001, max: 1000, int: false },
  fail: { min: 100, max: 599, int: true },
  retry_after_s: { min: 0, max: 86_400, int: true },
  reset_after: { min: 0, max: 1_000_000, int: true },
  stall_after: { min: 0, max: 1_000_000, int: true },
  role_ms: { min: 0, max: 600_000, int: false },
  error_after: { min: 0, max: 1_000_000, int: true },
  cut_after: { min: 0, max: 1_000_000, int: true },
  heartbeat_ms: { min: 1, max: 600_000, int: false },
  usage: { min: 0, max: 1, int: true },
  continuous_usage: { min: 0, max: 1, int: true },
  error_body: { min: 0, max: 1, int: true },
  tokens_per_chunk: { min: 1, max: 1000, int: true },
  reasoning: { min: 0, max: 1_000_000, int: true },
};
const COMMON_PARAMS = ['role_ms', 'fail', 'retry_after_s', 'reset_after', 'stall_after', 'error_after', 'cut_after', 'heartbeat_ms', 'usage', 'continuous_usage', 'error_body'];
const SYNTHETIC_PARAMS = ['ttft_ms', 'tps', 'tokens', 'jitter_ms', 'seed', 'tokens_per_chunk', 'reasoning', ...COMMON_PARAMS];
const RECORDING_PARAMS = ['speed', ...COMMON_PARAMS];

/** Words the synthetic profile cycles through; token i is `WORDS[i % n]` plus a space. */
const WORDS = ['Streaming', 'tokens', 'arrive', 'one', 'by', 'one', 'from', 'the', 'replay', 'upstream.'];

/** The text of synthetic token `i` (0-based): tests rebuild the expected answer from it. */
export function syntheticToken(i: number): string {
  return `${WORDS[i % WORDS.length] ?? ''}${i % WORDS.length === WORDS.length - 1 ? '\n' : ' '}`;
}

/** mulberry32: a tiny seeded PRNG, so a profile with jitter replays the same timings every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseParams(query: string, allowed: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, raw] of new URLSearchParams(query)) {
    const limits = LIMITS[key];
    if (limits === undefined || !allowed.includes(key)) {
      throw new ProfileError(400, `unknown profile parameter '${key}' (allowed: ${allowed.join(', ')})`, 'model');
    }
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < limits.min || n > limits.max || (limits.int && !Number.isInteger(n))) {
      throw new ProfileError(
        400,
        `profile parameter '${key}' must be ${limits.int ? 'a whole number' : 'a number'} from ${limits.min} to ${limits.max}, got '${raw}'`,
        'model',
      );
    }
    if (key === 'fail' && !(FAIL_STATUSES as readonly number[]).includes(n)) {
      throw new ProfileError(400, `profile parameter 'fail' must be one of ${FAIL_STATUSES.join(', ')}, got '${raw}'`, 'model');
    }
    out.set(key, n);
  }
  return out;
}

type Common = Pick<
  Plan,
  'roleAtMs' | 'failStatus' | 'retryAfterS' | 'resetAfter' | 'stallAfter' | 'errorAfter' | 'cutAfter' | 'heartbeatMs' | 'usage' | 'continuousUsage' | 'errorBody'
>;

function common(params: Map<string, number>): Common {
  const usage = params.get('usage');
  return {
    cutAfter: params.get('cut_after'),
    heartbeatMs: params.get('heartbeat_ms'),
    usage: usage === undefined ? undefined : usage === 1,
    continuousUsage: params.get('continuous_usage') === 1,
    errorBody: params.get('error_body') === 1,
    roleAtMs: params.get('role_ms') ?? 0,
    failStatus: params.get('fail'),
    retryAfterS: params.get('retry_after_s') ?? 1,
    resetAfter: params.get('reset_after'),
    stallAfter: params.get('stall_after'),
    errorAfter: params.get('error_after'),
  };
}

/**
 * Turns a request's `model` and `max_tokens` into a plan. `recordings` maps a recording's name to
 * its contents. Throws ProfileError (404 for an unknown name, 400 for a bad parameter).
 */
export function planFor(model: string, maxTokens: number | undefined, recordings: ReadonlyMap<string, LlmRecording>): Plan {
  const q = model.indexOf('?');
  const name = q < 0 ? model : model.slice(0, q);
  const query = q < 0 ? '' : model.slice(q + 1);
  let plan: Plan;
  if (name === 'synthetic') {
    const p = parseParams(query, SYNTHETIC_PARAMS);
    const ttft = p.get('ttft_ms') ?? SYNTHETIC_DEFAULTS.ttft_ms;
    const tps = p.get('tps') ?? SYNTHETIC_DEFAULTS.tps;
    const tokens = p.get('tokens') ?? SYNTHETIC_DEFAULTS.tokens;
    const jitter = p.get('jitter_ms') ?? SYNTHETIC_DEFAULTS.jitter_ms;
    const random = prng(p.get('seed') ?? SYNTHETIC_DEFAULTS.seed);
    const perChunk = p.get('tokens_per_chunk') ?? 1;
    const reasoning = p.get('reasoning') ?? 0;
    const deltas: PlannedDelta[] = [];
    let last = 0;
    // Reasoning tokens first, then content; a chunk of `perChunk` tokens every perChunk × 1000/tps ms.
    const chunk = (kind: PlannedDelta['kind'], from: number, count: number, tokenBase: number) => {
      for (let i = 0; i < count; i += perChunk) {
        const n = Math.min(perChunk, count - i);
        const nominal = ttft + ((from + i) * 1000) / tps;
        const jittered = nominal + (jitter > 0 ? (random() * 2 - 1) * jitter : 0);
        // Never before the previous chunk, never before the request: order is the point of a stream.
        last = Math.max(last, jittered, 0);
        let text = '';
        for (let j = 0; j < n; j++) text += syntheticToken(tokenBase + i + j);
        deltas.push({ atMs: last, text, kind, tokens: n });
      }
    };
    chunk('reasoning', 0, reasoning, 0);
    chunk('content', Math.ceil(reasoning / perChunk) * perChunk, tokens, 0);
    plan = { model, deltas, finishReason: 'stop', completionTokens: reasoning + tokens, promptTokens: undefined, reasoningTokens: reasoning, ...common(p) };
  } else {
    const rec = recordings.get(name);
    if (rec === undefined) {
      const known = ['synthetic', ...recordings.keys()].join(', ');
      throw new ProfileError(404, `The model \`${model}\` does not exist (this replay upstream knows: ${known}).`, 'model');
    }
    const p = parseParams(query, RECORDING_PARAMS);
    const speed = p.get('speed') ?? 1;
    const deltas = rec.deltas.map(([at, text]): PlannedDelta => ({ atMs: at / speed, text, kind: 'content', tokens: 1 }));
    plan = {
      model: rec.model,
      deltas,
      finishReason: rec.finish_reason,
      completionTokens: rec.usage?.completion_tokens ?? deltas.length,
      promptTokens: rec.usage?.prompt_tokens,
      reasoningTokens: 0,
      ...common(p),
    };
  }
  // The role chunk precedes the first content delta, as in the real API.
  plan.roleAtMs = Math.min(plan.roleAtMs, plan.deltas[0]?.atMs ?? plan.roleAtMs);
  const planned = plan.deltas.reduce((n, d) => n + d.tokens, 0);
  if (maxTokens !== undefined && maxTokens < planned) {
    // Deltas stand for their tokens here, so max_tokens cuts the answer like a model would.
    let kept = 0;
    let n = 0;
    while (n < plan.deltas.length && kept + plan.deltas[n]!.tokens <= maxTokens) kept += plan.deltas[n++]!.tokens;
    plan.deltas = plan.deltas.slice(0, n);
    plan.finishReason = 'length';
    plan.completionTokens = kept;
    plan.reasoningTokens = plan.deltas.reduce((m, d) => m + (d.kind === 'reasoning' ? d.tokens : 0), 0);
  }
  return plan;
}
