import zlib from 'node:zlib';
import { ProbeError } from './error-kind.js';

export const DECODABLE_ENCODINGS = ['gzip', 'x-gzip', 'deflate', 'br'] as const;

/** Output of the decoder, tagged with the compressed read that let the decoder emit it. */
export type DecodedOutput = (chunk: Buffer, read: number, arrivalUs: number) => void;

interface Pending {
  chunk: Buffer;
  read: number;
  arrivalUs: number;
}

/**
 * Streaming `Content-Encoding` decoder (RFC 9110 §8.4.1: gzip, deflate; RFC 7932: br). zlib runs
 * off the main thread, so output comes later than the read that caused it; to time an event by
 * the read whose compressed bytes let the decoder emit its last byte, reads are fed one at a time
 * and everything the decoder emits before a read's write callback belongs to that read. Every
 * write asks for a sync flush, so nothing a read completes stays inside the decoder.
 */
export class BodyDecoder {
  private stream: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress | null = null;
  private readonly queue: Pending[] = [];
  private busy = false;
  private ending = false;
  private read = 0;
  private arrivalUs = 0;
  private failed: Error | null = null;
  private done: Promise<void> | null = null;
  private resolveDone: (() => void) | null = null;
  private rejectDone: ((e: Error) => void) | null = null;

  /** Reads waiting for the decoder: the client pauses the socket above a bound (memory). */
  get backlog(): number {
    return this.queue.length;
  }

  /**
   * @param onIdle called whenever the decoder has caught up with every queued read, so a
   *   paused socket can resume.
   */
  constructor(
    private readonly encoding: string,
    private readonly output: DecodedOutput,
    private readonly onIdle: () => void = () => {},
  ) {}

  /** Queues one read's compressed bytes. */
  write(chunk: Buffer, read: number, arrivalUs: number): void {
    if (this.failed !== null) return;
    this.queue.push({ chunk, read, arrivalUs });
    this.pump();
  }

  /** Resolves when every queued byte is decoded; rejects as `undecodable_encoding`. */
  end(): Promise<void> {
    this.ending = true;
    if (this.done === null) {
      this.done = new Promise((resolve, reject) => {
        this.resolveDone = resolve;
        this.rejectDone = reject;
      });
      this.done.catch(() => {});
    }
    if (this.failed !== null) this.rejectDone?.(this.failed);
    else this.pump();
    return this.done;
  }

  /** Stops decoding and frees the zlib handle. */
  destroy(): void {
    this.stream?.destroy();
  }

  private open(first: Buffer): void {
    const enc = this.encoding;
    const z = zlib.constants;
    if (enc === 'gzip' || enc === 'x-gzip') {
      this.stream = zlib.createGunzip({ flush: z.Z_SYNC_FLUSH, finishFlush: z.Z_SYNC_FLUSH });
    } else if (enc === 'deflate') {
      // RFC 9110 says zlib-wrapped deflate; some servers send raw deflate. A zlib header's low
      // nibble is 8 (the CM field, RFC 1950 §2.2): the same test browsers and undici's fetch use.
      const raw = first.length > 0 && (first[0]! & 0x0f) !== 0x08;
      const opts = { flush: z.Z_SYNC_FLUSH, finishFlush: z.Z_SYNC_FLUSH };
      this.stream = raw ? zlib.createInflateRaw(opts) : zlib.createInflate(opts);
    } else {
      this.stream = zlib.createBrotliDecompress({
        flush: z.BROTLI_OPERATION_FLUSH,
        finishFlush: z.BROTLI_OPERATION_FLUSH,
      });
    }
    const stream = this.stream;
    stream.on('readable', () => this.drain());
    stream.on('error', (err) => this.fail(err));
    stream.on('end', () => this.resolveDone?.());
  }

  private drain(): void {
    if (this.stream === null) return;
    let out: Buffer | null;
    while ((out = this.stream.read() as Buffer | null) !== null) this.output(out, this.read, this.arrivalUs);
  }

  private fail(err: Error): void {
    if (this.failed !== null) return;
    this.failed = new ProbeError('undecodable_encoding', `cannot decode ${this.encoding} body: ${err.message}`);
    this.queue.length = 0;
    this.rejectDone?.(this.failed);
  }

  private pump(): void {
    if (this.busy || this.failed !== null) return;
    const next = this.queue.shift();
    if (next === undefined) {
      this.onIdle();
      if (this.ending) {
        if (this.stream === null) this.resolveDone?.();
        else if (!this.stream.writableEnded) this.stream.end();
      }
      return;
    }
    if (this.stream === null) this.open(next.chunk);
    this.busy = true;
    this.read = next.read;
    this.arrivalUs = next.arrivalUs;
    this.stream!.write(next.chunk, () => {
      this.drain();
      this.busy = false;
      this.pump();
    });
  }
}
