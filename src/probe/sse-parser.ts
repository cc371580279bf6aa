import { countReplacements } from './count-replacements.js';
import type { BodyParser } from './event-sink.js';
import { LineParser } from './line-buffer.js';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
/** No event type seen yet: shared, never written (a parser per request allocates nothing until it must). */
const NO_TYPE = Buffer.alloc(0);

/**
 * A streaming Server-Sent Events parser (WHATWG HTML §9.2.6 "Interpreting an event stream").
 * Works on bytes: line ends are LF, CR or CRLF (a CRLF split across reads is one line end), a line
 * may be split at any byte (also inside a UTF-8 sequence: lines are decoded whole), a leading BOM is
 * dropped, invalid UTF-8 decodes to U+FFFD and is counted. The hot path allocates nothing per byte:
 * line ends are found with `Buffer#indexOf` (memchr) and a line that lies inside one read is
 * decoded in place; only the data value (and a changed event type) becomes a string.
 */
export class SseParser extends LineParser implements BodyParser {
  /** The last `id` seen at dispatch (the spec's "last event ID string"). */
  lastEventId = '';
  /** The last valid `retry` value in ms, or null. */
  retryMs: number | null = null;
  private skipLF = false;
  private firstLine = true;
  private data = '';
  private hasData = false;
  private type = '';
  private typeKey: Buffer = NO_TYPE;
  private typeName = '';
  private idBuffer: string | null = null;
  private eventBytes = 0;

  push(chunk: Buffer): boolean {
    if (this.tooLarge) return false;
    const len = chunk.length;
    let i = 0;
    if (this.skipLF && len > 0) {
      this.skipLF = false;
      // The CR that ended the previous read was the first half of a CRLF.
      if (len > 0 && chunk[0] === LF) i = 1;
    }
    // Positions of the next LF and CR, cached across lines; -1: none left in this chunk.
    let nextLF = -2;
    let nextCR = -2;
    while (i < len) {
      if (nextLF !== -1 && nextLF < i) nextLF = chunk.indexOf(LF, i);
      if (nextCR !== -1 && nextCR < i) nextCR = chunk.indexOf(CR, i);
      const eol = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : nextLF < nextCR ? nextLF : nextCR;
      if (eol === -1) {
        if (!this.line.append(chunk, i, len) || this.line.length + this.eventBytes > this.maxEventBytes) {
          this.tooLarge = true;
        }
        return !this.tooLarge;
      }
      let after = eol + 1;
      if (chunk[eol] === CR) {
        if (after < len) {
          if (chunk[after] === LF) after++;
        } else {
          this.skipLF = true;
        }
      }
      const terminator = after - eol;
      if (this.line.length > 0) {
        if (!this.line.append(chunk, i, eol)) {
          this.tooLarge = true;
          return false;
        }
        this.processLine(this.line.bytes, 0, this.line.length, terminator);
        this.line.clear();
      } else {
        this.processLine(chunk, i, eol, terminator);
      }
      if (this.tooLarge) return false;
      i = after;
    }
    return true;
  }

  end(): void {
    // "Once the end of the file is reached, any pending data must be discarded."
    this.line.clear();
    this.data = '';
    this.hasData = false;
    this.type = '';
    this.eventBytes = 0;
  }

  private processLine(buf: Buffer, start: number, end: number, terminator: number): void {
    const lineBytes = end - start + terminator;
    let s = start;
    if (this.firstLine) {
      this.firstLine = false;
      if (end - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
    }
    if (s === end) {
      this.dispatch(lineBytes);
      return;
    }
    if (buf[s] === COLON) {
      this.sink.onComment(lineBytes);
      return;
    }
    this.eventBytes += lineBytes;
    if (this.eventBytes > this.maxEventBytes) {
      this.tooLarge = true;
      return;
    }
    let colon = buf.indexOf(COLON, s);
    let vs: number;
    if (colon === -1 || colon >= end) {
      colon = end;
      vs = end;
    } else {
      vs = colon + 1;
      if (vs < end && buf[vs] === SPACE) vs++;
    }
    const n = colon - s;
    const c0 = buf[s];
    if (n === 4 && c0 === 0x64 && buf[s + 1] === 0x61 && buf[s + 2] === 0x74 && buf[s + 3] === 0x61) {
      // data
      const value = buf.toString('utf8', vs, end);
      if (value.length > 0 && value.indexOf('\uFFFD') !== -1) this.invalidUtf8 += countReplacements(value, buf, vs, end);
      if (this.hasData) this.data += '\n' + value;
      else {
        this.data = value;
        this.hasData = true;
      }
    } else if (n === 5 && c0 === 0x65 && buf[s + 1] === 0x76 && buf[s + 2] === 0x65 && buf[s + 3] === 0x6e && buf[s + 4] === 0x74) {
      // event: the same type as last time costs a byte compare, not a string.
      if (this.typeKey.length === end - vs && this.typeKey.compare(buf, vs, end) === 0) {
        this.type = this.typeName;
      } else {
        const value = buf.toString('utf8', vs, end);
        if (value.indexOf('\uFFFD') !== -1) this.invalidUtf8 += countReplacements(value, buf, vs, end);
        this.typeKey = Buffer.from(buf.subarray(vs, end));
        this.typeName = value;
        this.type = value;
      }
    } else if (n === 2 && c0 === 0x69 && buf[s + 1] === 0x64) {
      // id: ignored when it contains U+0000 NULL.
      const nul = buf.indexOf(0, vs);
      if (nul === -1 || nul >= end) this.idBuffer = buf.toString('utf8', vs, end);
    } else if (n === 5 && c0 === 0x72 && buf[s + 1] === 0x65 && buf[s + 2] === 0x74 && buf[s + 3] === 0x72 && buf[s + 4] === 0x79) {
      // retry: only ASCII digits count.
      let ms = 0;
      let ok = vs < end;
      for (let k = vs; k < end && ok; k++) {
        const b = buf[k]!;
        if (b < 0x30 || b > 0x39) ok = false;
        else ms = ms * 10 + (b - 0x30);
      }
      if (ok) this.retryMs = ms;
    }
    // Any other field is ignored (§9.2.6).
  }

  private dispatch(lineBytes: number): void {
    if (this.idBuffer !== null) {
      this.lastEventId = this.idBuffer;
      this.idBuffer = null;
    }
    if (!this.hasData) {
      // No data: nothing is dispatched, the event type buffer resets.
      this.type = '';
      this.eventBytes = 0;
      return;
    }
    const bytes = this.eventBytes + lineBytes;
    const type = this.type === '' ? 'message' : this.type;
    const data = this.data;
    this.data = '';
    this.hasData = false;
    this.type = '';
    this.eventBytes = 0;
    this.sink.onEvent(type, data, bytes);
  }
}
