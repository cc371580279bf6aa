import { field, ft } from '../model/field-text.js';
import type { BrowserApi, BrowserTimeline } from '../model/browser.js';
import { UnavailableError, UsageError } from '../model/errors.js';
import type { StreamRecord } from '../model/record.js';
import type { ReportConfiguration } from '../model/report.js';
import { runInBrowser, type BrowserPlan, type PageRun } from './browser-run.js';
import { summarizeBrowser, wireTwin, withBrowser, type BrowserSummary, type WireTwin } from './browser-summary.js';
import { CHROMIUM_INSTALL_HINT, findChromium, launchChromium, type Browser } from './chromium.js';
import type { RequestSpec } from './request-spec.js';

/** `--browser`, `--browser-api`, `--browser-path`. */
export interface BrowserOptions {
  /** Default: fetch (the only API that can POST); eventsource needs GET. */
  api?: BrowserApi;
  /** The Chromium executable; default: found on PATH, else /usr/bin/chromium. */
  path?: string;
  /** PATH to search (the CLI passes the environment's; probes read no environment). */
  pathEnv?: string;
}

/** The Chromium executable, checked before anything is measured: exit 3 with the install hint when missing. */
export function requireChromium(o: BrowserOptions): string {
  const found = findChromium(o.path, o.pathEnv);
  if (found === null) {
    throw new UnavailableError(ft`${field('browser')}: no Chromium ${o.path !== undefined ? `at ${o.path}` : 'on PATH or at /usr/bin/chromium'}: ${CHROMIUM_INSTALL_HINT}`);
  }
  return found;
}

/** The API the page reads with, checked against the request: EventSource can only GET, without headers of its own. */
export function browserApiFor(o: BrowserOptions, spec: RequestSpec, userHeaders: readonly string[]): BrowserApi {
  const api = o.api ?? 'fetch';
  if (api === 'eventsource') {
    if (spec.method !== 'GET') {
      throw new UsageError(ft`${field('browserApi')} eventsource: EventSource can only GET, and this request is ${spec.method} (use ${field('browserApi')} fetch, the default, which POSTs like the page's fetch())`);
    }
    if (userHeaders.length > 0) throw new UsageError(ft`${field('browserApi')} eventsource: EventSource sends no request headers of its own; drop ${field('header', 'both')} or use ${field('browserApi')} fetch`);
  }
  return api;
}

/**
 * The page's run next to the wire run: the same plan in headless Chromium at the same time, so
 * both see the same server and machine (docs/bench.md, "In the browser"). The wire run hands
 * every record to `wire` for pairing; `finish` adds the page's metrics to its configuration.
 */
export class BrowserTwin {
  private readonly twins = new Map<number, WireTwin>();
  private page: PageRun | null = null;

  private constructor(
    private readonly browser: Browser,
    private readonly spec: RequestSpec,
    private readonly plan: BrowserPlan,
  ) {}

  static async launch(executable: string | null, spec: RequestSpec, plan: BrowserPlan): Promise<BrowserTwin> {
    const browser = await launchChromium(executable);
    return new BrowserTwin(browser, spec, plan);
  }

  /** Called with each finished wire record. */
  readonly wire = (r: StreamRecord): void => {
    const t = wireTwin(r);
    if (t !== null) this.twins.set(r.index, t);
  };

  async run(signal?: AbortSignal): Promise<PageRun> {
    this.page = await runInBrowser(this.browser, this.spec, this.plan, signal);
    return this.page;
  }

  /** The page's metrics, facts and warnings, with page timelines for the `keep` requests; null before `run`. */
  summary(keep: ReadonlyArray<{ role: BrowserTimeline['role']; request: number }>): BrowserSummary | null {
    return this.page === null ? null : summarizeBrowser(this.page, this.plan.api, this.twins, keep);
  }

  /** The wire configuration with the page's metrics, facts and warnings added. */
  finish(c: ReportConfiguration): ReportConfiguration {
    const s = this.summary(c.timelines.map((t) => ({ role: t.role, request: t.request })));
    return s === null ? c : withBrowser(c, s);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}
