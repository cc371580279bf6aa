import { RequestError, say, type Lang } from '../request-error.js';
import type { Payload, SourceContext, SourceDefinition } from '../source.js';
import { timedPayloads } from './sleep.js';

/**
 * `ping`: a deterministic token stream, the guide's test operation. Token i is produced at
 * `first_delay_ms + i × interval_ms` after the stream opened, scheduled against that absolute
 * time so timer drift does not accumulate.
 */
export interface PingOptions {
  count: number;
  intervalMs: number;
  firstDelayMs: number;
  token: string;
}

/** Documented limits (docs/protocol.md). */
export const PING_LIMITS = {
  count: { min: 1, max: 1_000_000, default: 50 },
  interval_ms: { min: 0, max: 60_000, default: 20 },
  first_delay_ms: { min: 0, max: 600_000, default: 0 },
  tokenChars: { min: 1, max: 65_536 },
  tokenBytes: { min: 1, max: 1_048_576 },
} as const;

export const DEFAULT_PING_TOKEN = 'tok ';

/**
 * Tokens given as a size, made once per size and shared by every stream that asks for it: 500
 * streams of 1 MiB tokens must not hold 500 copies (issue 25 item 2). Few distinct sizes are in use
 * at a time; the map is cleared past a handful.
 */
const sizedTokens = new Map<number, string>();
function sizedToken(bytes: number): string {
  let t = sizedTokens.get(bytes);
  if (t === undefined) {
    if (sizedTokens.size >= 8) sizedTokens.clear();
    // Flat now, not a rope flattened by every stream's first JSON.stringify.
    t = Buffer.alloc(bytes, 'x').toString('latin1');
    sizedTokens.set(bytes, t);
  }
  return t;
}

function intField(op: Record<string, unknown>, name: keyof typeof PING_LIMITS, lang: Lang): number {
  const limits = PING_LIMITS[name] as { min: number; max: number; default?: number };
  const value = op[name];
  if (value === undefined) return limits.default ?? limits.min;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new RequestError(
      'NBS_INVALID_BODY',
      say(
        lang,
        `operation.${name} must be a whole number from ${limits.min} to ${limits.max}`,
        `operation.${name} 必须是 ${limits.min} 到 ${limits.max} 之间的整数`,
      ),
    );
  }
  return value;
}

function tokenField(op: Record<string, unknown>, lang: Lang): string {
  const value = op['token'];
  if (value === undefined) return DEFAULT_PING_TOKEN;
  if (typeof value === 'string' && value.length >= PING_LIMITS.tokenChars.min && value.length <= PING_LIMITS.tokenChars.max) {
    return value;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= PING_LIMITS.tokenBytes.min && value <= PING_LIMITS.tokenBytes.max) {
    // A size in bytes: ASCII, so bytes = characters on the wire (before JSON framing).
    return sizedToken(value);
  }
  throw new RequestError(
    'NBS_INVALID_BODY',
    say(
      lang,
      `operation.token must be a string of 1 to ${PING_LIMITS.tokenChars.max} characters or a size in bytes from 1 to ${PING_LIMITS.tokenBytes.max}`,
      `operation.token 必须是 1 到 ${PING_LIMITS.tokenChars.max} 个字符的字符串，或 1 到 ${PING_LIMITS.tokenBytes.max} 之间的字节数`,
    ),
  );
}

function pingStream(op: PingOptions, ctx: SourceContext): AsyncIterable<Payload> {
  const payload: Payload = { type: 'chunk', text: op.token };
  const item = { atMs: 0, payload };
  return timedPayloads((i) => {
    if (i >= op.count) return null;
    item.atMs = op.firstDelayMs + i * op.intervalMs;
    return item;
  }, ctx.signal);
}

export const pingSource: SourceDefinition<PingOptions> = {
  type: 'ping',
  validate(op, lang) {
    return {
      count: intField(op, 'count', lang),
      intervalMs: intField(op, 'interval_ms', lang),
      firstDelayMs: intField(op, 'first_delay_ms', lang),
      token: tokenField(op, lang),
    };
  },
  async open(op, ctx) {
    return pingStream(op, ctx);
  },
};
