import { performance } from 'node:perf_hooks';
import type { BrowserApi } from '../model/browser.js';
import { EVENT_NAMES } from '../model/protocol.js';
import { PROBE_PAGE, PROBE_PATH } from './browser-page.js';
import type { Browser } from './chromium.js';
import type { RequestSpec } from './request-spec.js';

/** The page's closed model: the same -c, -n/-d and --warmup as the wire run. */
export interface BrowserPlan {
  api: BrowserApi;
  concurrency: number;
  requests: number | null;
  durationMs: number | null;
  warmup: number;
}

/** One stream as the page measured it (browser-page.ts); page times already moved onto Node's clock. */
export interface PageStream {
  index: number;
  warmup: boolean;
  /** Request start on Node's `performance.now()` clock (ms). */
  startMs: number;
  /** The rest in ms from the request start; null when never reached. */
  headersMs: number | null;
  /** When the request went out on a connection (Resource Timing `requestStart`). */
  sentMs: number | null;
  /** When the network stack had the last byte (Resource Timing `responseEnd`): the connection is free from then on. */
  netEndMs: number | null;
  /** When the page read the end of the body. */
  endMs: number;
  status: number | null;
  error: string | null;
  protocol: string | null;
  arrivalMs: number[];
  paintMs: Array<number | null>;
  read: number[];
  chars: number[];
  content: boolean[];
  /** Server stamps, null when absent. */
  t: Array<number | null>;
}

export interface PageRun {
  streams: PageStream[];
  chromium: string;
  /** Largest round trip of the clock calibration's best sample: the bound on the page-to-Node clock error. */
  clockErrorMs: number;
}

/** Raw stream as the page returns it (short keys keep the transfer small). */
interface RawStream {
  i: number;
  w: boolean;
  start: number;
  headers: number | null;
  sent: number | null;
  netEnd: number | null;
  end: number;
  status: number | null;
  error: string | null;
  protocol: string | null;
  a: number[];
  p: Array<number | null>;
  r: number[];
  b: number[];
  c: boolean[];
  t: Array<number | null>;
}

/** Headers a page may not set (Fetch "forbidden request-header"); the browser sends its own. */
const FORBIDDEN = new Set(['accept-charset', 'accept-encoding', 'connection', 'content-length', 'cookie', 'date', 'expect', 'host', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via']);

/**
 * The offset that moves page times onto Node's clock. Each round trip bounds it: the page read its
 * clock between Node's `before` and `after`, so the offset lies in [before − p, after − p]; the
 * intersection over a few round trips is the interval the calibration proves (the NTP rule). Both
 * clocks are monotonic and both processes date their origin by the same system clock, so
 * `performance.timeOrigin`s' difference is the offset to their coarsening (0.1 ms in Chromium) when
 * it lies in that interval; else the interval's middle, with half its width as the error.
 */
async function calibrate(page: { evaluate(expr: string): Promise<unknown> }): Promise<{ offsetMs: number; errorMs: number }> {
  let lo = -Infinity;
  let hi = Infinity;
  let origins = 0;
  for (let i = 0; i < 10; i++) {
    const before = performance.now();
    const [p, pageOrigin] = (await page.evaluate('[performance.now(), performance.timeOrigin]')) as [number, number];
    const after = performance.now();
    lo = Math.max(lo, before - p);
    hi = Math.min(hi, after - p);
    origins = pageOrigin - performance.timeOrigin;
  }
  if (lo > hi) return { offsetMs: (lo + hi) / 2, errorMs: (lo - hi) / 2 };
  if (origins >= lo - 0.1 && origins <= hi + 0.1) return { offsetMs: origins, errorMs: 0.1 };
  return { offsetMs: (lo + hi) / 2, errorMs: (hi - lo) / 2 };
}

/**
 * Runs the plan in a fresh browser context on a page served at the target's origin: the reserved
 * path is answered by request interception, then interception is switched off so the measured
 * requests go straight to the network. Resolves when every stream ended; `signal` stops starting
 * new ones.
 */
export async function runInBrowser(browser: Browser, spec: RequestSpec, plan: BrowserPlan, signal?: AbortSignal): Promise<PageRun> {
  // A CA file cannot be handed to Chromium; the wire client verifies the certificate against it.
  const context = await browser.newContext({ ignoreHTTPSErrors: spec.insecure || spec.ca !== null, javaScriptEnabled: true });
  try {
    const probeUrl = new URL(PROBE_PATH, spec.url).href;
    const serve = (route: { fulfill(o: { status: number; contentType: string; body: string }): Promise<void> }) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PROBE_PAGE });
    await context.route(probeUrl, serve);
    const page = await context.newPage();
    await page.goto(probeUrl, { waitUntil: 'load', timeout: 30_000 });
    await context.unroute(probeUrl, serve);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.headers)) if (!FORBIDDEN.has(k)) headers[k] = v;
    const body = spec.body === null ? null : typeof spec.body === 'string' ? spec.body : spec.body.toString('base64');
    const cfg = {
      url: spec.url.href,
      api: plan.api,
      method: spec.method,
      headers,
      body,
      bodyBase64: spec.body !== null && typeof spec.body !== 'string',
      format: spec.format,
      concurrency: plan.concurrency,
      total: plan.requests === null ? null : plan.requests + plan.warmup,
      durationMs: plan.durationMs,
      warmup: plan.warmup,
      eventNames: ['message', ...EVENT_NAMES],
    };
    const before = await calibrate(page);
    const onAbort = () => void page.evaluate('window.__nbsStop = true').catch(() => undefined);
    signal?.addEventListener('abort', onAbort);
    let raw: RawStream[];
    try {
      raw = (await page.evaluate(`window.__nbsRun(${JSON.stringify(cfg)})`)) as RawStream[];
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const after = await calibrate(page);
    // Both clocks are monotonic; the two calibrations agree to their error unless one drifted.
    const offsetMs = (before.offsetMs + after.offsetMs) / 2;
    const clockErrorMs = Math.max(before.errorMs, after.errorMs) + Math.abs(before.offsetMs - after.offsetMs) / 2;
    const rel = (v: number | null, start: number) => (v === null ? null : v - start);
    const streams = raw.map(
      (s): PageStream => ({
        index: s.i,
        warmup: s.w,
        startMs: s.start + offsetMs,
        headersMs: rel(s.headers, s.start),
        sentMs: rel(s.sent, s.start),
        netEndMs: rel(s.netEnd, s.start),
        endMs: s.end - s.start,
        status: s.status,
        error: s.error,
        protocol: s.protocol,
        arrivalMs: s.a.map((a) => a - s.start),
        paintMs: s.p.map((p) => rel(p, s.start)),
        read: s.r,
        chars: s.b,
        content: s.c,
        t: s.t,
      }),
    );
    return { streams, chromium: browser.version(), clockErrorMs };
  } finally {
    await context.close().catch(() => undefined);
  }
}
