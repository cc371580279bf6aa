import { invalidBody } from '../request-error.js';
import type { Payload, SourceContext, SourceDefinition } from '../source.js';
import { loadRecording, resolveFixture, type ReplayRecording } from './replay-fixture.js';
import { timedPayloads } from './sleep.js';

/** `replay`: a timed recording from fixtures/, at its recorded rhythm scaled by `speed`. */
export interface ReplayOptions {
  name: string;
  path: string;
  /** 1 = as recorded, 2 = twice as fast, 0 = no waiting at all. */
  speed: number;
}

export const REPLAY_SPEED_MAX = 1000;

function replayStream(rec: ReplayRecording, speed: number, ctx: SourceContext): AsyncIterable<Payload> {
  const n = rec.events.length;
  return timedPayloads((i) => {
    if (i < n) {
      const e = rec.events[i]!;
      return { atMs: speed > 0 ? e.atMs / speed : -Infinity, payload: e.payload };
    }
    return i === n && rec.result !== null ? { atMs: -Infinity, payload: rec.result } : null;
  }, ctx.signal);
}

export const replaySource: SourceDefinition<ReplayOptions> = {
  type: 'replay',
  validate(op, lang) {
    const name = op['fixture'];
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw invalidBody(lang, 'operation.fixture must be a fixture name, e.g. "llm-answer"', 'operation.fixture 必须是 fixture 名称，例如 "llm-answer"');
    }
    const speed = op['speed'] ?? 1;
    if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < 0 || speed > REPLAY_SPEED_MAX) {
      throw invalidBody(lang, `operation.speed must be a number from 0 (no waiting) to ${REPLAY_SPEED_MAX}`, `operation.speed 必须是 0（不等待）到 ${REPLAY_SPEED_MAX} 之间的数`);
    }
    return { name, path: resolveFixture(name, lang), speed };
  },
  async open(op, ctx) {
    const rec = await loadRecording(op.path, op.name, ctx.lang);
    return replayStream(rec, op.speed, ctx);
  },
};
