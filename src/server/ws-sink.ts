import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { RawResponse } from './stream-writer.js';

/** Bytes queued on a WebSocket past which its operations stop pulling from their sources. */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * One WebSocket shared by several operations (as Jupyter's channels share one socket): the
 * backpressure is the socket's, so every operation on it waits for the same drain.
 */
export class WsConnection {
  private backed = false;
  private readonly drains = new EventEmitter();
  /** Operations streaming on this socket now. */
  operations = 0;

  constructor(readonly ws: WebSocket) {
    // Every operation of a backed-up socket waits on it: not a leak.
    this.drains.setMaxListeners(0);
  }

  /** Sends one message; false while the socket's queue is above the high-water mark. */
  send(text: string): boolean {
    this.ws.send(text, this.afterSend);
    if (!this.backed && this.ws.bufferedAmount >= HIGH_WATER_BYTES) this.backed = true;
    return !this.backed;
  }

  /** ws calls this once the frame reached the kernel: the drain signal, without a timer. */
  private readonly afterSend = (): void => {
    if (this.backed && this.ws.bufferedAmount < HIGH_WATER_BYTES / 2) {
      this.backed = false;
      this.drains.emit('drain');
    }
  };

  onDrain(listener: () => void, on: boolean): void {
    if (on) this.drains.once('drain', listener);
    else this.drains.removeListener('drain', listener);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Each operation's share of the queued bytes, so /metrics sums the socket's queue once. */
  get bufferedShare(): number {
    return this.operations === 0 ? 0 : this.ws.bufferedAmount / this.operations;
  }
}

/**
 * What the stream writer sees of one operation on a WebSocket: each write is one message (the
 * writer writes one event per write in format `ws`); there are no headers, and `end` sends the
 * last message (`done`) without closing the socket, which other operations may still use.
 */
export class WsOperationSink implements RawResponse {
  private ended = false;

  constructor(private readonly conn: WsConnection) {}

  writeHead(): unknown {
    return this;
  }

  flushHeaders(): void {}

  /** One text message. The writer writes format `ws` as strings only (no shared-Buffer parts: writeLarge skips framed streams). */
  write(chunk: string): boolean {
    if (chunk.length === 0 || this.ended || !this.conn.open) return true;
    return this.conn.send(chunk);
  }

  end(chunk?: string): unknown {
    if (chunk !== undefined && chunk !== '' && !this.ended && this.conn.open) this.conn.send(chunk);
    this.ended = true;
    return this;
  }

  once(event: 'drain' | 'close', listener: () => void): unknown {
    if (event === 'drain') this.conn.onDrain(listener, true);
    else this.conn.ws.once('close', listener);
    return this;
  }

  removeListener(event: 'drain' | 'close', listener: () => void): unknown {
    if (event === 'drain') this.conn.onDrain(listener, false);
    else this.conn.ws.removeListener('close', listener);
    return this;
  }

  get writableEnded(): boolean {
    return this.ended;
  }

  get writableLength(): number {
    return this.conn.bufferedShare;
  }

  get destroyed(): boolean {
    return !this.conn.open;
  }
}
