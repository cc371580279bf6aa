import type { BodyParser, EventSink } from './event-sink.js';

/** `--format raw`: every body chunk (one HTTP/1.1 chunk or socket read) is one event; its data is not decoded. */
export class RawParser implements BodyParser {
  readonly invalidUtf8 = 0;
  readonly tooLarge = false;
  constructor(private readonly sink: EventSink) {}
  push(chunk: Buffer): boolean {
    if (chunk.length > 0) this.sink.onEvent('raw', '', chunk.length);
    return true;
  }
  end(): void {}
}
