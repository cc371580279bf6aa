import { createParser, sniffFormat, type BodyFormat } from './body-format.js';
import type { BodyParser, EventSink } from './event-sink.js';

/**
 * A parser whose format is decided by the first bytes of the body. Bytes held while undecided are
 * replayed into the chosen parser when a later read decides: the events they complete belong to
 * that later read, which is when they became complete.
 */
export class SniffingParser implements BodyParser {
  format: BodyFormat | null = null;
  private inner: BodyParser | null = null;
  private head: Buffer = Buffer.alloc(0);

  constructor(
    private readonly sink: EventSink,
    private readonly maxEventBytes: number,
  ) {}

  get invalidUtf8(): number {
    return this.inner?.invalidUtf8 ?? 0;
  }
  get tooLarge(): boolean {
    return this.inner?.tooLarge ?? false;
  }

  push(chunk: Buffer): boolean {
    if (this.inner !== null) return this.inner.push(chunk);
    this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    const format = sniffFormat(this.head);
    if (format === null) return true;
    return this.choose(format);
  }

  end(): void {
    if (this.inner === null && this.head.length > 0) this.choose(sniffFormat(this.head) ?? 'raw');
    this.inner?.end();
  }

  private choose(format: BodyFormat): boolean {
    this.format = format;
    this.inner = createParser(format, this.sink, this.maxEventBytes);
    const head = this.head;
    this.head = Buffer.alloc(0);
    return this.inner.push(head);
  }
}
