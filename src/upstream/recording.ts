import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { packageRoot } from '../paths.js';

/**
 * A recorded LLM answer the replay upstream plays back: `fixtures/llm/NAME.json`, chosen by the
 * model name `NAME` (docs/llm.md, "Fixture format"). Times are ms from the request's arrival at the
 * upstream to the write of each content delta, so a replay keeps the recording's TTFT and rhythm.
 */
export const RECORDING_FORMAT = 'notebook-stream.llm-recording/1';

export interface LlmRecording {
  format: typeof RECORDING_FORMAT;
  /** Equals the file name without `.json`; the model name that selects it. */
  name: string;
  description: string;
  /** Where the timings come from (a capture, or a hand-written model of one). */
  provenance: string;
  /** The `model` field the replayed chunks carry. */
  model: string;
  finish_reason: 'stop' | 'length';
  /** As the original reported it; the replay sends it in the usage chunk. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** `[at_ms, content]`, at_ms non-decreasing, from the request's arrival. */
  deltas: Array<[number, string]>;
}

/** The recordings that ship with the package (`fixtures/llm/`, beside `dist/`). */
export const DEFAULT_RECORDINGS_DIR = join(packageRoot(), 'fixtures', 'llm');

/** Checks one parsed file; returns a message naming what is wrong, or undefined. */
export function recordingProblem(value: unknown, fileName: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (r['format'] !== RECORDING_FORMAT) return `"format" must be "${RECORDING_FORMAT}"`;
  const stem = basename(fileName, '.json');
  if (r['name'] !== stem) return `"name" must equal the file name without .json ("${stem}")`;
  if (stem === 'synthetic' || !/^[A-Za-z0-9._-]{1,128}$/.test(stem)) return '"name" must be 1-128 of A-Z a-z 0-9 . _ - and not "synthetic"';
  for (const key of ['description', 'provenance', 'model'] as const) {
    if (typeof r[key] !== 'string' || r[key] === '') return `"${key}" must be a non-empty string`;
  }
  if (r['finish_reason'] !== 'stop' && r['finish_reason'] !== 'length') return '"finish_reason" must be "stop" or "length"';
  const usage = r['usage'];
  if (usage !== undefined) {
    const u = usage as Record<string, unknown>;
    const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    if (typeof usage !== 'object' || usage === null || !ok(u['prompt_tokens']) || !ok(u['completion_tokens'])) {
      return '"usage" must be { "prompt_tokens": N, "completion_tokens": N } with whole numbers';
    }
  }
  const deltas = r['deltas'];
  if (!Array.isArray(deltas) || deltas.length === 0) return '"deltas" must be a non-empty array';
  let last = 0;
  for (const [i, d] of deltas.entries()) {
    if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== 'number' || !Number.isFinite(d[0]) || typeof d[1] !== 'string' || d[1] === '') {
      return `deltas[${i}] must be [at_ms, "non-empty text"]`;
    }
    if (d[0] < last) return `deltas[${i}] is earlier than the delta before it`;
    last = d[0];
  }
  return undefined;
}

/** Loads every `*.json` in `dir`. Throws naming the file at fault. */
export async function loadRecordings(dir: string = DEFAULT_RECORDINGS_DIR): Promise<Map<string, LlmRecording>> {
  const out = new Map<string, LlmRecording>();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(`cannot read the recordings directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  for (const name of names) {
    const file = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
    const problem = recordingProblem(parsed, name);
    if (problem !== undefined) throw new Error(`${file}: ${problem}`);
    const rec = parsed as LlmRecording;
    out.set(rec.name, rec);
  }
  return out;
}
