import { RequestError, say, type Lang } from './request-error.js';

/** The guide's request body: `{ notebook_id, operation: { type, … }, lang }`. */
export interface Envelope {
  notebookId: string;
  operation: Record<string, unknown> & { type: string };
  lang: Lang;
}

export const NOTEBOOK_ID_MAX = 256;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The envelope as a JSON Schema: fastify validates the body with it (ajv) before the handler runs
 * (issue 24). The operation's own fields belong to its source (`validate()`), so the schema stops at
 * `operation.type`. Failures become NBS_INVALID_BODY with the messages below (docs/protocol.md).
 */
export const ENVELOPE_SCHEMA = {
  type: 'object',
  required: ['notebook_id', 'operation'],
  properties: {
    lang: { enum: ['en', 'zh'] },
    notebook_id: { type: 'string', minLength: 1, maxLength: NOTEBOOK_ID_MAX },
    operation: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', minLength: 1 } },
    },
  },
} as const;

/** One validation error as ajv reports it (the fields we read). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/**
 * The contract's message for the first schema error, in the request's `lang` when that is readable
 * (a bad `lang` itself answers in English). Same wording as before the schema.
 */
export function envelopeError(errors: readonly SchemaError[], body: unknown): RequestError {
  const lang: Lang = isObject(body) && body['lang'] === 'zh' ? 'zh' : 'en';
  const first = errors[0];
  const field =
    first === undefined
      ? ''
      : first.keyword === 'required'
        ? `${first.instancePath}/${String(first.params['missingProperty'])}`
        : first.instancePath;
  if (field === '' || !isObject(body)) {
    return new RequestError('NBS_INVALID_BODY', 'the body must be a JSON object like {"notebook_id":"n1","operation":{"type":"ping"},"lang":"en"}');
  }
  if (field === '/lang') return new RequestError('NBS_INVALID_BODY', 'lang must be "en" or "zh"');
  if (field === '/notebook_id') {
    return new RequestError(
      'NBS_INVALID_BODY',
      say(lang, `notebook_id must be a string of 1 to ${NOTEBOOK_ID_MAX} characters`, `notebook_id 必须是 1 到 ${NOTEBOOK_ID_MAX} 个字符的字符串`),
    );
  }
  return new RequestError(
    'NBS_INVALID_BODY',
    say(lang, 'operation must be an object with a string "type", e.g. {"type":"ping"}', 'operation 必须是带有字符串 "type" 的对象，例如 {"type":"ping"}'),
  );
}

/** The envelope of a body the schema accepted. */
export function envelopeOf(body: unknown): Envelope {
  const b = body as { notebook_id: string; operation: Envelope['operation']; lang?: Lang };
  return { notebookId: b.notebook_id, operation: b.operation, lang: b.lang ?? 'en' };
}

/** Nesting deeper than this is refused before JSON.parse (the envelope needs 3; sources a few more). */
export const JSON_DEPTH_MAX = 64;

/**
 * True when `text` nests arrays/objects deeper than `max`, found by one pass over the bytes
 * (strings skipped) before JSON.parse sees them: 1 MiB of `[` costs JSON.parse about a second of
 * event loop, this scan a millisecond (issue 25 item 6).
 */
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return false;
}

/**
 * True when the Accept header prefers NDJSON over SSE (RFC 9110 §12.5.1 quality values):
 * `application/x-ndjson` with a higher q than `text/event-stream` (absent counts as 0).
 */
export function prefersNdjson(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('ndjson')) return false;
  let nd = 0;
  let sse = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v) || 0;
    }
    const mt = type.trim();
    if (mt === 'application/x-ndjson' || mt === 'application/ndjson') nd = Math.max(nd, q);
    else if (mt === 'text/event-stream') sse = Math.max(sse, q);
  }
  return nd > sse;
}
