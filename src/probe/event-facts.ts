import type { DoneStats } from '../model/protocol.js';
import { isLlmDone, isOpenAiChunk, isStreamError, usageOutputTokens } from './openai-chunk.js';
import { readStamp, type ServerTimeSpec } from './server-time.js';
import type { EventKind } from '../model/timeline.js';

/** What the client needs to know about one event beyond its arrival. */
export interface EventFacts {
  /** The event's name: the SSE type, or an NDJSON object's `event` key, else `message`. */
  name: string;
  /** Carries payload (docs/metrics.md, "Conventions"). */
  content: boolean;
  /** What it carries (timeline.ts EVENT_KINDS): content is `text`, `reasoning`, `tool_call` or `content`. */
  kind?: EventKind;
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
  out.kind = 'other';
  if (type === 'raw') {
    out.content = true;
    out.kind = 'content';
    return out;
  }
  let first = 0;
  while (first < data.length && (data.charCodeAt(first) === 0x20 || data.charCodeAt(first) === 0x09)) first++;
  if (first === data.length) return out;
  if (data.charCodeAt(first) !== 0x7b /* { */) {
    out.kind = type === 'error' ? 'error' : type === 'done' || data === '[DONE]' ? 'done' : 'content';
    out.content = out.kind === 'content';
    return out;
  }
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(data) as Record<string, unknown>;
  } catch {
    out.kind = type === 'error' ? 'error' : type === 'done' ? 'done' : 'content';
    out.content = out.kind === 'content';
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
    out.kind = 'done';
    return out;
  }
  if (out.name === 'error' || isStreamError(obj)) {
    // `data: {"error": {…}}` inside an OpenAI-compatible stream: an error event, not payload.
    out.name = 'error';
    out.kind = 'error';
    return out;
  }
  out.llm = out.outputTokens !== null || isOpenAiChunk(obj);
  out.kind = payloadKind(obj, out.name);
  out.content = out.kind === 'text' || out.kind === 'reasoning' || out.kind === 'tool_call' || out.kind === 'content';
  return out;
}

function nonEmpty(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || (Array.isArray(v) && v.length > 0);
}

/**
 * What an object carries. Visible text wins over reasoning, reasoning over tool calls, when one
 * chunk has several (TTFO counts the first visible text: docs/metrics.md).
 */
function payloadKind(obj: Record<string, unknown>, name: string): EventKind {
  const choices = obj['choices'];
  if (Array.isArray(choices)) {
    let reasoning = false;
    let tool = false;
    for (const c of choices) {
      if (c === null || typeof c !== 'object') continue;
      const choice = c as Record<string, unknown>;
      if (nonEmpty(choice['text'])) return 'text';
      for (const key of ['delta', 'message']) {
        const d = choice[key];
        if (d === null || typeof d !== 'object') continue;
        const delta = d as Record<string, unknown>;
        if (nonEmpty(delta['content'])) return 'text';
        if (nonEmpty(delta['reasoning_content']) || nonEmpty(delta['reasoning'])) reasoning = true;
        if (nonEmpty(delta['tool_calls']) || (delta['function_call'] !== undefined && delta['function_call'] !== null)) tool = true;
      }
    }
    return reasoning ? 'reasoning' : tool ? 'tool_call' : choices.length > 0 ? 'choices' : 'usage';
  }
  const kind = obj['type'];
  if (typeof kind === 'string') {
    // Anthropic Messages and OpenAI Responses streams name their payload events.
    if (kind === 'content_block_delta') {
      const delta = obj['delta'] as Record<string, unknown> | null | undefined;
      const t = typeof delta === 'object' && delta !== null ? delta['type'] : undefined;
      return t === 'thinking_delta' ? 'reasoning' : t === 'input_json_delta' ? 'tool_call' : 'text';
    }
    if (kind.startsWith('response.')) {
      if (kind === 'response.completed') return 'done';
      if (!kind.endsWith('.delta') || !nonEmpty(obj['delta'])) return 'other';
      return kind.includes('reasoning') ? 'reasoning' : kind.includes('function_call') ? 'tool_call' : kind.includes('output_text') ? 'text' : 'content';
    }
    if (kind === 'message_stop') return 'done';
    if (kind === 'message_start' || kind === 'message_delta' || kind === 'ping') return 'other';
    if (kind === 'content_block_start' || kind === 'content_block_stop') return 'other';
  }
  if ('text' in obj) return nonEmpty(obj['text']) ? 'text' : 'other';
  if (name === 'display') return 'content';
  if (obj['usage'] !== undefined && obj['usage'] !== null && Object.keys(obj).every((k) => k === 'usage' || k === 'seq' || k === 't' || k === 't_src' || k === 'event')) return 'usage';
  // Our own stamps alone ({seq,t,t_src}) are not payload.
  for (const key in obj) if (key !== 'seq' && key !== 't' && key !== 't_src' && key !== 'event') return 'content';
  return 'other';
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
