/**
 * What an event tells about an LLM stream beyond "content or not" (event-facts.ts decides that):
 * whether it is shaped like an LLM stream at all, how many output tokens the server counted, and
 * whether it is an in-stream error object. docs/metrics.md says how the LLM metrics use them.
 */

/** True for OpenAI chat/completions chunks and answers (a `choices` array, or their `object` names). */
export function isOpenAiChunk(obj: Record<string, unknown>): boolean {
  if (Array.isArray(obj['choices'])) return true;
  const kind = obj['object'];
  return typeof kind === 'string' && (kind.startsWith('chat.completion') || kind === 'text_completion');
}

/**
 * Output tokens the server counted, from a `usage` object: OpenAI's `completion_tokens` (chat and
 * completions, and our own `done.usage`), else `output_tokens` (the Responses API and Anthropic
 * name). null when the object carries no such count. Servers that send usage on every chunk
 * (vLLM's `continuous_usage_stats`) send a running total, so the last one seen is the stream's.
 */
export function usageOutputTokens(obj: Record<string, unknown>): number | null {
  const usage = obj['usage'];
  if (usage === null || typeof usage !== 'object') return null;
  const u = usage as Record<string, unknown>;
  for (const key of ['completion_tokens', 'output_tokens']) {
    const n = u[key];
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  }
  return null;
}

/**
 * An in-stream error: what OpenAI-compatible servers send in a data frame when generation fails
 * after the stream started (`data: {"error": {"message": …}}`, then no `[DONE]`). It is not content.
 */
export function isStreamError(obj: Record<string, unknown>): boolean {
  const err = obj['error'];
  if (err === null || typeof err !== 'object' || Array.isArray(err)) return false;
  return typeof (err as Record<string, unknown>)['message'] === 'string' && !('choices' in obj);
}

/**
 * True when our own server's `done` closes an LLM answer (the chat source puts `usage` and
 * `finish_reason` there); a ping or kernel stream's `done` has neither.
 */
export function isLlmDone(obj: Record<string, unknown>): boolean {
  return (obj['usage'] !== undefined && obj['usage'] !== null) || typeof obj['finish_reason'] === 'string';
}
