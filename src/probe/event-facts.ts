import type { DoneStats } from '../model/protocol.js';
import type { StreamRecord } from '../model/record.js';
import { isLlmDone, isOpenAiChunk, isStreamError, usageOutputTokens } from './openai-chunk.js';
import { readStamp, type ServerTimeSpec } from './server-time.js';

/** What the client needs to know about one event beyond its arrival. */
export interface EventFacts {
  /** The event's name: the SSE type, or an NDJSON object's `event` key, else `message`. */
  name: string;
  /** Carries payload (docs/metrics.md, "Conventions"). */
  content: boolean;
  /** Server send time in ms (NaN when absent) and, when `t_src` is present, the source time. */
  t: number;
  tSrc: number;
  /** `done.stats` of our server. */
  stats: DoneStats | null;
  /** Shaped like an LLM stream: an OpenAI chunk, a `usage` count, or our `done` of a chat answer. */
  llm?: boolean;
  /** Output tokens from the event's `usage` (openai-chunk.ts), null when it has none. */
  outputTokens?: number | null;
}

/**
 * Classifies one event. Not content: `done` and `error` events, an in-stream `{"error": {…}}`
 * object (named `error` here), `[DONE]`, empty data, and
 * OpenAI-style deltas that carry only a role or only usage (`choices: []`) — the LLM tools that call
 * those a first token measure TTFT too early. Content: text in `text`, `choices[].delta.content`,
 * reasoning or tool calls, `choices[].text`, Anthropic `content_block_delta`, a `display`, and any
 * other non-empty payload (a stream we do not know is taken at its word).
 */
export function eventFacts(type: string, data: string, serverTime: ServerTimeSpec, out: EventFacts): EventFacts {
  out.name = type;
  out.content = false;
  out.t = NaN;
  out.tSrc = NaN;
  out.stats = null;
  out.llm = false;
  out.outputTokens = null;
  if (type === 'raw') {
    out.content = true;
    return out;
  }
  let first = 0;
  while (first < data.length && (data.charCodeAt(first) === 0x20 || data.charCodeAt(first) === 0x09)) first++;
  if (first === data.length) return out;
  if (data.charCodeAt(first) !== 0x7b /* { */) {
    out.content = type !== 'done' && type !== 'error' && data !== '[DONE]';
    return out;
  }
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(data) as Record<string, unknown>;
  } catch {
    out.content = type !== 'done' && type !== 'error';
    return out;
  }
  if (obj === null || typeof obj !== 'object') return out;
  if (type === 'message' && typeof obj['event'] === 'string') out.name = obj['event'];
  out.t = readStamp(obj, serverTime);
  const tSrc = obj['t_src'];
  if (typeof tSrc === 'number' && Number.isFinite(tSrc)) out.tSrc = tSrc * serverTime.toMs;
  out.outputTokens = usageOutputTokens(obj);
  if (out.name === 'done') {
    out.stats = doneStats(obj['stats']);
    out.llm = isLlmDone(obj);
    return out;
  }
  if (out.name === 'error') return out;
  if (isStreamError(obj)) {
    // `data: {"error": {…}}` inside an OpenAI-compatible stream: an error event, not payload.
    out.name = 'error';
    return out;
  }
  out.llm = out.outputTokens !== null || isOpenAiChunk(obj);
  out.content = hasPayload(obj, out.name);
  return out;
}

function nonEmpty(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || (Array.isArray(v) && v.length > 0);
}

function hasPayload(obj: Record<string, unknown>, name: string): boolean {
  const choices = obj['choices'];
  if (Array.isArray(choices)) {
    for (const c of choices) {
      if (c === null || typeof c !== 'object') continue;
      const choice = c as Record<string, unknown>;
      if (nonEmpty(choice['text'])) return true;
      for (const key of ['delta', 'message']) {
        const d = choice[key];
        if (d === null || typeof d !== 'object') continue;
        const delta = d as Record<string, unknown>;
        if (nonEmpty(delta['content']) || nonEmpty(delta['reasoning_content']) || nonEmpty(delta['reasoning'])) return true;
        if (nonEmpty(delta['tool_calls']) || (delta['function_call'] !== undefined && delta['function_call'] !== null)) return true;
      }
    }
    return false;
  }
  const kind = obj['type'];
  if (typeof kind === 'string') {
    // Anthropic Messages and OpenAI Responses streams name their payload events.
    if (kind === 'content_block_delta') return true;
    if (kind.startsWith('response.')) return kind.endsWith('.delta') && nonEmpty(obj['delta']);
    if (kind === 'message_start' || kind === 'message_delta' || kind === 'message_stop' || kind === 'ping') return false;
    if (kind === 'content_block_start' || kind === 'content_block_stop') return false;
  }
  if ('text' in obj) return nonEmpty(obj['text']);
  if (name === 'display') return true;
  // Our own stamps alone ({seq,t,t_src}) are not payload.
  for (const key in obj) if (key !== 'seq' && key !== 't' && key !== 't_src' && key !== 'event') return true;
  return false;
}

function doneStats(v: unknown): DoneStats | null {
  if (v === null || typeof v !== 'object') return null;
  const s = v as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const first = s['server_first_chunk_ms'];
  return {
    events: num(s['events']),
    bytes: num(s['bytes']),
    writes: num(s['writes']),
    server_first_chunk_ms: typeof first === 'number' && Number.isFinite(first) ? first : null,
  };
}

/** Adds one event, arrived with read `read` at `arrivalUs`, to a record: the HTTP and WebSocket clients' one rule. */
export function recordEvent(r: StreamRecord, f: EventFacts, read: number, arrivalUs: number, bytes: number): void {
  r.events++;
  if (r.firstEventUs === null) r.firstEventUs = arrivalUs;
  if (f.content) {
    // Batching is about payload: the final `done` riding on the last token's read is no lump
    // (issue 32: guide-before showed "50 % of reads carried more than one event" from it alone).
    r.eventsPerRead[read] = (r.eventsPerRead[read] ?? 0) + 1;
    r.contentEvents++;
    if (r.firstContentUs === null) r.firstContentUs = arrivalUs;
  }
  if (f.stats !== null) r.serverStats = f.stats;
  if (f.llm === true) r.llm = true;
  if (f.outputTokens !== null && f.outputTokens !== undefined) r.outputTokens = f.outputTokens;
  r.timeline.push(arrivalUs, read, bytes, f.name, f.t, f.tSrc, f.content);
}
