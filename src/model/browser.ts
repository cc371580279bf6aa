/**
 * What bench --browser adds to a report configuration (docs/bench.md, "In the browser"): the page's
 * side of the same workload, measured in headless Chromium next to the wire client.
 */

/** The API the probe page reads the stream with. */
export const BROWSER_APIS = ['fetch', 'eventsource'] as const;
export type BrowserApi = (typeof BROWSER_APIS)[number];

/** One event as the page saw it: ms from the page's request start. */
export interface BrowserTimelineEntry {
  /** Arrival on the page (the read that completed it, or the EventSource dispatch). */
  arrival_ms: number;
  /** The next animation frame after it was appended to the DOM; null when none came. */
  paint_ms: number | null;
  /** The server's `t` stamp (wire format), when the event carried one. */
  t: number | null;
  /** Characters of the event as the page decoded it. */
  chars: number;
  content: boolean;
}

/** A stream the page read, kept for the same request index as a wire timeline (side by side in the HTML report). */
export interface BrowserTimeline {
  role: 'typical' | 'worst' | 'kept';
  request: number;
  first_content_ms: number | null;
  queued_ms: number | null;
  total_ms: number;
  events: BrowserTimelineEntry[];
}

/** A stream whose request waited for another of the run's streams to end before it was sent. */
export interface QueuedStream {
  request: number;
  queued_ms: number;
}

export interface BrowserFacts {
  api: BrowserApi;
  /** Chromium's version string. */
  chromium: string;
  /** Resource Timing's nextHopProtocol of the page's requests (`http/1.1`, `h2`), when known. */
  protocol: string | null;
  requests: { measured: number; ok: number; failed: number };
  /** Page-side failures, by message (the first few). */
  errors: string[];
  /** Streams that waited for a connection (HTTP/1.1: six per origin), with their queued_ms. */
  queued_streams: QueuedStream[];
  /**
   * How browser_overhead_ms pairs page and wire: `t` compares each event's delivery (arrival − the
   * server's `t` stamp) on the page and on the wire twin; `start` compares times from each request's
   * start, event by event in order (targets that send no stamps).
   */
  overhead_from: 't' | 'start' | null;
  timelines: BrowserTimeline[];
}
