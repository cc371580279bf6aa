import type { EventSink } from '../../src/probe/event-sink.js';

/** A sink that keeps what a parser reports, for assertions. */
export class CollectingSink implements EventSink {
  events: Array<{ type: string; data: string; bytes: number }> = [];
  comments = 0;
  onEvent(type: string, data: string, bytes: number): void {
    this.events.push({ type, data, bytes });
  }
  onComment(): void {
    this.comments++;
  }
}
