import type { BrowserApi } from '../model/browser.js';
import type { StreamRecord } from '../model/record.js';
import type { MetricStats, ReportConfiguration, RoundSummary } from '../model/report.js';
import { runInBrowser, type PageRun, type PageStream } from './browser-run.js';
import { summarizeBrowser, wireTwin, withBrowser, type WireTwin } from './browser-summary.js';
import { browserApiFor, requireChromium, type BrowserOptions } from './browser-twin.js';
import { launchChromium, type Browser } from './chromium.js';
import type { RequestSpec } from './request-spec.js';

/** One configuration's page side, batch by batch. */
interface PageSide {
  streams: PageStream[];
  twins: Map<number, WireTwin>;
  clockErrorMs: number;
  api: BrowserApi;
}

/**
 * `compare --browser`: every batch of every round is read by a page in headless Chromium too,
 * alongside the wire batch (the same spec, the same -n and -c), so the guide's table gets the
 * page's rows (docs/bench.md, "In the browser"). One browser for the whole comparison.
 */
export class ComparePages {
  private readonly sides = new Map<string, PageSide>();
  private chromium = '';
  private lastBatch: Record<string, MetricStats> = {};

  private constructor(
    private readonly browser: Browser,
    private readonly options: BrowserOptions,
  ) {}

  /** Exit 3 with the install hint before anything is measured when Chromium is missing. */
  static async launch(o: BrowserOptions): Promise<ComparePages> {
    return new ComparePages(await launchChromium(requireChromium(o)), o);
  }

  /** The page's batch for configuration `name`, run while `wire` runs; pairs page stream i with wire request `firstIndex + i`. */
  async batch<T extends StreamRecord[]>(name: string, spec: RequestSpec, requests: number, concurrency: number, firstIndex: number, wire: Promise<T>): Promise<T> {
    let side = this.sides.get(name);
    if (side === undefined) this.sides.set(name, (side = { streams: [], twins: new Map(), clockErrorMs: 0, api: browserApiFor(this.options, spec, []) }));
    const [records, page] = await Promise.all([wire, runInBrowser(this.browser, spec, { api: side.api, concurrency, requests, durationMs: null, warmup: 0 })]);
    this.chromium = page.chromium;
    side.clockErrorMs = Math.max(side.clockErrorMs, page.clockErrorMs);
    const batch = page.streams.map((s) => ({ ...s, index: firstIndex + s.index }));
    side.streams.push(...batch);
    const twins = new Map<number, WireTwin>();
    for (const r of records) {
      const t = wireTwin(r);
      if (t !== null) twins.set(r.index, t);
    }
    for (const [i, t] of twins) side.twins.set(i, t);
    this.lastBatch = summarizeBrowser({ ...page, streams: batch }, side.api, twins, []).metrics;
    return records;
  }

  /** Adds the page's metrics of the batch just run to its round (significance is judged per round). */
  addToRound(round: RoundSummary): void {
    for (const [m, stats] of Object.entries(this.lastBatch)) round.metrics[m] = { p50: stats.p50, p99: stats.p99, count: stats.count };
    this.lastBatch = {};
  }

  /** The configuration with its page metrics, facts, warnings and timelines added. */
  finish(c: ReportConfiguration): ReportConfiguration {
    const side = this.sides.get(c.name);
    if (side === undefined) return c;
    const run: PageRun = { streams: side.streams, chromium: this.chromium, clockErrorMs: side.clockErrorMs };
    return withBrowser(c, summarizeBrowser(run, side.api, side.twins, c.timelines.map((t) => ({ role: t.role, request: t.request }))));
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}
