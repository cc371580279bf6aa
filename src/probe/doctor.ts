import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import { performance } from 'node:perf_hooks';
import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import {
  addedOverPrevious,
  blameHop,
  classifyArrivals,
  majorityVerdict,
  quantile,
  resolveCoalescing,
  resolveSteadyBySize,
  sameHold,
  votingVerdicts,
  ruleFromFasterSource,
  ruleFromLargeTokens,
  ruleFromSlowerSource,
  type ArrivalEntry,
  type RuleFinding,
} from './doctor-classifier.js';
import { eventText, type EventText } from './event-text.js';
import { FIXES } from './fix-snippets.js';
import { browserFixes, browserStep, skippedBrowserStep, type DoctorBrowserOptions } from './doctor-browser.js';
import { recogniseIntermediaries } from './header-rules.js';
import type { StreamRecord } from '../model/record.js';
import { isPingEndpoint, type RequestSpec } from './request-spec.js';
import { captureResponse, headerOf } from './response-capture.js';
import { openStreamClient, type SequentialClient } from './open-stream-client.js';
import {
  isHeld,
  type AttributionStep,
  type Classification,
  type DoctorResult,
  type HopResult,
  type RankedFix,
  type RunSummary,
  type SourceAsked,
  type StepId,
} from '../model/doctor-result.js';
import type { Fix } from '../model/fix.js';

/**
 * doctor's default request to our own server (a URL ending in /send_operation, no body): the ping
 * operation, 200 tokens 10 ms apart (2 s, ~19 KB). Long enough for nginx's 4 KiB buffers to show
 * several releases, and the guide-before buffer its ~100 ms timer.
 */
export const DOCTOR_PING = { notebook_id: 'doctor', operation: { type: 'ping', count: 200, interval_ms: 10, token: 'tok ' }, lang: 'en' };
/** The large-events variant sends tokens of this many bytes. */
export const LARGE_TOKEN_BYTES = 1024;
/** The ping's defaults on our server (src/server/sources/ping.ts) and the guide's API, for a body that omits them. */
const PING_DEFAULTS = { count: 50, interval_ms: 20, tokenChars: 4 };
/** The faster-source step: this share of the asked interval (at least 1 ms), over at least FAST_SPAN_MS and six release intervals. */
const FAST_SHARE = 0.2;
const FAST_SPAN_MS = 800;
/** The slower-source step: tokens this share of the baseline's release interval apart, over seven of them. */
const SLOW_SHARE = 0.45;
const SLOW_INTERVALS = 7;

export interface Hop {
  name: string;
  url: string;
}

export interface DoctorOptions extends RequestFlags {
  /** The URL users reach (with hops: the last hop's). */
  url: string;
  /** The backend without the proxy: the two-hop shorthand of `hops`. */
  direct?: string;
  /** `--hop NAME=URL`, the backend first, the URL users reach last. */
  hops?: Hop[];
  runs: number;
  /** Attribution steps start only while the whole run is under this many seconds. */
  budgetS: number;
  /** `--browser`: add the page's step (doctor-browser.ts). */
  browser?: DoctorBrowserOptions;
}

const ms = (us: number | null) => (us === null ? null : Math.round(us / 100) / 10);

function summarize(record: StreamRecord, c: Classification): RunSummary {
  return {
    verdict: c.verdict,
    reason: c.reason,
    status: record.status,
    error: record.error === null ? null : `${record.error.kind}: ${record.error.message}`,
    headersMs: ms(record.headersUs),
    firstContentMs: ms(record.firstContentUs),
    endMs: ms(record.endUs) ?? 0,
    events: record.events,
    reads: record.reads,
    contentEncoding: record.contentEncoding,
  };
}

/** One measured request: the record, and the text of each of its events (same order as the timeline). */
interface Measured {
  record: StreamRecord;
  texts: EventText[];
}

/** A URL doctor measures, with the source it asked for (when it knows). */
interface Target {
  name: string;
  spec: RequestSpec;
  asked: SourceAsked | null;
}

/** A client that keeps each event's text for the coalescing evidence. */
function textClient(spec: RequestSpec): { client: SequentialClient; take: () => EventText[] } {
  let texts: EventText[] = [];
  const client = openStreamClient(spec, (type, data) => texts.push(eventText(type, data)));
  return {
    client,
    take: () => {
      const out = texts;
      texts = [];
      return out;
    },
  };
}

function entriesOf(m: Measured): ArrivalEntry[] {
  const entries = m.record.timeline.entries();
  return entries.map((e, i) => ({ ...e, chars: m.texts[i]?.chars ?? 0, units: m.texts[i]?.units ?? 0 }));
}

const classify = (m: Measured, asked: SourceAsked | null, names?: FieldNamer) => classifyArrivals(entriesOf(m), asked, names);

/**
 * Runs `n` rounds; in each round every target once, in order (interleaved: a slow minute on the
 * machine hits every hop alike). The first target's response headers are captured.
 */
async function measureRounds(targets: readonly Target[], n: number, captureFirst: boolean): Promise<{ runs: Measured[][]; headers: Array<[string, string]> }> {
  const cap = captureFirst ? captureResponse(targets.at(-1)!.spec.url) : null;
  const clients = targets.map((t) => textClient(t.spec));
  const runs: Measured[][] = targets.map(() => []);
  try {
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < targets.length; h++) {
        const c = clients[h]!;
        const record = await c.client.request(i, false);
        runs[h]!.push({ record, texts: c.take() });
        if (i === 0 && h === targets.length - 1) cap?.stop();
      }
    }
  } finally {
    cap?.stop();
    await Promise.all(clients.map((c) => c.client.close()));
  }
  return { runs, headers: cap?.result.headers ?? [] };
}

/** Our ping operation (or the guide's API) in the body: doctor knows what it asked and can change it. */
function pingBody(spec: RequestSpec): Record<string, unknown> | null {
  if (spec.body === null) return null;
  try {
    const obj = JSON.parse(typeof spec.body === 'string' ? spec.body : spec.body.toString('utf8')) as Record<string, unknown>;
    const op = obj['operation'] as Record<string, unknown> | undefined;
    return op !== undefined && op !== null && op['type'] === 'ping' ? obj : null;
  } catch {
    return null;
  }
}

function askedOf(ping: Record<string, unknown> | null): SourceAsked | null {
  if (ping === null) return null;
  const op = ping['operation'] as Record<string, unknown>;
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const token = op['token'];
  const tokenChars = typeof token === 'string' ? [...token].length : typeof token === 'number' ? token : PING_DEFAULTS.tokenChars;
  return { count: num(op['count'], PING_DEFAULTS.count), intervalMs: num(op['interval_ms'], PING_DEFAULTS.interval_ms), tokenChars };
}

/** The same request with the ping's operation changed. */
function withOperation(spec: RequestSpec, ping: Record<string, unknown>, change: Record<string, unknown>): { spec: RequestSpec; asked: SourceAsked | null } {
  const body = { ...ping, operation: { ...(ping['operation'] as object), ...change } };
  return { spec: { ...spec, body: JSON.stringify(body) }, asked: askedOf(body) };
}

/** The hops to measure: `--hop`s, or `--direct` as two hops (backend, then the URL). */
function hopList(o: DoctorOptions): Hop[] | null {
  if (o.hops !== undefined && o.hops.length > 0) return o.hops;
  if (o.direct !== undefined) return [{ name: 'direct', url: o.direct }, { name: 'proxy', url: o.url }];
  return null;
}

function hopResult(hop: Target, measured: Measured[], prev: Measured[] | null, names?: FieldNamer): HopResult {
  const cs = measured.map((m) => classify(m, hop.asked, names));
  const maj = majorityVerdict(votingVerdicts(cs));
  const c = cs.find((x) => x.verdict === maj.verdict) ?? cs[0]!;
  const fc = measured.map((m) => m.record.firstContentUs).filter((x): x is number => x !== null).map((x) => x / 1000).sort((a, b) => a - b);
  const waits = cs.map((x) => x.evidence.medianWaitMs).filter((x): x is number => x !== null).sort((a, b) => a - b);
  const arrivals = (ms: Measured[]) => ms.map((m) => entriesOf(m).filter((e) => e.content !== false && e.event !== 'done' && e.event !== 'error').map((e) => e.arrivalUs / 1000));
  const firsts = (ms: Measured[]) => ms.map((m) => (m.record.firstContentUs === null ? [] : [m.record.firstContentUs / 1000]));
  const added = prev === null ? null : addedOverPrevious(arrivals(prev), arrivals(measured));
  const addedFirst = prev === null ? null : addedOverPrevious(firsts(prev), firsts(measured));
  const round1 = (x: number | null) => (x === null || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
  return {
    name: hop.name,
    url: hop.spec.url.href,
    httpVersion: measured[0]?.record.httpVersion ?? null,
    verdict: maj.verdict,
    agree: maj.agree,
    of: maj.of,
    reason: maj.verdict === 'INCONCLUSIVE' && c.verdict !== 'INCONCLUSIVE' ? `runs disagree: ${cs.map((x) => x.verdict).join(', ')}` : c.reason,
    tokensPerEvent: c.rule !== null ? (c.coalescing?.tokensPerEvent ?? null) : null,
    rule: c.rule,
    firstContentP50Ms: fc.length === 0 ? null : round1(quantile(fc, 0.5)),
    firstContentP90Ms: fc.length === 0 ? null : round1(quantile(fc, 0.9)),
    waitMs: waits.length === 0 ? null : round1(quantile(waits, 0.5)),
    waitKind: c.evidence.stamps === 't_src' ? 'hold+lag' : c.evidence.stamps === 't' ? 'lag' : null,
    addedMs: added?.addedMs ?? null,
    addedNoiseMs: added?.noiseMs ?? null,
    rounds: added?.rounds ?? 0,
    addedFirstContentMs: addedFirst?.addedMs ?? null,
  };
}

/**
 * One attribution step: the one thing it changes, the request that changes it, and how to read the
 * run. The steps form a list (`planSteps`) so another (a browser, issue 27) is one more entry.
 */
interface StepPlan {
  id: StepId;
  changed: string;
  target: Target;
  judge: (c: Classification, run: RunSummary) => Pick<AttributionStep, 'conclusion' | 'implicates'> & { clears?: AttributionStep['clears'] };
}

/** `notebook-stream doctor URL`: measure, classify, attribute, rank fixes. Prints nothing. */
export async function doctor(o: DoctorOptions, onProgress?: (line: string) => void): Promise<DoctorResult> {
  const named = (name: string) => (o.names ?? byFieldName)(field(name));
  const t0 = performance.now();
  const flags: RequestFlags = { ...o };
  const hops = hopList(o);
  const targetUrl = hops === null ? o.url : hops.at(-1)!.url;
  // An unparsable URL is left to buildRequestSpec, whose message names it (exit 2).
  const ownPing = (u: string) => o.body === undefined && o.bodyFile === undefined && URL.canParse(u) && isPingEndpoint(new URL(u));
  const targetOf = async (name: string, url: string): Promise<Target> => {
    const f: RequestFlags = ownPing(url) ? { ...flags, body: JSON.stringify(DOCTOR_PING) } : { ...flags };
    // Along a chain, --http2 offers h2 where TLS can negotiate it (ALPN); a plain-http hop (a backend
    // behind its proxy) speaks HTTP/1.1 rather than h2c prior knowledge, which few backends accept.
    if (hops !== null && URL.canParse(url) && new URL(url).protocol === 'http:') f.http2 = false;
    const spec = await buildRequestSpec(url, f);
    return { name, spec, asked: askedOf(pingBody(spec)) };
  };
  const targets = hops === null ? [await targetOf('url', targetUrl)] : await Promise.all(hops.map((h) => targetOf(h.name, h.url)));
  const target = targets.at(-1)!;
  const spec = target.spec;

  onProgress?.(
    hops === null
      ? `baseline: ${o.runs} run(s) of ${spec.method} ${spec.url.href}`
      : `hops: ${o.runs} interleaved round(s) over ${targets.map((t) => `${t.name}=${t.spec.url.href}`).join(', ')}`,
  );
  const measured = await measureRounds(targets, o.runs, true);
  const base = measured.runs.at(-1)!;
  const classifications = base.map((m) => classify(m, target.asked, o.names));
  const runs = base.map((m, i) => summarize(m.record, classifications[i]!));
  const ok = base.filter((m) => m.record.events > 0 || (m.record.error === null && m.record.status !== null));
  const intermediaries = recogniseIntermediaries(measured.headers);
  const hopResults = hops === null ? null : targets.map((t, i) => hopResult(t, measured.runs[i]!, i === 0 ? null : measured.runs[i - 1]!, o.names));
  let blame = hopResults === null ? null : blameHop(hopResults);
  const direct = o.direct !== undefined && (o.hops === undefined || o.hops.length === 0) ? targets[0]!.spec.url.href : null;
  if (ok.length === 0) {
    const kinds = [...new Set(base.map((m) => m.record.error?.kind ?? 'no events'))].join(', ');
    return {
      url: spec.url.href,
      direct,
      hops: hopResults,
      blame,
      verdict: 'INCONCLUSIVE',
      runsVerdict: 'INCONCLUSIVE',
      resolvedBy: null,
      agree: 0,
      of: runs.length,
      classification: classifications[0]!,
      runs,
      intermediaries,
      responseHeaders: measured.headers,
      attribution: [],
      fixes: [],
      nothingMeasured: true,
      reason: `nothing measured: all ${runs.length} requests to ${spec.url.href} failed (${kinds})`,
      elapsedMs: Math.round(performance.now() - t0),
    };
  }
  const majority = majorityVerdict(votingVerdicts(classifications));
  let classification = classifications.find((c) => c.verdict === majority.verdict) ?? classifications[0]!;
  if (majority.verdict === 'INCONCLUSIVE' && classification.verdict !== 'INCONCLUSIVE') {
    classification = { ...classification, verdict: 'INCONCLUSIVE', reason: `runs disagree: ${classifications.map((c) => c.verdict).join(', ')}`, needed: `more runs (${named('runs')}), or a longer, steadier stream` };
  }
  let verdict = majority.verdict;
  let resolvedBy: string | null = null;
  const baseline = classification;

  const attribution: AttributionStep[] = [];
  const overBudget = () => performance.now() - t0 > o.budgetS * 1000;
  const runStep = async (p: StepPlan) => {
    if (overBudget()) {
      attribution.push({ id: p.id, changed: p.changed, verdict: null, run: null, classification: null, conclusion: `skipped: over the ${o.budgetS} s budget (${named('budgetS')})`, implicates: null });
      return;
    }
    onProgress?.(`attribution: ${p.changed}`);
    const { runs: r } = await measureRounds([p.target], 1, false);
    const m = r[0]![0]!;
    const c = classify(m, p.target.asked, o.names);
    const run = summarize(m.record, c);
    const j = p.judge(c, run);
    attribution.push({ id: p.id, changed: p.changed, verdict: c.verdict, run, classification: c, conclusion: j.conclusion, implicates: j.implicates, clears: j.clears ?? null });
  };

  const findings: RuleFinding[] = [];
  let fastRun: Classification | null = null;
  const ping = pingBody(spec);
  const asked = target.asked;
  const coalesced = baseline.rule !== null;
  const caveat = baseline.verdict === 'STREAMING' && baseline.caveat !== null;

  if (isHeld(verdict) || verdict === 'INCONCLUSIVE') {
    const ae = spec.headers['accept-encoding'] ?? '';
    const identity = ae.trim().toLowerCase() === 'identity';
    const other = identity ? 'gzip, deflate, br' : 'identity';
    await runStep({
      id: 'compression',
      changed: `Accept-Encoding: ${other} (was ${ae || 'none'})`,
      target: { ...target, spec: { ...spec, headers: { ...spec.headers, 'accept-encoding': other } } },
      judge: (c, run) => {
        const encodedBase = runs[0]!.contentEncoding !== '';
        if (!identity && isHeld(verdict) && c.verdict === 'STREAMING' && baseline.rule === null) {
          return { conclusion: `without compression the stream is STREAMING: compression holds it${encodedBase ? ` (Content-Encoding: ${runs[0]!.contentEncoding})` : ''}`, implicates: 'compression' };
        }
        if (identity && verdict === 'STREAMING' && isHeld(c.verdict)) {
          return { conclusion: `a browser-like Accept-Encoding makes it ${c.verdict}: compression holds it for real users`, implicates: 'compression' };
        }
        return { conclusion: `same picture (${c.verdict}${run.contentEncoding !== '' ? `, Content-Encoding: ${run.contentEncoding}` : ''}): compression is not the cause`, implicates: null, clears: 'compression' };
      },
    });

    const accept = spec.headers['accept'] ?? '';
    const acceptOther = accept === '*/*' ? 'text/event-stream' : '*/*';
    await runStep({
      id: 'accept',
      changed: `Accept: ${acceptOther} (was ${accept || 'none'})`,
      target: { ...target, spec: { ...spec, headers: { ...spec.headers, accept: acceptOther } } },
      judge: (c) =>
        !sameHold(c, baseline) && (isHeld(verdict) || isHeld(c.verdict))
          ? { conclusion: `the verdict changes with Accept (${verdict} → ${c.verdict}): something on the path decides by the Accept header`, implicates: 'accept' }
          : { conclusion: `same verdict (${c.verdict}): Accept does not matter here`, implicates: null, clears: 'accept' },
    });

    if (ping !== null) {
      const large = withOperation(spec, ping, { token: LARGE_TOKEN_BYTES });
      await runStep({
        id: 'event-size',
        changed: `ping tokens of ${LARGE_TOKEN_BYTES} bytes (was ${JSON.stringify((ping['operation'] as Record<string, unknown>)['token'] ?? 'tok ')})`,
        target: { ...target, ...large },
        judge: (c) => {
          if (coalesced) {
            const f = ruleFromLargeTokens(c);
            findings.push(f);
            return { conclusion: f.note, implicates: f.size === true ? 'size' : null };
          }
          const resolved = resolveSteadyBySize(classification, c);
          if (resolved.classification !== classification) {
            if (resolved.classification.verdict !== verdict) resolvedBy = `event-size step: ${resolved.note}`;
            classification = resolved.classification;
            verdict = classification.verdict;
          }
          if (resolved.note !== '') return { conclusion: resolved.note, implicates: 'size' };
          if (isHeld(verdict) && c.verdict === 'STREAMING') {
            return { conclusion: 'large events stream: the buffer holds small events only (a size or character threshold)', implicates: 'size' };
          }
          return { conclusion: `large events: ${c.verdict}`, implicates: null };
        },
      });
    }
  }

  // A faster source exposes a timer (and a slower one tells a timer from a size threshold) where
  // doctor can change the source: our ping, or the guide's API that honours interval_ms.
  if (ping !== null && asked !== null && (coalesced || caveat)) {
    const baseInterval = baseline.coalescing?.intervalMs ?? asked.intervalMs;
    const fastMs = Math.max(1, Math.round(asked.intervalMs * FAST_SHARE));
    const fastCount = Math.ceil(Math.max(FAST_SPAN_MS, 6 * baseInterval) / fastMs);
    const pingOp = ping;
    const sourceStep = (id: StepId, what: string, intervalMs: number, count: number, read: (c: Classification) => RuleFinding) =>
      runStep({
        id,
        changed: `${what}: ${count} tokens ${intervalMs} ms apart (was ${asked.count}, ${asked.intervalMs} ms)`,
        target: { ...target, ...withOperation(spec, pingOp, { interval_ms: intervalMs, count }) },
        judge: (c) => {
          const f = read(c);
          findings.push(f);
          return { conclusion: f.note, implicates: f.timer === true ? 'timer' : f.size === true ? 'size' : null };
        },
      });
    await sourceStep('source-faster', 'a faster source', fastMs, fastCount, (c) => {
      fastRun = c;
      return ruleFromFasterSource(baseline, c);
    });
    const timerKnown = findings.some((f) => f.timer !== null);
    if (coalesced && !timerKnown && baseInterval > 0) {
      const slowMs = Math.max(asked.intervalMs + 1, Math.round(baseInterval * SLOW_SHARE));
      const slowCount = Math.max(MIN_SLOW_COUNT, Math.ceil((SLOW_INTERVALS * baseInterval) / slowMs));
      await sourceStep('source-slower', 'a slower source', slowMs, slowCount, (c) => ruleFromSlowerSource(baseline, c));
    }
    const resolved = resolveCoalescing(classification, findings, fastRun);
    if (resolved.classification !== classification) {
      if (resolved.classification.verdict !== verdict) resolvedBy = `source steps: ${resolved.note}`;
      classification = resolved.classification;
      verdict = classification.verdict;
    }
  }

  if (hopResults !== null && classification.rule !== null && classification.rule !== 'timer-or-size') {
    // The source steps ran at the last hop; a hop that saw the same coalescing with a steady source gets their rule.
    // `timer+size` refines a hop's single-run `size` or `timer` too.
    for (const h of hopResults) {
      if (h.rule === null || h.rule === classification.rule || (h.rule !== 'timer-or-size' && classification.rule !== 'timer+size')) continue;
      h.rule = classification.rule;
      h.verdict = classification.verdict;
      h.reason = `${classification.reason} (rule from the source steps at ${target.name})`;
    }
  }
  if (hopResults !== null && resolvedBy !== null) {
    // The last hop is the URL the steps measured: its row shows the resolved verdict.
    const last = hopResults.at(-1)!;
    last.verdict = verdict;
    last.reason = classification.reason;
    if (last.rule !== null) last.rule = classification.rule;
  }
  if (hopResults !== null) blame = blameHop(hopResults);
  if (hopResults !== null && hopResults.length >= 2) {
    // `--direct` (and the first `--hop`): the backend's verdict, from the hop rounds, not measured again.
    const first = hopResults[0]!;
    const c0 = classify(measured.runs[0]![0]!, targets[0]!.asked, o.names);
    const run0 = summarize(measured.runs[0]![0]!.record, c0);
    const conclusion = (): Pick<AttributionStep, 'conclusion' | 'implicates'> => {
      if (isHeld(verdict) && (first.verdict === 'STREAMING' || (!isHeld(first.verdict) && blame?.kind === 'adds'))) {
        return { conclusion: `the backend (${first.name}) does not hold the stream (${first.verdict}); the path after it does: ${blame?.sentence ?? ''}`, implicates: 'path' };
      }
      if (isHeld(first.verdict)) return { conclusion: `the backend (${first.name}) itself is ${first.verdict}: the delay starts in the backend`, implicates: 'backend' };
      return { conclusion: `the backend (${first.name}): ${first.verdict}`, implicates: null };
    };
    attribution.push({ id: 'direct', changed: `the backend directly: ${first.url}`, verdict: first.verdict, run: run0, classification: c0, ...conclusion() });
  }

  // issue 27: what the page sees, as its own step (doctor-browser.ts), whatever the wire's verdict.
  if (o.browser !== undefined) {
    onProgress?.('attribution: the page in headless Chromium');
    attribution.push(overBudget() ? skippedBrowserStep(o.budgetS) : await browserStep(spec, verdict, o.browser));
  }

  // A compressed stream that streamed: its compressor is flushed per event (serve --compress, zlib
  // Z_SYNC_FLUSH). Say so, so the encoding is not mistaken for the buffer (issue 28).
  const encoding = runs.find((x) => x.contentEncoding !== '')?.contentEncoding;
  if (verdict === 'STREAMING' && encoding !== undefined) {
    classification = { ...classification, reason: `${classification.reason}; compressed (${encoding}) and flushed per event: the compressor held nothing` };
  }
  const result: DoctorResult = {
    url: spec.url.href,
    direct,
    hops: hopResults,
    blame,
    verdict,
    runsVerdict: majority.verdict,
    resolvedBy,
    agree: majority.agree,
    of: majority.of,
    classification,
    runs,
    intermediaries,
    responseHeaders: measured.headers,
    attribution,
    fixes: [],
    nothingMeasured: false,
    reason: classification.reason,
    elapsedMs: 0,
  };
  result.fixes = [...rankFixes(result), ...browserFixes(attribution)];
  result.elapsedMs = Math.round(performance.now() - t0);
  return result;
}

/** The slower-source step sends at least this many tokens (a size threshold needs several to fill). */
const MIN_SLOW_COUNT = 12;

/**
 * The fixes, most likely first: what the attribution implicated, then what the verdict and the
 * response headers suggest. A cause a step ruled out (`clears`) offers no fix: the advice follows
 * the attribution. Pure over the result.
 */
export function rankFixes(r: Pick<DoctorResult, 'verdict' | 'classification' | 'attribution' | 'intermediaries' | 'responseHeaders' | 'runs'> & Partial<Pick<DoctorResult, 'hops' | 'blame'>>): RankedFix[] {
  const backendHolds = r.hops !== undefined && r.hops !== null && r.hops.length > 0 && isHeld(r.hops[0]!.verdict);
  if (!isHeld(r.verdict) && !backendHolds) return [];
  const scores = new Map<string, { fix: Fix; score: number; because: string }>();
  const cleared = new Set(r.attribution.map((s) => s.clears).filter((x) => x !== null && x !== undefined));
  const add = (fix: Fix, score: number, because: string) => {
    if (cleared.has('compression') && (fix.id === FIXES.gzipOff.id || fix.id === FIXES.cacheControl.id)) return;
    const cur = scores.get(fix.id);
    if (cur === undefined || cur.score < score) scores.set(fix.id, { fix, score, because });
  };
  const implicated = new Set(r.attribution.map((s) => s.implicates).filter((x) => x !== null));
  const encoded = r.runs.some((x) => x.contentEncoding !== '') || headerOf(r.responseHeaders, 'content-encoding') !== null;
  const nginx = r.intermediaries.some((p) => p.name === 'nginx');
  const cc = (headerOf(r.responseHeaders, 'cache-control') ?? '').toLowerCase();
  const c = r.classification;
  const co = c.coalescing;

  if (implicated.has('compression')) {
    add(FIXES.gzipOff, 100, 'the compression step: without compression the stream streams');
    if (!cc.includes('no-transform')) add(FIXES.cacheControl, 60, 'no-transform tells proxies and CDNs not to compress');
  }
  if (c.rule !== null && co !== null) {
    const rule = {
      size: `a size threshold of ~${c.thresholdChars} characters`,
      'timer+size': `~${c.flushIntervalMs} ms or ~${c.thresholdChars} characters`,
      timer: `a timer of ~${c.flushIntervalMs} ms`,
      'timer-or-size': `a timer of ~${c.flushIntervalMs} ms or a size threshold`,
    }[c.rule];
    add(FIXES.flushPerEvent, 99, `the backend coalesces: ${co.tokensPerEvent} source tokens per event (${rule}): send each token as its own event, the guide's fix`);
  }
  if (backendHolds && r.hops![0]!.tokensPerEvent !== null) {
    add(FIXES.flushPerEvent, 99, `the first hop (${r.hops![0]!.name}) coalesces ${r.hops![0]!.tokensPerEvent} source tokens per event: send each token as its own event`);
  } else if (backendHolds) {
    add(FIXES.flushPerEvent, 98, `the first hop (${r.hops![0]!.name}) is already ${r.hops![0]!.verdict}: the backend holds the events`);
  }
  if (implicated.has('backend')) {
    add(FIXES.flushPerEvent, 98, 'the direct step: the backend itself holds the events');
  }
  if (implicated.has('path') || r.blame?.kind === 'adds') {
    const why = r.blame?.kind === 'adds' ? `the hop table: ${r.blame.sentence}` : 'the direct step: the backend streams, the proxy holds';
    add(FIXES.proxyBufferingOff, 96, why);
    add(FIXES.xAccelBuffering, 90, 'lets the backend switch nginx buffering off per response');
    add(FIXES.proxyHttp11, 80, 'nginx speaks HTTP/1.0 to the backend by default');
  }
  if (implicated.has('size') && c.verdict === 'PERIODIC_FLUSH') {
    add(FIXES.flushPerEvent, 95, `a timer in the backend releases every ~${c.flushIntervalMs} ms and holds small events (the guide's buffer)`);
  }
  // The backend coalesces and nothing after it was found to hold: proxy fixes would not help.
  const onlyBackend = c.rule !== null && !implicated.has('path') && !implicated.has('compression') && r.blame?.kind !== 'adds';

  switch (onlyBackend ? null : r.verdict) {
    case 'FULLY_BUFFERED':
      if (encoded) add(FIXES.gzipOff, 92, 'the response was compressed and arrived whole at the end (nginx gzip with proxy_buffering on)');
      add(FIXES.proxyBufferingOff, nginx ? 91 : 85, 'everything arrived in the final read: a proxy buffered the whole response');
      add(FIXES.xAccelBuffering, 80, 'the backend can switch nginx buffering off itself');
      add(FIXES.proxyHttp11, 75, 'with HTTP/1.0 to the backend nginx buffers the stream');
      add(FIXES.flushPerEvent, 50, 'or the backend wrote everything at the end');
      break;
    case 'SIZE_THRESHOLD':
      add(FIXES.proxyBufferingOff, nginx ? 90 : 80, `releases of ~${c.thresholdKiB} KiB match a proxy's buffers (nginx: proxy_buffer_size 4k|8k)`);
      add(FIXES.proxyHttp11, 78, 'with HTTP/1.0 to the backend nginx releases full 4 KiB buffers');
      if (encoded) add(FIXES.gzipOff, 85, 'a compressor releases full blocks');
      add(FIXES.xAccelBuffering, 70, 'the backend can switch nginx buffering off itself');
      add(FIXES.flushPerEvent, 60, 'or the backend writes through a buffered stream (flush after each event)');
      break;
    case 'PERIODIC_FLUSH':
      add(FIXES.flushPerEvent, 88, `a timer releases every ~${c.flushIntervalMs} ms and adds up to that much to every event (first content waited ${c.addedFirstContentMs ?? '?'} ms)`);
      add(FIXES.proxyBufferingOff, 55, 'some proxies flush on a timer too');
      if (encoded) add(FIXES.gzipOff, 70, 'the response was compressed');
      break;
    default:
      break;
  }
  add(FIXES.proxyReadTimeout, 10, 'for streams with long silences: nginx closes an upstream silent for 60 s');
  return [...scores.values()].sort((a, b) => b.score - a.score).map(({ fix, because }) => ({ ...fix, because }));
}
