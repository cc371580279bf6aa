import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The de-chunked body. */
  body: string;
  /** How many `data` events the socket delivered after the headers (reads, not writes). */
  bodyReads: number;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Give up (destroy the socket) after this long. */
  timeoutMs?: number;
  /** Called once the response headers are in; return true to close the socket right there. */
  onHeaders?: (socket: Socket) => boolean | void;
}

/**
 * A deliberately dumb HTTP/1.1 client over a raw socket, so tests see exactly what the server put
 * on the wire: header names and values as sent, chunked framing, and when bytes arrived.
 */
export function rawRequest(url: string, req: RawRequest): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw request timed out after ${req.timeoutMs ?? 30_000} ms`));
    }, req.timeoutMs ?? 30_000);
    let buf = Buffer.alloc(0);
    let headerEnd = -1;
    let bodyReads = 0;
    const body = req.body ?? '';
    const headers: Record<string, string> = { host: u.host, connection: 'close', ...(req.headers ?? {}) };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const head = `${req.method ?? 'POST'} ${req.path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;
    socket.write(head + body);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (headerEnd < 0) {
        headerEnd = buf.indexOf('\r\n\r\n');
        if (headerEnd >= 0) {
          if (buf.length > headerEnd + 4) bodyReads++;
          if (req.onHeaders?.(socket) === true) finish();
        }
      } else {
        bodyReads++;
      }
    });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      if (headerEnd < 0) {
        reject(new Error('connection closed before the response headers'));
        return;
      }
      const lines = buf.subarray(0, headerEnd).toString('latin1').split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const hs: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        hs[k] = hs[k] === undefined ? v : `${hs[k]}, ${v}`;
      }
      let rest = buf.subarray(headerEnd + 4);
      let text: string;
      if ((hs['transfer-encoding'] ?? '').includes('chunked')) {
        const parts: Buffer[] = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          if (nl < 0) break;
          const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
          if (!(size > 0)) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        text = Buffer.concat(parts).toString('utf8');
      } else {
        text = rest.toString('utf8');
      }
      resolve({ status, headers: hs, body: text, bodyReads });
    };
    socket.on('end', finish);
    socket.on('close', () => {
      if (headerEnd < 0) finish();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  /** The raw `data:` text, to check the key order of the stamps. */
  raw: string;
}

/** Splits an SSE body the simple way (our server writes one `data:` line per event). */
export function parseSseBody(body: string): { events: SseEvent[]; comments: number } {
  const events: SseEvent[] = [];
  let comments = 0;
  for (const block of body.split('\n\n')) {
    if (block.trim() === '') continue;
    let event = 'message';
    let raw = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments++;
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) raw = line.slice(6);
    }
    if (raw !== '') events.push({ event, data: JSON.parse(raw) as Record<string, unknown>, raw });
  }
  return { events, comments };
}

export const pingBody = (operation: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', ...operation }, lang: 'en', ...extra });

export const JSON_HEADERS = { 'content-type': 'application/json' };
