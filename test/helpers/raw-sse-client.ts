/**
 * A raw HTTP/1.1 client over node:net that remembers which socket read completed each SSE event.
 * That is the evidence a buffering test needs: a proxy that passes events through delivers them
 * in as many reads as there are events; a buffering one delivers them in one or two lumps.
 * It decodes chunked framing and gzip itself (gzip per read with Z_SYNC_FLUSH, so an event counts
 * as arrived in the read whose compressed bytes let the decoder emit it).
 */
import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { constants, gunzipSync } from 'node:zlib';

export interface SseEventSeen {
  /** 1-based index of the socket read that completed the event. */
  read: number;
  /** ms since the request was sent. */
  atMs: number;
  event: string;
  data: string;
}

export interface RawResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Socket reads in all, and those that carried body bytes. */
  reads: number;
  bodyReads: number;
  events: SseEventSeen[];
  /** The decoded body text. */
  text: string;
}

export interface RawRequest {
  port: number;
  host?: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Whole-exchange bound (default 15 s). */
  timeoutMs?: number;
}

class ChunkedDecoder {
  private pending = Buffer.alloc(0);
  done = false;
  /** Feeds wire bytes; returns the payload bytes they complete. */
  push(bytes: Buffer): Buffer {
    this.pending = Buffer.concat([this.pending, bytes]);
    const out: Buffer[] = [];
    for (;;) {
      const eol = this.pending.indexOf('\r\n');
      if (eol < 0) break;
      const size = Number.parseInt(this.pending.subarray(0, eol).toString('latin1').split(';')[0] ?? '', 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size line');
      if (size === 0) {
        this.done = true;
        break;
      }
      if (this.pending.length < eol + 2 + size + 2) break;
      out.push(this.pending.subarray(eol + 2, eol + 2 + size));
      this.pending = this.pending.subarray(eol + 2 + size + 2);
    }
    return Buffer.concat(out);
  }
}

/** What a gzip decoder can emit from the bytes so far (none yet when the header is incomplete). */
function partialGunzip(compressed: Buffer): Buffer {
  try {
    return gunzipSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

/** Sends one request and collects the response with per-read event arrival. */
export function rawRequest(req: RawRequest): Promise<RawResponse> {
  const host = req.host ?? '127.0.0.1';
  const body = req.body ?? '';
  const headers: Record<string, string> = {
    host: `${host}:${req.port}`,
    connection: 'close',
    ...(body !== '' ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    ...req.headers,
  };
  const head =
    `${req.method ?? 'GET'} ${req.path} HTTP/1.1\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: req.port });
    const started = performance.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${req.timeoutMs ?? 15_000} ms`));
    }, req.timeoutMs ?? 15_000);
    let raw = Buffer.alloc(0);
    let res: RawResponse | null = null;
    let chunked: ChunkedDecoder | null = null;
    let gzip = false;
    let compressed = Buffer.alloc(0);
    let decodedLength = 0;
    let text = '';
    // Keeps a UTF-8 character split across two reads whole.
    const utf8 = new StringDecoder('utf8');
    let sseBuffer = '';
    let length = Infinity;
    let bodyBytes = 0;
    let finished = false;

    const finish = () => {
      if (finished || res === null) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      res.text = text;
      resolve(res);
    };
    const onBody = (wire: Buffer, read: number) => {
      if (res === null) return;
      const payload = chunked !== null ? chunked.push(wire) : wire;
      bodyBytes += wire.length;
      if (payload.length > 0) res.bodyReads++;
      let fresh = payload;
      if (gzip) {
        compressed = Buffer.concat([compressed, payload]);
        const all = partialGunzip(compressed);
        fresh = all.subarray(decodedLength);
        decodedLength = all.length;
      }
      const freshText = utf8.write(fresh);
      text += freshText;
      sseBuffer += freshText;
      for (let end = sseBuffer.indexOf('\n\n'); end >= 0; end = sseBuffer.indexOf('\n\n')) {
        const block = sseBuffer.slice(0, end);
        sseBuffer = sseBuffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) res.events.push({ read, atMs: performance.now() - started, event, data: data.join('\n') });
      }
      if ((chunked !== null && chunked.done) || bodyBytes >= length) finish();
    };

    socket.on('connect', () => socket.write(head + body));
    socket.on('data', (bytes: Buffer) => {
      if (res !== null) {
        res.reads++;
        onBody(bytes, res.reads);
        return;
      }
      raw = Buffer.concat([raw, bytes]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const h: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        h[name] = h[name] === undefined ? value : `${h[name]}, ${value}`;
      }
      res = { status, headers: h, reads: 1, bodyReads: 0, events: [], text: '' };
      if (/chunked/i.test(h['transfer-encoding'] ?? '')) chunked = new ChunkedDecoder();
      else if (h['content-length'] !== undefined) length = Number(h['content-length']);
      gzip = /gzip/i.test(h['content-encoding'] ?? '');
      onBody(raw.subarray(end + 4), 1);
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (!finished) reject(err);
    });
  });
}
