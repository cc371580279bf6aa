import { qualityList } from './quality-values.js';
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

/** Checks the envelope; messages follow `lang` when it is readable, English otherwise. */
export function validateEnvelope(body: unknown): Envelope {
  if (!isObject(body)) {
    throw new RequestError('NBS_INVALID_BODY', 'the body must be a JSON object like {"notebook_id":"n1","operation":{"type":"ping"},"lang":"en"}');
  }
  const rawLang = body['lang'];
  let lang: Lang = 'en';
  if (rawLang === 'zh' || rawLang === 'en') lang = rawLang;
  else if (rawLang !== undefined) throw new RequestError('NBS_INVALID_BODY', 'lang must be "en" or "zh"');

  const id = body['notebook_id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > NOTEBOOK_ID_MAX) {
    throw new RequestError(
      'NBS_INVALID_BODY',
      say(lang, `notebook_id must be a string of 1 to ${NOTEBOOK_ID_MAX} characters`, `notebook_id 必须是 1 到 ${NOTEBOOK_ID_MAX} 个字符的字符串`),
    );
  }
  const op = body['operation'];
  if (!isObject(op) || typeof op['type'] !== 'string' || op['type'] === '') {
    throw new RequestError(
      'NBS_INVALID_BODY',
      say(lang, 'operation must be an object with a string "type", e.g. {"type":"ping"}', 'operation 必须是带有字符串 "type" 的对象，例如 {"type":"ping"}'),
    );
  }
  return { notebookId: id, operation: op as Envelope['operation'], lang };
}

/**
 * True when the Accept header prefers NDJSON over SSE (RFC 9110 §12.5.1 quality values):
 * `application/x-ndjson` with a higher q than `text/event-stream` (absent counts as 0).
 */
export function prefersNdjson(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('ndjson')) return false;
  let nd = 0;
  let sse = 0;
  for (const [mt, q] of qualityList(accept)) {
    if (mt === 'application/x-ndjson' || mt === 'application/ndjson') nd = Math.max(nd, q);
    else if (mt === 'text/event-stream') sse = Math.max(sse, q);
  }
  return nd > sse;
}
