import { ProbeError } from './error-kind.js';

/** Response head limit, as undici's default `maxHeaderSize`: an endless header is the server breaking HTTP. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** Where the parser's output goes: the client that owns the connection (h1-client.ts). */
export interface H1ResponseSink {
  /** The final status line and header fields are complete. Returns false to stop parsing (the request was aborted). */
  onHead(status: number, statusText: string, headers: Record<string, string | string[]>): boolean;
  /** Body bytes, transfer coding removed: a view of the socket's read, valid until the call returns. Returns false to stop. */
  onBody(chunk: Buffer): boolean;
}

/** What `push` found: more bytes are needed, the response ended (`rest`: where unread bytes start), or the sink said stop. */
export const enum Parsed {
  More,
  End,
  Stop,
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const HTTP_SLASH = Buffer.from('HTTP/');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTENT_LENGTH = /^\d{1,15}$/;
const CHUNKED_LAST = /(?:^|,)\s*chunked\s*$/i;
const HAS_CLOSE = /(?:^|,)\s*close\s*(?:,|$)/;
const HAS_KEEP_ALIVE = /(?:^|,)\s*keep-alive\s*(?:,|$)/;

/** A parsed response head: what the sink is told and how the body is framed (RFC 9112 §6.3). */
interface Head {
  status: number;
  statusText: string;
  headers: Record<string, string | string[]>;
  /** Content-Length, or -1 when absent. */
  length: number;
  transferEncoding: boolean;
  chunked: boolean;
  /** The connection must not be reused after this response (RFC 9112 §9.3, §9.6). */
  close: boolean;
}

/**
 * An HTTP/1.1 response parser (RFC 9112), one response at a time on a keep-alive connection,
 * written for bench's load client (issue 31): a body chunk is a view of the socket's read (no
 * copy), the head is decoded once as latin1, and nothing is allocated per read beyond those
 * views. A server sends the same head for response after response: when a head's bytes equal the
 * last one's, its parse is reused, headers object included (handlers read it, never write it).
 * What it rejects, undici's llhttp rejects too (a malformed status line, a space before a
 * header's colon, obs-fold, Content-Length beside Transfer-Encoding, a bad chunk size), as a
 * `protocol` error.
 */
export class H1ResponseParser {
  private state = State.Done;
  /** A head split over reads: its bytes so far. */
  private partial: Buffer | null = null;
  /** Body bytes left in a Content-Length body or in the current chunk; CRLF bytes left after a chunk. */
  private left = 0;
  /** A chunk-size or trailer line split over reads. */
  private line = '';
  private headRequest = false;
  private stopped = false;
  /** The last head's bytes and its parse. */
  private lastBytes: Buffer | null = null;
  private lastHead: Head | null = null;
  /** Set by the head: the connection must not be reused after this response (RFC 9112 §9.3, §9.6). */
  close = false;
  /** After `End` or `Stop`: the index in the last pushed buffer of the first byte not consumed. */
  rest = 0;

  constructor(private readonly sink: H1ResponseSink) {}

  /** Expects the response to a new request; a HEAD request's response has no body (RFC 9110 §9.3.2). */
  reset(headRequest: boolean): void {
    this.state = State.Head;
    this.partial = null;
    this.left = 0;
    this.line = '';
    this.headRequest = headRequest;
    this.stopped = false;
    this.close = false;
    this.rest = 0;
  }

  /** True once a final head was read and until the response ends. */
  get inBody(): boolean {
    return this.state !== State.Head && this.state !== State.Done;
  }

  /** Parses the bytes of one socket read. Throws a `protocol` ProbeError on a malformed response. */
  push(buf: Buffer): Parsed {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case State.Head: {
          const after = this.head(buf, i);
          if (after < 0) return Parsed.More;
          i = after;
          if (this.stopped) return this.end(Parsed.Stop, i);
          break;
        }
        case State.Length: {
          const take = Math.min(this.left, n - i);
          this.left -= take;
          const ok = this.sink.onBody(i === 0 && take === n ? buf : buf.subarray(i, i + take));
          i += take;
          if (this.left === 0) this.state = State.Done;
          else if (!ok) return this.end(Parsed.Stop, i);
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.left, n - i);
          this.left -= take;
          const ok = this.sink.onBody(buf.subarray(i, i + take));
          i += take;
          if (this.left === 0) {
            this.state = State.ChunkDataEnd;
            this.left = 2;
          }
          if (!ok) return this.end(Parsed.Stop, i);
          break;
        }
        case State.ChunkDataEnd: {
          // The CRLF after a chunk's data (RFC 9112 §7.1), possibly split over reads.
          if (buf[i] !== (this.left === 2 ? 0x0d : 0x0a)) throw protocol('chunk data not followed by CRLF');
          i++;
          if (--this.left === 0) this.state = State.ChunkSize;
          break;
        }
        case State.ChunkSize:
        case State.Trailers: {
          const eol = buf.indexOf(0x0a, i);
          let size: number;
          if (this.state === State.ChunkSize && eol >= 0 && this.line === '') {
            // The usual case, a chunk-size line inside one read: read from the bytes, no string.
            size = chunkSize(buf, i, eol);
            if (size < 0) throw protocol(`invalid chunk size line ${JSON.stringify(buf.toString('latin1', i, Math.min(eol, i + 40)))}`);
            i = eol + 1;
          } else {
            const stop = eol < 0 ? n : eol + 1;
            this.line += buf.toString('latin1', i, stop);
            i = stop;
            if (this.line.length > MAX_HEAD_BYTES) throw protocol('a chunk-size or trailer line exceeds 16 KiB');
            if (eol < 0) return Parsed.More;
            const text = this.takeLine();
            if (this.state === State.Trailers) {
              // Trailer fields are read and dropped; an empty line ends the message.
              if (text === '') this.state = State.Done;
              break;
            }
            size = chunkSize(Buffer.from(text, 'latin1'), 0, text.length);
            if (size < 0) throw protocol(`invalid chunk size line ${JSON.stringify(text.slice(0, 40))}`);
          }
          this.left = size;
          this.state = size === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.UntilClose: {
          const ok = this.sink.onBody(i === 0 ? buf : buf.subarray(i));
          i = n;
          if (!ok) return this.end(Parsed.Stop, i);
          break;
        }
        case State.Done:
          return this.end(Parsed.End, i);
      }
    }
    return this.state === State.Done ? this.end(Parsed.End, n) : Parsed.More;
  }

  /** The connection closed: true when that ended the response (a body read until close, RFC 9112 §6.3 rule 8). */
  eof(): boolean {
    if (this.state === State.UntilClose) this.state = State.Done;
    return this.state === State.Done;
  }

  private end(result: Parsed, i: number): Parsed {
    this.rest = i;
    return result;
  }

  private takeLine(): string {
    const text = this.line;
    this.line = '';
    return text.endsWith('\r\n') ? text.slice(0, -2) : text.slice(0, -1);
  }

  /** Reads a head from `buf` at `i`; returns the index after its blank line, or -1 while it is incomplete. */
  private head(buf: Buffer, i: number): number {
    // A response that does not start as one (an h2c-only server's SETTINGS frame) is refused at
    // once, as llhttp does, not after a timeout; its words are llhttp's, which the CLI's hint reads.
    const have = this.partial?.length ?? 0;
    if (have < HTTP_SLASH.length) {
      const n = Math.min(HTTP_SLASH.length - have, buf.length - i);
      if (buf.compare(HTTP_SLASH, have, have + n, i, i + n) !== 0) {
        throw protocol(`Expected HTTP/ at the start of a response, got ${JSON.stringify(Buffer.concat([this.partial ?? Buffer.alloc(0), buf.subarray(i, i + 16)]).toString('latin1'))}`);
      }
    }
    if (this.partial === null) {
      const end = buf.indexOf(CRLFCRLF, i);
      if (end < 0 || end - i > MAX_HEAD_BYTES) return this.keep(buf.subarray(i));
      const last = this.lastBytes;
      if (last !== null && last.length === end - i && buf.compare(last, 0, last.length, i, end) === 0) this.apply(this.lastHead!);
      else this.apply(this.remember(buf.subarray(i, end)));
      return end + 4;
    }
    const before = this.partial.length;
    const joined = Buffer.concat([this.partial, buf.subarray(i)]);
    const end = joined.indexOf(CRLFCRLF, Math.max(0, before - 3));
    if (end < 0 || end > MAX_HEAD_BYTES) {
      if (joined.length > MAX_HEAD_BYTES) throw protocol('the response head exceeds 16 KiB');
      this.partial = joined;
      return -1;
    }
    this.partial = null;
    this.apply(this.remember(joined.subarray(0, end)));
    // joined = partial + buf[i…]: its index p ≥ before is buf's i + p − before.
    return i + end + 4 - before;
  }

  /** The start of a head: copied, since the socket's buffer is not ours to keep. */
  private keep(bytes: Buffer): number {
    if (bytes.length > MAX_HEAD_BYTES) throw protocol('the response head exceeds 16 KiB');
    this.partial = Buffer.from(bytes);
    return -1;
  }

  private remember(bytes: Buffer): Head {
    const head = parseHead(bytes.toString('latin1'));
    this.lastBytes = Buffer.from(bytes);
    this.lastHead = head;
    return head;
  }

  private apply(head: Head): void {
    // 1xx (RFC 9110 §15.2) is interim: the final response follows; the head state stays.
    if (head.status < 200) return;
    this.close = head.close;
    const { status, length, transferEncoding } = head;
    if (this.headRequest || status === 204 || status === 304 || (length === 0 && !transferEncoding)) this.state = State.Done;
    else if (head.chunked) this.state = State.ChunkSize;
    else if (transferEncoding || length < 0) {
      this.state = State.UntilClose;
      this.close = true;
    } else {
      this.state = State.Length;
      this.left = length;
    }
    this.stopped = !this.sink.onHead(status, head.statusText, head.headers);
  }
}

function parseHead(text: string): Head {
  let eol = text.indexOf('\r\n');
  const statusLine = eol < 0 ? text : text.slice(0, eol);
  const m = STATUS_LINE.exec(statusLine);
  if (m === null) throw protocol(`invalid status line ${JSON.stringify(statusLine.slice(0, 60))}`);
  const status = Number(m[2]);
  const headers: Record<string, string | string[]> = {};
  let length = -1;
  let transferEncoding = false;
  let chunked = false;
  let connection = '';
  while (eol >= 0) {
    const from = eol + 2;
    eol = text.indexOf('\r\n', from);
    const fieldLine = eol < 0 ? text.slice(from) : text.slice(from, eol);
    const colon = fieldLine.indexOf(':');
    const name = colon > 0 ? fieldLine.slice(0, colon) : '';
    // RFC 9112 §5.1: no whitespace between name and colon; §5.2: obs-fold rejected, as llhttp does.
    if (!TOKEN.test(name)) throw protocol(`invalid header line ${JSON.stringify(fieldLine.slice(0, 60))}`);
    const key = name.toLowerCase();
    const value = fieldLine.slice(colon + 1).trim();
    if (value.includes('\r') || value.includes('\n')) throw protocol('a bare CR or LF in a header value');
    const prev = headers[key];
    headers[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    if (key === 'content-length') {
      if (!CONTENT_LENGTH.test(value) || (length >= 0 && Number(value) !== length)) throw protocol(`invalid Content-Length ${JSON.stringify(value)}`);
      length = Number(value);
    } else if (key === 'transfer-encoding') {
      transferEncoding = true;
      // RFC 9112 §6.3 rule 4: chunked must be the final coding, else the body runs until close.
      chunked = CHUNKED_LAST.test(value);
    } else if (key === 'connection') {
      connection += ',' + value.toLowerCase();
    }
  }
  if (transferEncoding && length >= 0) throw protocol('both Transfer-Encoding and Content-Length (RFC 9112 §6.1)');
  if (status === 101) throw protocol('101 Switching Protocols to a request that asked for no upgrade');
  const close = m[1] === '0' ? !HAS_KEEP_ALIVE.test(connection) : HAS_CLOSE.test(connection);
  return { status, statusText: m[3] ?? '', headers, length, transferEncoding, chunked, close };
}

/**
 * A chunk-size line's size (RFC 9112 §7.1: hex digits, optional whitespace and extensions, CRLF or
 * LF) from `buf[start, lf)`, or -1 when it is not one. Up to 12 hex digits (2⁴⁸ bytes: an exact number).
 */
function chunkSize(buf: Buffer, start: number, lf: number): number {
  let end = lf;
  if (end > start && buf[end - 1] === 0x0d) end--;
  let size = 0;
  let i = start;
  for (; i < end && i - start < 12; i++) {
    const c = buf[i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) break;
    size = size * 16 + d;
  }
  if (i === start) return -1;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  if (i < end && buf[i] !== 0x3b) return -1; // anything but an extension (";…") after the digits
  for (let k = i; k < end; k++) if (buf[k] === 0x0d || buf[k] === 0x0a) return -1;
  return size;
}

function protocol(message: string): ProbeError {
  return new ProbeError('protocol', message);
}
