import zlib from 'node:zlib';
import type { Writable } from 'node:stream';
import { qualityList } from './quality-values.js';
import type { RawResponse } from './stream-writer.js';

import type { CompressMode } from '../model/protocol.js';

export type StreamEncoding = 'gzip' | 'br';

/** Quality values of the Accept-Encoding header (RFC 9110 §12.5.3); `*` covers the rest. */
function acceptedQ(accept: string, coding: string): number {
  let q = -1;
  let star = -1;
  for (const [n, value] of qualityList(accept)) {
    if (n === coding || (coding === 'gzip' && n === 'x-gzip')) q = Math.max(q, value);
    else if (n === '*') star = Math.max(star, value);
  }
  return q >= 0 ? q : Math.max(star, 0);
}

/**
 * The encoding of one stream: the configured one when the client accepts it; `auto` takes br over
 * gzip at equal quality (smaller per event; docs/performance.md, "Transports"). null: identity.
 */
export function negotiateEncoding(mode: CompressMode, accept: string | undefined): StreamEncoding | null {
  if (mode === 'off' || accept === undefined || accept === '') return null;
  const gzip = mode === 'br' ? 0 : acceptedQ(accept, 'gzip');
  const br = mode === 'gzip' ? 0 : acceptedQ(accept, 'br');
  if (br > 0 && br >= gzip) return 'br';
  return gzip > 0 ? 'gzip' : null;
}

/** Adds `Accept-Encoding` to a Vary header (CORS may have set `Vary: Origin`): caches must key on it. */
export function varyOnEncoding(headers: Record<string, string>): void {
  const vary = headers['vary'];
  headers['vary'] = vary === undefined || vary === '' ? 'Accept-Encoding' : `${vary}, Accept-Encoding`;
}

/**
 * Brotli at quality 4 and a 256 KiB window: a stream is compressed while it is written, so the
 * per-event cost counts and a 10 000-stream server must not hold 4 MiB windows (brotli's default).
 */
const BROTLI_PARAMS = {
  [zlib.constants.BROTLI_PARAM_QUALITY]: 4,
  [zlib.constants.BROTLI_PARAM_LGWIN]: 18,
  [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
};

/**
 * A response whose body goes through a compressor that is flushed after every write: zlib
 * `Z_SYNC_FLUSH` (RFC 1951 §3.2.4: an empty stored block ends the output on a byte boundary) and
 * brotli `BROTLI_OPERATION_FLUSH`, so each write of the stream writer leaves as its own compressed
 * chunk and no event waits for a block to fill. The writer sees the same interface as the raw
 * response; backpressure reaches it through the compressor's own buffer (pipe pauses it).
 */
export class CompressedResponse implements RawResponse {
  private readonly z: zlib.Gzip | zlib.BrotliCompress;

  constructor(
    private readonly res: RawResponse,
    readonly encoding: StreamEncoding,
  ) {
    this.z =
      encoding === 'gzip'
        ? zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH })
        : zlib.createBrotliCompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, params: BROTLI_PARAMS });
    this.z.pipe(res as unknown as Writable);
    // A gone client: free the compressor's memory at once, not at the next GC.
    res.once('close', () => this.z.destroy());
  }

  writeHead(status: number, headers: Record<string, string>): unknown {
    const h = { ...headers, 'content-encoding': this.encoding };
    return this.res.writeHead(status, h);
  }

  flushHeaders(): void {
    this.res.flushHeaders();
  }

  write(chunk: string | Uint8Array): boolean {
    return this.z.write(chunk);
  }

  /** The writer corks a large event's three pieces together: they enter the compressor as one turn's writes. */
  cork(): void {
    this.z.cork();
  }

  uncork(): void {
    this.z.uncork();
  }

  end(chunk?: string): unknown {
    if (chunk === undefined || chunk === '') this.z.end();
    else this.z.end(chunk);
    return this;
  }

  once(event: 'drain' | 'close', listener: () => void): unknown {
    if (event === 'drain') this.z.once('drain', listener);
    else this.res.once('close', listener);
    return this;
  }

  removeListener(event: 'drain' | 'close', listener: () => void): unknown {
    if (event === 'drain') this.z.removeListener('drain', listener);
    else this.res.removeListener('close', listener);
    return this;
  }

  get writableEnded(): boolean {
    return this.z.writableEnded || this.res.writableEnded;
  }

  /** Text not yet compressed, compressed bytes not yet written, and the response's own buffer. */
  get writableLength(): number {
    return this.z.writableLength + this.z.readableLength + (this.res.writableLength ?? 0);
  }

  get destroyed(): boolean {
    return this.res.destroyed === true;
  }
}
