import { UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';

/** `--server-time PATH[:ms|s|us]`: where each event's JSON holds the server's send time. */
export interface ServerTimeSpec {
  /** Keys from the root, e.g. ['t'] or ['meta', 'sent_at']. */
  path: readonly string[];
  /** Multiply the field by this to get ms. */
  toMs: number;
}

/** The contract's stamp: `t`, in ms (docs/protocol.md, "Response"). */
export const DEFAULT_SERVER_TIME: ServerTimeSpec = { path: ['t'], toMs: 1 };

export function parseServerTime(value: string): ServerTimeSpec {
  const m = /^([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)(?::(ms|s|us))?$/.exec(value.trim());
  if (m === null) {
    throw new UsageError(ft`${field('serverTime')}: expected PATH[:ms|s|us] (e.g. t, meta.sent_at:s), got '${value}'`, { code: 'NBS_USAGE_BAD_VALUE' });
  }
  const unit = m[2] ?? 'ms';
  return { path: m[1]!.split('.'), toMs: unit === 's' ? 1000 : unit === 'us' ? 0.001 : 1 };
}

/** The stamp in ms, or NaN when the path does not lead to a finite number. */
export function readStamp(obj: unknown, spec: ServerTimeSpec): number {
  let cur: unknown = obj;
  for (const key of spec.path) {
    if (cur === null || typeof cur !== 'object') return NaN;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur * spec.toMs : NaN;
}
