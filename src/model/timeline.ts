/**
 * One entry per event, as docs/metrics.md defines it: `{ arrivalUs, read, bytes, event, t, t_src }`,
 * plus `content` (whether the event counts for `first_content_ms`).
 */
export interface TimelineEntry {
  arrivalUs: number;
  read: number;
  bytes: number;
  event: string;
  t: number | null;
  t_src: number | null;
  content: boolean;
}

/**
 * A stream's events in columns: plain number arrays stay packed (8 bytes an entry), where one
 * object per event would cost ten times that on a long stream.
 */
export class Timeline {
  readonly arrivalUs: number[] = [];
  readonly read: number[] = [];
  readonly bytes: number[] = [];
  readonly event: string[] = [];
  /** NaN when the event had no stamp. */
  readonly t: number[] = [];
  readonly tSrc: number[] = [];
  readonly content: boolean[] = [];

  get length(): number {
    return this.arrivalUs.length;
  }

  push(arrivalUs: number, read: number, bytes: number, event: string, t: number, tSrc: number, content: boolean): void {
    this.arrivalUs.push(arrivalUs);
    this.read.push(read);
    this.bytes.push(bytes);
    this.event.push(event);
    this.t.push(t);
    this.tSrc.push(tSrc);
    this.content.push(content);
  }

  entries(): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    for (let i = 0; i < this.arrivalUs.length; i++) {
      const t = this.t[i]!;
      const tSrc = this.tSrc[i]!;
      out.push({
        arrivalUs: this.arrivalUs[i]!,
        read: this.read[i]!,
        bytes: this.bytes[i]!,
        event: this.event[i]!,
        t: Number.isNaN(t) ? null : t,
        t_src: Number.isNaN(tSrc) ? null : tSrc,
        content: this.content[i]!,
      });
    }
    return out;
  }
}
