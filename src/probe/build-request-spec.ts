import { readFile } from 'node:fs/promises';
import { UsageError } from '../model/errors.js';
import { byFieldName, field, ft, type FieldNamer } from '../model/field-text.js';
import type { FormatOption } from './body-format.js';
import { defaultHeaders, GUIDE_PING_BODY, isPingEndpoint, isWebSocketUrl, type RequestSpec } from './request-spec.js';
import { DEFAULT_SERVER_TIME, parseServerTime } from './server-time.js';

/** The request flags of `bench` as commander parsed them. */
export interface RequestFlags {
  method?: string;
  header?: string[];
  body?: string;
  bodyFile?: string;
  acceptEncoding?: string;
  identity?: boolean;
  http2?: boolean;
  insecure?: boolean;
  ca?: string;
  keepAlive: boolean;
  format: FormatOption;
  maxEventBytes: number;
  serverTime?: string;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  requestTimeoutS: number;
  /** How messages kept in records name an option (the CLI passes its flag names). */
  names?: FieldNamer;
}

function parseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`URL: '${value}' is not an absolute URL (e.g. http://127.0.0.1:18600/send_operation)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`URL: only http:, https:, ws: and wss: are supported, got '${url.protocol}'`);
  }
  return url;
}

/**
 * Builds the request from flags; every complaint names its flag (exit 2). A JSON body gets
 * `Content-Type: application/json`; a URL ending in `/send_operation` with no body gets the guide's
 * ping operation; the method is POST when there is a body, else GET, unless `-X` says otherwise.
 */
export async function buildRequestSpec(rawUrl: string, f: RequestFlags): Promise<RequestSpec> {
  const url = parseUrl(rawUrl);
  if (f.body !== undefined && f.bodyFile !== undefined) throw new UsageError(ft`${field('body')} and ${field('bodyFile')}: give one of them, not both`, { code: 'NBS_USAGE_CONFLICT' });
  if (f.identity === true && f.acceptEncoding !== undefined) throw new UsageError(ft`${field('identity')} and ${field('acceptEncoding')}: give one of them, not both`, { code: 'NBS_USAGE_CONFLICT' });
  let body: string | Buffer | null = f.body ?? null;
  if (f.bodyFile !== undefined) {
    try {
      body = await readFile(f.bodyFile);
    } catch (err) {
      throw new UsageError(ft`${field('bodyFile')}: cannot read '${f.bodyFile}': ${(err as Error).message}`, { code: 'NBS_USAGE_FILE' });
    }
  }
  const ws = isWebSocketUrl(url);
  if (body === null && isPingEndpoint(url)) body = GUIDE_PING_BODY;
  if (ws && (f.http2 === true || f.method !== undefined)) {
    throw new UsageError(ft`${f.http2 === true ? field('http2') : field('method', 'both')} does not apply to a ${url.protocol}// URL: the WebSocket handshake is an HTTP/1.1 GET`, { code: 'NBS_USAGE_CONFLICT' });
  }

  const headers = defaultHeaders(f.format);
  if (f.identity === true) headers['accept-encoding'] = 'identity';
  else if (f.acceptEncoding !== undefined) headers['accept-encoding'] = f.acceptEncoding;
  if (body !== null && isJson(body)) headers['content-type'] = 'application/json';
  for (const h of f.header ?? []) {
    const colon = h.indexOf(':');
    const name = colon > 0 ? h.slice(0, colon).trim().toLowerCase() : '';
    if (name === '' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      throw new UsageError(ft`${field('header', 'both')}: expected 'Name: value', got '${h}'`, { code: 'NBS_USAGE_BAD_VALUE' });
    }
    const value = h.slice(colon + 1).trim();
    // CR/LF/NUL would split the header (request smuggling, RFC 9110 §5.5): refuse before any request.
    if (/[\r\n\0]/.test(value)) throw new UsageError(ft`${field('header', 'both')} ${name}: the value holds a CR, LF or NUL character`, { code: 'NBS_USAGE_BAD_VALUE' });
    headers[name] = value;
  }

  const method = ws ? 'GET' : (f.method ?? (body !== null ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(ft`${field('method', 'both')}: '${f.method}' is not an HTTP method`, { code: 'NBS_USAGE_BAD_VALUE' });
  if (!ws && (method === 'GET' || method === 'HEAD') && body !== null) {
    throw new UsageError(ft`${field('method', 'short')} ${method}: a ${method} request cannot carry ${field('body')}/${field('bodyFile')}`, { code: 'NBS_USAGE_CONFLICT' });
  }
  let ca: Buffer | null = null;
  if (f.ca !== undefined) {
    try {
      ca = await readFile(f.ca);
    } catch (err) {
      throw new UsageError(ft`${field('ca')}: cannot read '${f.ca}': ${(err as Error).message}`, { code: 'NBS_USAGE_FILE' });
    }
  }
  return {
    url,
    method,
    headers,
    body,
    format: f.format,
    maxEventBytes: f.maxEventBytes,
    serverTime: f.serverTime === undefined ? DEFAULT_SERVER_TIME : parseServerTime(f.serverTime),
    http2: f.http2 === true,
    insecure: f.insecure === true,
    ca,
    keepAlive: f.keepAlive,
    connectTimeoutMs: f.connectTimeoutMs,
    headersTimeoutMs: f.headersTimeoutMs,
    idleTimeoutMs: f.idleTimeoutMs,
    requestTimeoutMs: f.requestTimeoutS * 1000,
    names: f.names ?? byFieldName,
    // A browser offers permessage-deflate on every WebSocket, as it sends Accept-Encoding: so do we.
    ...(ws ? { wsDeflate: headers['accept-encoding'] !== 'identity' } : {}),
  };
}

function isJson(body: string | Buffer): boolean {
  try {
    JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
