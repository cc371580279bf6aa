import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import { checkHeaderRules, failingFindings, type HeaderObservation } from './header-rules.js';
import { captureResponse } from './response-capture.js';
import type { StreamRecord } from '../model/record.js';
import { isWebSocketUrl, type RequestSpec } from './request-spec.js';
import { UsageError } from '../model/errors.js';
import { StreamClient } from './stream-client.js';
import type { CheckHeadersResult } from '../model/header-findings.js';

export interface CheckHeadersOptions extends RequestFlags {
  url: string;
  /** The backend without the proxy, for the rules only the backend's own response can answer. */
  direct?: string;
  idleWindowS: number;
  strict: boolean;
}

const ms = (us: number | null) => (us === null ? null : Math.round(us / 100) / 10);

/** One request, measured by bench's client, with its headers captured. */
export async function observe(spec: RequestSpec, idleWindowS: number): Promise<{ observation: HeaderObservation; record: StreamRecord }> {
  const capture = captureResponse(spec.url);
  const client = new StreamClient(spec);
  let record: StreamRecord;
  try {
    record = await client.request(0, false);
  } finally {
    capture.stop();
    await client.close();
  }
  const c = capture.result;
  const originMs = record.originMs;
  const observation: HeaderObservation = {
    url: spec.url.href,
    httpVersion: record.httpVersion,
    statusLineVersion: c.statusLineVersion,
    status: record.status ?? c.status,
    headers: c.headers,
    error: record.error,
    headersMs: ms(record.headersUs),
    firstEventMs: ms(record.firstEventUs),
    endMs: ms(record.endUs) ?? 0,
    eventMs: record.timeline.arrivalUs.map((us) => us / 1000),
    chunkMs: c.chunkAtMs.map((t) => t - originMs),
    heartbeats: record.comments,
    idleWindowS,
    direct: null,
  };
  return { observation, record };
}

/** `notebook-stream check-headers URL`: one streaming request (and one to --direct), then the rules. Prints nothing. */
export async function checkHeaders(o: CheckHeadersOptions): Promise<CheckHeadersResult> {
  const spec = await buildRequestSpec(o.url, o);
  if (isWebSocketUrl(spec.url)) {
    throw new UsageError(`check-headers judges the headers of an HTTP stream; ${spec.url.protocol}// has none after the handshake: measure it with bench or doctor, or check the SSE endpoint (…/send_operation)`);
  }
  const directSpec = o.direct === undefined ? null : await buildRequestSpec(o.direct, o);
  const { observation, record } = await observe(spec, o.idleWindowS);
  if (directSpec !== null) observation.direct = (await observe(directSpec, o.idleWindowS)).observation;
  const findings = checkHeaderRules(observation, o.names);
  return {
    url: spec.url.href,
    direct: directSpec?.url.href ?? null,
    request: { method: spec.method, headers: spec.headers },
    response: {
      status: observation.status,
      httpVersion: record.httpVersion,
      statusLineVersion: observation.statusLineVersion,
      headers: observation.headers,
      headersMs: observation.headersMs,
      firstEventMs: observation.firstEventMs,
      endMs: observation.endMs,
      events: record.events,
      error: record.error,
    },
    findings,
    failing: failingFindings(findings, o.strict).map((f) => f.id),
    nothingMeasured: observation.status === null && !(observation.httpVersion === '2' && findings.some((f) => f.id === 'h2-connection-header' && f.outcome === 'fail')),
  };
}
