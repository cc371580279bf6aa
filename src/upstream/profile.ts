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
 *
 * docs/llm.md is the reference for every parameter.
 */

/** One content delta of a plan: its text and when it is written, in ms from the request's arrival. */
export interface PlannedDelta {
  atMs: number;
  text: string;
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
};
const COMMON_PARAMS = ['role_ms', 'fail', 'retry_after_s', 'reset_after', 'stall_after', 'error_after'];
const SYNTHETIC_PARAMS = ['ttft_ms', 'tps', 'tokens', 'jitter_ms', 'seed', ...COMMON_PARAMS];
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

function common(params: Map<string, number>): Pick<Plan, 'roleAtMs' | 'failStatus' | 'retryAfterS' | 'resetAfter' | 'stallAfter' | 'errorAfter'> {
  return {
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
    const deltas: PlannedDelta[] = [];
    let last = 0;
    for (let i = 0; i < tokens; i++) {
      const nominal = ttft + (i * 1000) / tps;
      const jittered = nominal + (jitter > 0 ? (random() * 2 - 1) * jitter : 0);
      // Never before the previous token, never before the request: order is the point of a stream.
      last = Math.max(last, jittered, 0);
      deltas.push({ atMs: last, text: syntheticToken(i) });
    }
    plan = { model, deltas, finishReason: 'stop', completionTokens: tokens, promptTokens: undefined, ...common(p) };
  } else {
    const rec = recordings.get(name);
    if (rec === undefined) {
      const known = ['synthetic', ...recordings.keys()].join(', ');
      throw new ProfileError(404, `The model \`${model}\` does not exist (this replay upstream knows: ${known}).`, 'model');
    }
    const p = parseParams(query, RECORDING_PARAMS);
    const speed = p.get('speed') ?? 1;
    const deltas = rec.deltas.map(([at, text]) => ({ atMs: at / speed, text }));
    plan = {
      model: rec.model,
      deltas,
      finishReason: rec.finish_reason,
      completionTokens: rec.usage?.completion_tokens ?? deltas.length,
      promptTokens: rec.usage?.prompt_tokens,
      ...common(p),
    };
  }
  // The role chunk precedes the first content delta, as in the real API.
  plan.roleAtMs = Math.min(plan.roleAtMs, plan.deltas[0]?.atMs ?? plan.roleAtMs);
  if (maxTokens !== undefined && maxTokens < plan.deltas.length) {
    // One delta stands for one token here, so max_tokens cuts the answer like a model would.
    plan.deltas = plan.deltas.slice(0, maxTokens);
    plan.finishReason = 'length';
    plan.completionTokens = maxTokens;
  }
  return plan;
}
