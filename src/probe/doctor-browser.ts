import { isHeld, type AttributionStep, type RankedFix, type Verdict } from '../model/doctor-result.js';
import { UsageError } from '../model/errors.js';
import type { TimelineEntry } from '../model/timeline.js';
import type { PageStream } from './browser-run.js';
import { HTTP1_CONNECTIONS_PER_ORIGIN } from './browser-summary.js';
import { BrowserTwin, browserApiFor, requireChromium, type BrowserOptions } from './browser-twin.js';
import { classifyArrivals } from './doctor-classifier.js';
import { FIXES } from './fix-snippets.js';
import { LoadRunner } from './load-runner.js';
import type { RequestSpec } from './request-spec.js';

/** `doctor --browser`: the page probe's options, and how many streams the page opens at once. */
export interface DoctorBrowserOptions extends BrowserOptions {
  /** Streams at once on the page (`--browser-streams`, default 8: several running cells and an LLM panel). */
  streams: number;
}

/**
 * A task over 50 ms is a long task (W3C Long Tasks API): a paint delay beyond it means the page's
 * main thread, not the network, kept an event off the screen.
 */
export const LONG_TASK_MS = 50;

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The page's stream in the classifier's terms (page times in µs from its request start). */
function pageEntries(s: PageStream): TimelineEntry[] {
  return s.arrivalMs.map((a, i) => ({ arrivalUs: a * 1000, read: s.read[i]!, bytes: s.chars[i]!, event: s.content[i] ? 'chunk' : 'done', t: s.t[i] ?? null, t_src: null, content: s.content[i]! }));
}

/**
 * The browser step of doctor's attribution: the same request, `streams` at once, read by a page in
 * headless Chromium while the wire client reads as many alongside. When the wire streams and the
 * page does not, the cause is on the browser's side, and the step says which: streams waiting for
 * a connection (queueing), or the page's main thread showing events late. Launches and closes its
 * own browser.
 */
export async function browserStep(spec: RequestSpec, wireVerdict: Verdict, o: DoctorBrowserOptions): Promise<AttributionStep> {
  const changed = `read by a page in headless Chromium, ${o.streams} stream${o.streams === 1 ? '' : 's'} at once`;
  let api;
  try {
    api = browserApiFor(o, spec, []);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { id: 'browser', changed, verdict: null, run: null, classification: null, conclusion: `skipped: ${err.message}`, implicates: null };
  }
  const plan = { api, concurrency: o.streams, requests: o.streams, durationMs: null, warmup: 0 };
  const twin = await BrowserTwin.launch(requireChromium(o), spec, plan);
  try {
    const runner = new LoadRunner(spec, { model: 'closed', concurrency: o.streams, rate: 0, arrival: 'constant', requests: o.streams, durationMs: null, warmup: 0, maxInFlight: o.streams, connections: o.streams }, (r) => twin.wire(r));
    const [, page] = await Promise.all([runner.run(), twin.run()]);
    const summary = twin.summary([])!;
    const first = page.streams.find((s) => s.index === 0);
    if (first === undefined || first.error !== null) {
      return { id: 'browser', changed, verdict: null, run: null, classification: null, conclusion: `the page could not read the stream: ${summary.facts.errors.join('; ') || 'no stream'}`, implicates: 'browser' };
    }
    const c = classifyArrivals(pageEntries(first));
    const fc = first.content.indexOf(true);
    const run = {
      verdict: c.verdict,
      reason: c.reason,
      status: first.status,
      error: null,
      headersMs: first.headersMs === null ? null : round1(first.headersMs),
      firstContentMs: fc < 0 ? null : round1(first.arrivalMs[fc]!),
      endMs: round1(first.endMs),
      events: first.arrivalMs.length,
      reads: new Set(first.read).size,
      contentEncoding: '',
    };
    const queued = summary.facts.queued_streams;
    const protocol = summary.facts.protocol;
    // The six-connection limit is HTTP/1.x's: an h2 page that queued waited for something else.
    const h1 = protocol === null || /http\/1/i.test(protocol);
    const paintP99 = summary.metrics['paint_delay_ms']?.p99 ?? null;
    const overheadP50 = summary.metrics['browser_overhead_ms']?.p50 ?? null;
    const wireStreams = wireVerdict === 'STREAMING';
    const pageHeld = isHeld(c.verdict);
    const lead = wireStreams && (pageHeld || queued.length > 0 || (paintP99 !== null && paintP99 > LONG_TASK_MS)) ? 'the wire streams and the page does not: ' : '';
    const judged = ((): Pick<AttributionStep, 'conclusion' | 'implicates'> => {
      if (queued.length > 0) {
        return {
          conclusion: `${lead}queueing: ${queued.length} of ${o.streams} page streams waited up to ${Math.max(...queued.map((q) => q.queued_ms))} ms for a connection (${h1 ? `${protocol ?? 'HTTP/1.1'}: ${HTTP1_CONNECTIONS_PER_ORIGIN} connections per origin` : protocol})`,
          implicates: 'queueing',
        };
      }
      if (paintP99 !== null && paintP99 > LONG_TASK_MS) {
        return { conclusion: `${lead}the page's main thread: paint_delay_ms p99 ${paintP99} ms (a long task is over ${LONG_TASK_MS} ms): events arrived, the screen showed them late`, implicates: 'main-thread' };
      }
      if (pageHeld && wireStreams) {
        return { conclusion: `${lead}the page sees ${c.verdict} with no queueing and a free main thread: the browser's network path (a service worker, an extension, a proxy setting) holds the stream`, implicates: 'browser' };
      }
      return {
        conclusion: `the page sees what the wire sees (${c.verdict}): first content ${run.firstContentMs ?? '–'} ms, browser_overhead_ms p50 ${overheadP50 ?? '–'} ms, paint_delay_ms p99 ${paintP99 ?? '–'} ms`,
        implicates: null,
      };
    })();
    return { id: 'browser', changed, verdict: c.verdict, run, classification: c, ...judged };
  } finally {
    await twin.close();
  }
}

export function skippedBrowserStep(budgetS: number): AttributionStep {
  return { id: 'browser', changed: 'read by a page in headless Chromium', verdict: null, run: null, classification: null, conclusion: `skipped: over the ${budgetS} s time budget`, implicates: null };
}

/** The fixes the browser step points at (after the wire's own). */
export function browserFixes(attribution: readonly AttributionStep[]): RankedFix[] {
  const step = attribution.find((s) => s.id === 'browser');
  if (step?.implicates === 'queueing') return [{ ...FIXES.http2Tls, because: `the browser step: ${step.conclusion}` }];
  if (step?.implicates === 'main-thread') return [{ ...FIXES.renderPerFrame, because: `the browser step: ${step.conclusion}` }];
  return [];
}
