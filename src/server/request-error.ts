import { ERROR_STATUS, type NbsErrorCode } from '../model/protocol.js';

/**
 * A request refused before its stream started: answered with the contract's JSON error body
 * `{ "error": { "code", "message" } }` and the code's HTTP status (docs/protocol.md lists them).
 * Thrown by validation and by a source's `open()`; after the stream started, the same code travels
 * as an `error` event instead.
 */
export class RequestError extends Error {
  readonly code: NbsErrorCode;
  readonly statusCode: number;
  /** Sent as `Retry-After` (seconds) on 429/503. */
  readonly retryAfterS: number | undefined;
  constructor(code: NbsErrorCode, message: string, options: { retryAfterS?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RequestError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.retryAfterS = options.retryAfterS;
  }
}

/** Human-readable messages follow the request's `lang` ("en" | "zh"). */
export type Lang = 'en' | 'zh';

export function say(lang: Lang, en: string, zh: string): string {
  return lang === 'zh' ? zh : en;
}

/** A request body the contract refuses (400 NBS_INVALID_BODY), in the request's language. */
export function invalidBody(lang: Lang, en: string, zh: string): RequestError {
  return new RequestError('NBS_INVALID_BODY', say(lang, en, zh));
}
