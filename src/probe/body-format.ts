import type { BodyParser, EventSink } from './event-sink.js';
import { NdjsonParser } from './ndjson-parser.js';
import { RawParser } from './raw-parser.js';
import { SseParser } from './sse-parser.js';

import type { BodyFormat, FormatOption } from '../model/body-formats.js';

export { FORMATS, type BodyFormat, type FormatOption } from '../model/body-formats.js';

/**
 * The format a response is parsed as. `auto` follows Content-Type; a `text/plain` (or missing, or
 * unknown) type is decided by the body's first bytes, because old backends send SSE framing
 * inside `text/plain` (the guide's "before" backend does). Returns null when the body must be
 * sniffed.
 */
export function formatFromContentType(requested: FormatOption, contentType: string | undefined): BodyFormat | null {
  if (requested !== 'auto') return requested;
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/ndjson' || type === 'application/json-seq') {
    return 'ndjson';
  }
  return null;
}

// SSE framing at the start of a body: a comment, or a known field name followed by ':' or a line end.
const SSE_START = /^(?:\uFEFF|\xEF\xBB\xBF)?(?::|(?:data|event|id|retry)[:\r\n])/;
const SSE_PREFIX = /^(?:\uFEFF|\xEF\xBB\xBF)?(?:d(?:a(?:t(?:a)?)?)?|e(?:v(?:e(?:n(?:t)?)?)?)?|i(?:d)?|r(?:e(?:t(?:r(?:y)?)?)?)?)?$/;

/** Decides from the first bytes; null while they could still begin either. */
export function sniffFormat(head: Buffer): BodyFormat | null {
  const text = head.toString('latin1', 0, Math.min(head.length, 16));
  if (SSE_START.test(text)) return 'sse';
  if (SSE_PREFIX.test(text) && head.length < 16) return null;
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  if (i === text.length && head.length < 16) return null;
  return text[i] === '{' || text[i] === '[' ? 'ndjson' : 'raw';
}

export function createParser(format: BodyFormat, sink: EventSink, maxEventBytes: number): BodyParser {
  switch (format) {
    case 'sse':
      return new SseParser(sink, maxEventBytes);
    case 'ndjson':
      return new NdjsonParser(sink, maxEventBytes);
    case 'raw':
      return new RawParser(sink);
  }
}
