import type { EventSink } from './event-sink.js';

/**
 * What the SSE and NDJSON parsers share: the sink, the event size limit and the line they are
 * assembling. Each subclass splits its own lines (their rules differ: CR handling, fields).
 */
export abstract class LineParser {
  invalidUtf8 = 0;
  tooLarge = false;
  protected readonly line: LineBuffer;

  constructor(
    protected readonly sink: EventSink,
    protected readonly maxEventBytes: number,
  ) {
    this.line = new LineBuffer(maxEventBytes);
  }
}

/** A line buffer before its first split line: shared, empty, never written. */
const EMPTY = Buffer.alloc(0);

/**
 * Holds the bytes of a line split across reads, growing by doubling up to a hard limit so one
 * endless line cannot take unbounded memory. A line that fits in one read is never copied, and a
 * stream whose lines all fit in their reads never allocates one (issue 31: a parser per request).
 */
export class LineBuffer {
  bytes: Buffer = EMPTY;
  length = 0;

  constructor(private readonly limit: number) {}

  /** Appends `src[start, end)`. Returns false (and keeps nothing more) when the limit is passed. */
  append(src: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    const need = this.length + n;
    if (need > this.limit) return false;
    if (need > this.bytes.length) {
      let size = Math.max(256, this.bytes.length * 2);
      while (size < need) size *= 2;
      const next = Buffer.allocUnsafe(Math.min(size, Math.max(need, this.limit)));
      this.bytes.copy(next, 0, 0, this.length);
      this.bytes = next;
    }
    this.bytes.set(src.subarray(start, end), this.length);
    this.length = need;
    return true;
  }

  clear(): void {
    this.length = 0;
  }
}
