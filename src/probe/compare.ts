import { UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';
import { flushSettings, isFlushPolicyName } from '../model/flush-presets.js';
import type { ReportFlushSettings } from '../model/report.js';
import { buildRequestSpec } from './build-request-spec.js';
import { ComparePages } from './compare-browser.js';
import { newTarget, runRounds, type Target } from './compare-rounds.js';
import { compareSource, type SourceSetup, workloadBody } from './compare-workload.js';
import type { CompareOptions, CompareOutcome, CompareProgress } from './compare-options.js';
import { httpUrl, isPingEndpoint, type RequestSpec } from './request-spec.js';
import { startServeChild, type ServeChild } from './serve-child.js';
import { readServerCpuS } from './server-cpu.js';
import { openStreamClient } from './open-stream-client.js';

/** The request header that picks the policy on a server started with `--allow-policy-override`. */
export const POLICY_HEADER = 'x-nbs-flush-policy';

/** A named policy's settings as the report records them; null for a name that is not a policy. */
export function reportSettings(name: string): ReportFlushSettings | null {
  if (!isFlushPolicyName(name)) return null;
  const s = flushSettings(name);
  return {
    policy: s.policy,
    mode: s.mode,
    buffer_chars: s.bufferChars,
    flush_interval_ms: s.flushIntervalMs,
    min_chars: s.minChars,
    release_wait_ms: s.releaseWaitMs,
    kernel_wait_ms: s.kernelWaitMs,
    streaming_headers: s.streamingHeaders,
  };
}

/** `/healthz` of a notebook-stream server shows its settings; other servers have none to show. */
async function settingsFromHealthz(url: URL, headers: Record<string, string>): Promise<ReportFlushSettings | null> {
  try {
    const res = await fetch(httpUrl('/healthz', url), { headers, signal: AbortSignal.timeout(3000) });
    if (!res.ok) return null;
    const body = (await res.json()) as { settings?: Record<string, unknown> };
    const s = body.settings;
    if (s === undefined || typeof s['policy'] !== 'string' || typeof s['bufferChars'] !== 'number') return null;
    return {
      policy: s['policy'],
      mode: s['mode'] === 'adaptive' ? 'adaptive' : 'buffered',
      buffer_chars: Number(s['bufferChars']),
      flush_interval_ms: Number(s['flushIntervalMs']),
      min_chars: Number(s['minChars']),
      release_wait_ms: Number(s['releaseWaitMs']),
      kernel_wait_ms: Number(s['kernelWaitMs']),
      streaming_headers: s['streamingHeaders'] === true,
    };
  } catch {
    return null;
  }
}

function withNotebook(spec: RequestSpec, k: number): RequestSpec {
  if (typeof spec.body !== 'string') return spec;
  try {
    const body = JSON.parse(spec.body) as Record<string, unknown>;
    if (typeof body['notebook_id'] !== 'string') return spec;
    return { ...spec, body: JSON.stringify({ ...body, notebook_id: `${body['notebook_id']}-${k}` }) };
  } catch {
    return spec;
  }
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return names.filter((x) => x === n).length > 1 ? `${n}#${k}` : n;
  });
}

/**
 * `notebook-stream compare`: the same workload against each configuration, in interleaved rounds
 * (the order rotates every round, so drift and order effects hit every configuration alike), the
 * server's CPU read from `/metrics` around each configuration's batch. Prints nothing.
 */
export async function compare(o: CompareOptions, onProgress?: (p: CompareProgress) => void, signal?: AbortSignal): Promise<CompareOutcome> {
  if (o.labels.length > 0 && o.urls.length === 0) throw new UsageError(ft`${field('labels')}: names URL columns; give the URLs too (or use ${field('flushPolicies')})`, { code: 'NBS_USAGE_REQUIRES' });
  if (o.labels.length > o.urls.length) throw new UsageError(ft`Too many ${field('labels')} options: expected ${o.urls.length} at most (one per URL)`, { code: 'NBS_USAGE_BAD_VALUE' });
  if (o.urls.length === 1) throw new UsageError('compare needs two URLs or more (or none, to compare flush policies on the embedded server)');
  if (o.urls.length === 0) {
    if (o.flushPolicies.length < 2) throw new UsageError(ft`${field('flushPolicies')}: give two policies or more, comma-separated`, { code: 'NBS_USAGE_BAD_VALUE' });
    for (const p of o.flushPolicies) {
      if (!isFlushPolicyName(p) || p === 'custom') throw new UsageError(ft`${field('flushPolicies')}: unknown policy '${p}' (known: guide-before, guide-after, adaptive)`, { code: 'NBS_USAGE_UNKNOWN', details: { policy: p } });
    }
  }
  const source = compareSource(o.source);
  const body = workloadBody(o.source, o.workload);
  let server: ServeChild | null = null;
  let setup: SourceSetup | null = null;
  let pages: ComparePages | null = null;
  const targets: Target[] = [];
  try {
    if (o.urls.length === 0) {
      setup = (await source.prepare?.(o.workload, o.env ?? {})) ?? null;
      server = await startServeChild('adaptive', o.env ?? {}, 20_000, ['--allow-policy-override', ...(setup?.serveArgs ?? [])]);
      const url = `${server.url.replace(/\/$/, '')}/send_operation`;
      const names = uniqueNames(o.flushPolicies);
      for (const [i, policy] of o.flushPolicies.entries()) {
        const spec = await buildRequestSpec(url, { ...o, body });
        spec.headers[POLICY_HEADER] = policy;
        targets.push(newTarget({ name: names[i]!, spec, settings: reportSettings(policy), embeddedPolicy: policy, metricsUrl: `${server.url.replace(/\/$/, '')}/metrics` }));
      }
    } else {
      const names = uniqueNames(o.urls.map((u, i) => o.labels[i] ?? u));
      for (const [i, url] of o.urls.entries()) {
        const wantsWorkload = o.body === undefined && o.bodyFile === undefined && URL.canParse(url) && isPingEndpoint(new URL(url));
        const spec = await buildRequestSpec(url, wantsWorkload ? { ...o, body } : o);
        const auth = spec.headers['authorization'] === undefined ? {} : { authorization: spec.headers['authorization'] };
        const metricsUrl = httpUrl('/metrics', spec.url).href;
        const readable = (await readServerCpuS(metricsUrl, auth)) !== null;
        targets.push(newTarget({ name: names[i]!, spec, settings: await settingsFromHealthz(spec.url, auth), embeddedPolicy: null, metricsUrl: readable ? metricsUrl : null }));
      }
    }
    for (const t of targets) {
      // One notebook per connection: the execute source runs a notebook's cells one after another,
      // so concurrent streams need notebooks of their own (the other sources ignore the id).
      t.clients = Array.from({ length: Math.min(o.concurrency, o.requests) }, (_, k) => openStreamClient(k === 0 ? t.spec : withNotebook(t.spec, k)));
    }
    if (o.browser !== undefined) pages = await ComparePages.launch(o.browser);
    return await runRounds(o, targets, server, onProgress, signal, pages);
  } finally {
    await pages?.close();
    for (const t of targets) {
      t.sampler.stop();
      await Promise.all(t.clients.map((c) => c.close()));
    }
    await server?.stop();
    await setup?.stop();
  }
}


export type { CompareOptions, CompareOutcome, CompareProgress } from './compare-options.js';
