import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import { performance } from 'node:perf_hooks';
import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import { classifyArrivals, majorityVerdict, resolveSteadyBySize } from './doctor-classifier.js';
import { FIXES } from './fix-snippets.js';
import { recogniseIntermediaries } from './header-rules.js';
import type { StreamRecord } from '../model/record.js';
import type { RequestSpec } from './request-spec.js';
import { captureResponse, headerOf } from './response-capture.js';
import { StreamClient } from './stream-client.js';
import type { AttributionStep, Classification, DoctorResult, RankedFix, RunSummary, StepId, Verdict } from '../model/doctor-result.js';
import type { Fix } from '../model/fix.js';
import type { Intermediary } from '../model/header-findings.js';

/**
 * doctor's default request to our own server (a URL ending in /send_operation, no body): the ping
 * operation, 200 tokens 10 ms apart (2 s, ~19 KB). Long enough for nginx's 4 KiB buffers to show
 * several releases, and the guide-before buffer its ~100 ms timer.
 */
export const DOCTOR_PING = { notebook_id: 'doctor', operation: { type: 'ping', count: 200, interval_ms: 10, token: 'tok ' }, lang: 'en' };
/** The large-events variant sends tokens of this many bytes. */
export const LARGE_TOKEN_BYTES = 1024;

export interface DoctorOptions extends RequestFlags {
  url: string;
  direct?: string;
  runs: number;
  /** Attribution steps start only while the whole run is under this many seconds. */
  budgetS: number;
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

async function measure(spec: RequestSpec, n: number, capture = false): Promise<{ records: StreamRecord[]; headers: Array<[string, string]> }> {
  const cap = capture ? captureResponse(spec.url) : null;
  const client = new StreamClient(spec);
  const records: StreamRecord[] = [];
  try {
    for (let i = 0; i < n; i++) records.push(await client.request(i, false));
  } finally {
    cap?.stop();
    await client.close();
  }
  return { records, headers: cap?.result.headers ?? [] };
}

const classify = (r: StreamRecord, names?: FieldNamer) => classifyArrivals(r.timeline.entries(), names);

/** Our ping operation in the body: the event size can be varied. */
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

const BUFFERING: readonly Verdict[] = ['FULLY_BUFFERED', 'SIZE_THRESHOLD', 'PERIODIC_FLUSH'];

/** `notebook-stream doctor URL`: measure, classify, attribute, rank fixes. Prints nothing. */
export async function doctor(o: DoctorOptions, onProgress?: (line: string) => void): Promise<DoctorResult> {
  const named = (name: string) => (o.names ?? byFieldName)(field(name));
  const t0 = performance.now();
  const flags: RequestFlags = { ...o };
  // An unparsable URL is left to buildRequestSpec, whose message names it (exit 2).
  const ownPing = o.body === undefined && o.bodyFile === undefined && URL.canParse(o.url) && new URL(o.url).pathname.endsWith('/send_operation');
  if (ownPing) flags.body = JSON.stringify(DOCTOR_PING);
  const spec = await buildRequestSpec(o.url, flags);
  const directSpec = o.direct === undefined ? null : await buildRequestSpec(o.direct, flags);

  onProgress?.(`baseline: ${o.runs} run(s) of ${spec.method} ${spec.url.href}`);
  const base = await measure(spec, o.runs, true);
  const classifications = base.records.map((r) => classify(r, o.names));
  const runs = base.records.map((r, i) => summarize(r, classifications[i]!));
  const measured = base.records.filter((r) => r.events > 0 || (r.error === null && r.status !== null));
  const intermediaries = recogniseIntermediaries(base.headers);
  if (measured.length === 0) {
    const kinds = [...new Set(base.records.map((r) => r.error?.kind ?? 'no events'))].join(', ');
    return {
      url: spec.url.href,
      direct: directSpec?.url.href ?? null,
      verdict: 'INCONCLUSIVE',
      runsVerdict: 'INCONCLUSIVE',
      resolvedBy: null,
      agree: 0,
      of: runs.length,
      classification: classifications[0]!,
      runs,
      intermediaries,
      responseHeaders: base.headers,
      attribution: [],
      fixes: [],
      nothingMeasured: true,
      reason: `nothing measured: all ${runs.length} requests to ${spec.url.href} failed (${kinds})`,
      elapsedMs: Math.round(performance.now() - t0),
    };
  }
  const majority = majorityVerdict(classifications.map((c) => c.verdict));
  let classification = classifications.find((c) => c.verdict === majority.verdict) ?? classifications[0]!;
  if (majority.verdict === 'INCONCLUSIVE' && classification.verdict !== 'INCONCLUSIVE') {
    classification = { ...classification, verdict: 'INCONCLUSIVE', reason: `runs disagree: ${classifications.map((c) => c.verdict).join(', ')}`, needed: `more runs (${named('runs')}), or a longer, steadier stream` };
  }
  let verdict = majority.verdict;
  let resolvedBy: string | null = null;

  const attribution: AttributionStep[] = [];
  const overBudget = () => performance.now() - t0 > o.budgetS * 1000;
  const step = async (id: StepId, changed: string, variant: RequestSpec, judge: (c: Classification, run: RunSummary) => Pick<AttributionStep, 'conclusion' | 'implicates'>) => {
    if (overBudget()) {
      attribution.push({ id, changed, verdict: null, run: null, classification: null, conclusion: `skipped: over the ${o.budgetS} s budget (${named('budgetS')})`, implicates: null });
      return;
    }
    onProgress?.(`attribution: ${changed}`);
    const { records } = await measure(variant, 1);
    const record = records[0]!;
    const c = classify(record, o.names);
    const run = summarize(record, c);
    attribution.push({ id, changed, verdict: c.verdict, run, classification: c, ...judge(c, run) });
  };

  if (BUFFERING.includes(verdict) || verdict === 'INCONCLUSIVE') {
    const held = (v: Verdict) => BUFFERING.includes(v);
    const ae = spec.headers['accept-encoding'] ?? '';
    const identity = ae.trim().toLowerCase() === 'identity';
    const other = identity ? 'gzip, deflate, br' : 'identity';
    await step('compression', `Accept-Encoding: ${other} (was ${ae || 'none'})`, { ...spec, headers: { ...spec.headers, 'accept-encoding': other } }, (c, run) => {
      const encodedBase = runs[0]!.contentEncoding !== '';
      if (!identity && held(verdict) && c.verdict === 'STREAMING') {
        return { conclusion: `without compression the stream is STREAMING: compression holds it${encodedBase ? ` (Content-Encoding: ${runs[0]!.contentEncoding})` : ''}`, implicates: 'compression' };
      }
      if (identity && verdict === 'STREAMING' && held(c.verdict)) {
        return { conclusion: `a browser-like Accept-Encoding makes it ${c.verdict}: compression holds it for real users`, implicates: 'compression' };
      }
      return { conclusion: `same picture (${c.verdict}${run.contentEncoding !== '' ? `, Content-Encoding: ${run.contentEncoding}` : ''}): compression is not the cause`, implicates: null };
    });

    const accept = spec.headers['accept'] ?? '';
    const acceptOther = accept === '*/*' ? 'text/event-stream' : '*/*';
    await step('accept', `Accept: ${acceptOther} (was ${accept || 'none'})`, { ...spec, headers: { ...spec.headers, accept: acceptOther } }, (c) =>
      c.verdict !== verdict && (held(verdict) || held(c.verdict))
        ? { conclusion: `the verdict changes with Accept (${verdict} → ${c.verdict}): something on the path decides by the Accept header`, implicates: 'accept' }
        : { conclusion: `same verdict (${c.verdict}): Accept does not matter here`, implicates: null },
    );

    const ping = pingBody(spec);
    if (ping !== null) {
      const large = { ...ping, operation: { ...(ping['operation'] as object), token: LARGE_TOKEN_BYTES } };
      await step('event-size', `ping tokens of ${LARGE_TOKEN_BYTES} bytes (was ${JSON.stringify((ping['operation'] as Record<string, unknown>)['token'] ?? 'tok ')})`, { ...spec, body: JSON.stringify(large) }, (c) => {
        const resolved = resolveSteadyBySize(classification, c);
        if (resolved.classification !== classification) {
          if (resolved.classification.verdict !== verdict) resolvedBy = `event-size step: ${resolved.note}`;
          classification = resolved.classification;
          verdict = classification.verdict;
        }
        if (resolved.note !== '') return { conclusion: resolved.note, implicates: 'size' };
        if (held(verdict) && c.verdict === 'STREAMING') {
          return { conclusion: 'large events stream: the buffer holds small events only (a size or character threshold)', implicates: 'size' };
        }
        return { conclusion: `large events: ${c.verdict}`, implicates: null };
      });
    }

    if (directSpec !== null) {
      await step('direct', `the backend directly: ${directSpec.url.href}`, directSpec, (c) => {
        if (held(verdict) && c.verdict === 'STREAMING') return { conclusion: 'the backend streams; the path (proxy, CDN) adds the delay', implicates: 'path' };
        if (held(c.verdict)) return { conclusion: `the backend itself is ${c.verdict}: the delay starts in the backend`, implicates: 'backend' };
        return { conclusion: `the backend: ${c.verdict}`, implicates: null };
      });
    }
  }

  const result: DoctorResult = {
    url: spec.url.href,
    direct: directSpec?.url.href ?? null,
    verdict,
    runsVerdict: majority.verdict,
    resolvedBy,
    agree: majority.agree,
    of: majority.of,
    classification,
    runs,
    intermediaries,
    responseHeaders: base.headers,
    attribution,
    fixes: [],
    nothingMeasured: false,
    reason: classification.reason,
    elapsedMs: 0,
  };
  result.fixes = rankFixes(result);
  result.elapsedMs = Math.round(performance.now() - t0);
  return result;
}

/**
 * The fixes, most likely first: what the attribution implicated, then what the verdict and the
 * response headers suggest. Pure over the result.
 */
export function rankFixes(r: Pick<DoctorResult, 'verdict' | 'classification' | 'attribution' | 'intermediaries' | 'responseHeaders' | 'runs'>): RankedFix[] {
  if (!BUFFERING.includes(r.verdict)) return [];
  const scores = new Map<string, { fix: Fix; score: number; because: string }>();
  const add = (fix: Fix, score: number, because: string) => {
    const cur = scores.get(fix.id);
    if (cur === undefined || cur.score < score) scores.set(fix.id, { fix, score, because });
  };
  const implicated = new Set(r.attribution.map((s) => s.implicates).filter((x) => x !== null));
  const encoded = r.runs.some((x) => x.contentEncoding !== '') || headerOf(r.responseHeaders, 'content-encoding') !== null;
  const nginx = r.intermediaries.some((p) => p.name === 'nginx');
  const cc = (headerOf(r.responseHeaders, 'cache-control') ?? '').toLowerCase();
  const c = r.classification;

  if (implicated.has('compression')) {
    add(FIXES.gzipOff, 100, 'the compression step: without compression the stream streams');
    if (!cc.includes('no-transform')) add(FIXES.cacheControl, 60, 'no-transform tells proxies and CDNs not to compress');
  }
  if (implicated.has('backend')) {
    add(FIXES.flushPerEvent, 98, 'the direct step: the backend itself holds the events');
  }
  if (implicated.has('path')) {
    add(FIXES.proxyBufferingOff, 96, 'the direct step: the backend streams, the proxy holds');
    add(FIXES.xAccelBuffering, 90, 'lets the backend switch nginx buffering off per response');
    add(FIXES.proxyHttp11, 80, 'nginx speaks HTTP/1.0 to the backend by default');
  }
  if (implicated.has('size') && c.verdict === 'PERIODIC_FLUSH') {
    add(FIXES.flushPerEvent, 95, `a timer in the backend releases every ~${c.flushIntervalMs} ms and holds small events (the guide's buffer)`);
  }

  switch (r.verdict) {
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
