/**
 * The text an event carries, and how many source tokens that text holds: doctor's evidence of a
 * coalescing buffer in a backend it does not know (issue 26; docs/troubleshooting.md, "Coalescing
 * in the backend"). Only doctor calls this (through StreamClient's observer): bench's hot path never
 * parses an event twice.
 */

/** What doctor keeps of one event's payload. */
export interface EventText {
  /** Code points of the payload text (0 for an event without text). */
  chars: number;
  /** Source tokens in it, estimated: words, with each CJK character one token (textUnits). */
  units: number;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * The payload text of one event: our protocol's `text`, OpenAI's `choices[].delta.content` (or
 * `.text`, reasoning), Anthropic's `delta.text`, Ollama's `response`/`message.content`, or the data
 * itself when it is not JSON. '' when the event carries none (`done`, role-only deltas, usage).
 */
export function payloadText(type: string, data: string): string {
  if (type === 'done' || type === 'error' || data === '[DONE]') return '';
  const first = data.trimStart();
  if (!first.startsWith('{')) return data;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return data;
  }
  if (obj === null || typeof obj !== 'object') return '';
  const choices = obj['choices'];
  if (Array.isArray(choices)) {
    let out = '';
    for (const c of choices) {
      if (c === null || typeof c !== 'object') continue;
      const choice = c as Record<string, unknown>;
      out += str(choice['text']);
      const delta = choice['delta'] as Record<string, unknown> | null | undefined;
      if (delta !== null && typeof delta === 'object') out += str(delta['content']) + str(delta['reasoning_content']) + str(delta['reasoning']);
    }
    return out;
  }
  const delta = obj['delta'];
  if (delta !== null && typeof delta === 'object') return str((delta as Record<string, unknown>)['text']);
  if (typeof delta === 'string') return delta;
  if (typeof obj['text'] === 'string') return obj['text'];
  if (typeof obj['response'] === 'string') return obj['response'];
  const message = obj['message'];
  if (message !== null && typeof message === 'object') return str((message as Record<string, unknown>)['content']);
  if (typeof obj['content'] === 'string') return obj['content'];
  return '';
}

/** CJK ideographs, kana and hangul: one token a character, near enough for Chinese and Japanese text. */
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;

/**
 * Tokens in a text, estimated without a tokenizer: each run of non-space characters is one (an LLM
 * token is at most a word in nearly every chunk it sends alone), each CJK character one. What
 * matters is telling one token per event from several; the estimate is exact for our ping's tokens
 * (`tok `) and the replay upstream's words.
 */
export function textUnits(text: string): number {
  let units = 0;
  let inWord = false;
  for (const ch of text) {
    if (CJK.test(ch)) {
      units++;
      inWord = false;
    } else if (ch.trim() === '') {
      inWord = false;
    } else if (!inWord) {
      units++;
      inWord = true;
    }
  }
  return units;
}

export function eventText(type: string, data: string): EventText {
  const text = payloadText(type, data);
  let chars = 0;
  for (const _ of text) chars++;
  return { chars, units: textUnits(text) };
}
