/**
 * Holds the bytes of a line split across reads, growing by doubling up to a hard limit so one
 * endless line cannot take unbounded memory. A line that fits in one read is never copied.
 */
export class LineBuffer {
  bytes: Buffer = Buffer.allocUnsafe(256);
  length = 0;

  constructor(private readonly limit: number) {}

  /** Appends `src[start, end)`. Returns false (and keeps nothing more) when the limit is passed. */
  append(src: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    const need = this.length + n;
    if (need > this.limit) return false;
    if (need > this.bytes.length) {
      let size = this.bytes.length * 2;
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
