/**
 * What a body parser reports. A parser runs synchronously inside one read: the sink knows which
 * read it is (the client sets it before feeding bytes), so events carry no timestamps themselves.
 */
export interface EventSink {
  /**
   * One complete event. `type` is the SSE event type (`message` when none was given), or for
   * NDJSON/raw bodies `message`. `data` is the event's data as text. `bytes` counts the event's
   * bytes on the (decoded) wire, framing included.
   */
  onEvent(type: string, data: string, bytes: number): void;
  /** A comment or heartbeat (SSE `: hb`, an NDJSON blank line): not an event. */
  onComment(bytes: number): void;
}

/** The common shape of the SSE, NDJSON and raw parsers. */
export interface BodyParser {
  /** Feeds one chunk. Returns false once the parser has failed (an event over the size limit). */
  push(chunk: Uint8Array): boolean;
  /** The body ended: a trailing incomplete event is discarded (WHATWG HTML §9.2.6). */
  end(): void;
  /** Replacement characters produced by invalid UTF-8 (a warning, not an error). */
  readonly invalidUtf8: number;
  /** True once an event or line exceeded the size limit. */
  readonly tooLarge: boolean;
}
