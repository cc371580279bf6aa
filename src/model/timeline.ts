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
 * What an event carries (docs/metrics.md, "Raw traces"): `text` (visible content), `reasoning`,
 * `tool_call` and `content` (other payload) are content events; `choices` is an OpenAI chunk with
 * choices but no payload (the role or finish chunk), `usage` one with `"choices": []`, `done` a
 * terminator (`[DONE]`, our `done`, Anthropic's `message_stop`, the Responses API's
 * `response.completed`), `error` an error event or object, `other` anything else.
 */
export const EVENT_KINDS = ['text', 'reasoning', 'tool_call', 'content', 'choices', 'usage', 'done', 'error', 'other'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

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
  readonly kind: EventKind[] = [];
  /** The running output-token total of a `usage` the event carried; NaN when it had none. */
  readonly usage: number[] = [];

  get length(): number {
    return this.arrivalUs.length;
  }

  push(arrivalUs: number, read: number, bytes: number, event: string, t: number, tSrc: number, content: boolean, kind: EventKind = content ? 'content' : 'other', usage = NaN): void {
    this.kind.push(kind);
    this.usage.push(usage);
    this.arrivalUs.push(arrivalUs);
    this.read.push(read);
    this.bytes.push(bytes);
    this.event.push(event);
    this.t.push(t);
    this.tSrc.push(tSrc);
    this.content.push(content);
  }

  /**
   * Each event's own output tokens, from the running `usage` totals the server sent (vLLM's
   * `continuous_usage_stats`): the event's total minus the last one before it; NaN when the event
   * carried no usage.
   */
  ownTokens(): number[] {
    const out: number[] = [];
    let seen = 0;
    for (const u of this.usage) {
      if (Number.isNaN(u)) out.push(NaN);
      else {
        out.push(u - seen);
        seen = u;
      }
    }
    return out;
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
