import { countReplacements } from './count-replacements.js';
import type { BodyParser } from './event-sink.js';
import { LineParser } from './line-buffer.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Newline-delimited JSON: one event per LF-terminated line (a trailing CR is dropped). A blank line
 * is a heartbeat (docs/protocol.md: NDJSON heartbeats are bare newlines). The type is `message`; the
 * event name, when the object has one, is read by the consumer from its `event` key.
 */
export class NdjsonParser extends LineParser implements BodyParser {
  push(chunk: Buffer): boolean {
    if (this.tooLarge) return false;
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      const eol = chunk.indexOf(LF, i);
      if (eol === -1) {
        if (!this.line.append(chunk, i, len)) this.tooLarge = true;
        return !this.tooLarge;
      }
      if (this.line.length > 0) {
        if (!this.line.append(chunk, i, eol)) {
          this.tooLarge = true;
          return false;
        }
        this.processLine(this.line.bytes, 0, this.line.length);
        this.line.clear();
      } else {
        this.processLine(chunk, i, eol);
      }
      i = eol + 1;
    }
    return true;
  }

  end(): void {
    // A last line without its LF is still a complete JSON value: count it.
    if (this.line.length > 0) this.processLine(this.line.bytes, 0, this.line.length, 0);
    this.line.clear();
  }

  private processLine(buf: Buffer, start: number, end: number, terminator = 1): void {
    const bytes = end - start + terminator;
    let e = end;
    if (e > start && buf[e - 1] === CR) e--;
    let s = start;
    while (s < e && (buf[s] === 0x20 || buf[s] === 0x09)) s++;
    if (s === e) {
      this.sink.onComment(bytes);
      return;
    }
    const text = buf.toString('utf8', start, e);
    if (text.indexOf('\uFFFD') !== -1) this.invalidUtf8 += countReplacements(text, buf, start, e);
    this.sink.onEvent('message', text, bytes);
  }
}
