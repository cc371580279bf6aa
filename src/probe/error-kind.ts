import type { ErrorKind } from '../model/record.js';

/** An error the probe raises itself (a timeout it owns, an oversized event, a bad status). */
export class ProbeError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/**
 * Maps an error from undici, node:net, node:tls or zlib to a contract error kind. undici's codes
 * are stable (`UND_ERR_HEADERS_TIMEOUT`, …); socket errors carry errno names.
 */
export function errorKind(err: unknown): ErrorKind {
  if (err instanceof ProbeError) return err.kind;
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connect_refused';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connect_timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return 'dns';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'headers_timeout';
    // A header section past the parser's limit (an endless header) is the server breaking HTTP.
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'protocol';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'idle_timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
    case 'ERR_HTTP2_STREAM_CANCEL':
    case 'ERR_HTTP2_GOAWAY_SESSION':
    case 'ERR_HTTP2_SESSION_ERROR':
      return 'reset';
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return 'aborted';
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
    case 'ERR_BROTLI_DECOMPRESSION_FAILED':
    case 'ERR__ERROR_FORMAT_PADDING_1':
      return 'undecodable_encoding';
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT')) return 'tls';
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO' || code.startsWith('ERR_HTTP2')) {
    return 'protocol';
  }
  if (code.startsWith('ERR_BROTLI') || code.startsWith('Z_')) return 'undecodable_encoding';
  if (e?.name === 'HTTPParserError') return 'protocol';
  if (e?.name === 'AbortError') return 'aborted';
  if (e?.cause !== undefined && e.cause !== err) return errorKind(e.cause);
  return 'reset';
}
