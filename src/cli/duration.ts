import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `-d` values: `30s`, `2m`, `1h`, `500ms`, `1m30s`, or plain seconds (`45`). Returns ms. */
export function parseDuration(value: string): number {
  const v = value.trim();
  let ms = 0;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
    for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit!]!;
  } else {
    throw new InvalidArgumentError("expected a duration such as 30s, 2m, 1h, 500ms or 1m30s.");
  }
  if (!(ms > 0) || ms > 7 * 24 * 3_600_000) throw new InvalidArgumentError('expected a duration above 0 and at most a week.');
  return Math.round(ms);
}
