import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventFacts, type EventFacts } from '../src/probe/event-facts.js';
import { chatCompletionsUrl } from '../src/probe/openai-request.js';
import { DEFAULT_SERVER_TIME } from '../src/probe/server-time.js';

const facts = (type: string, data: string): EventFacts =>
  eventFacts(type, data, DEFAULT_SERVER_TIME, { name: '', content: false, t: NaN, tSrc: NaN, stats: null });

test('LLM shape and usage: OpenAI chunks, usage-only chunks, our chat done; not a ping done or plain text', () => {
  const cases: Array<[string, string, { llm: boolean; outputTokens: number | null; content: boolean }]> = [
    ['message', '{"object":"chat.completion.chunk","choices":[{"delta":{"role":"assistant","content":""}}]}', { llm: true, outputTokens: null, content: false }],
    ['message', '{"choices":[{"delta":{"content":"Hi"}}],"usage":null}', { llm: true, outputTokens: null, content: true }],
    ['message', '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":42,"total_tokens":45}}', { llm: true, outputTokens: 42, content: false }],
    ['message', '{"choices":[{"text":"x"}],"usage":{"completion_tokens":5}}', { llm: true, outputTokens: 5, content: true }],
    ['message_delta', '{"type":"message_delta","usage":{"output_tokens":9}}', { llm: true, outputTokens: 9, content: false }],
    ['done', '{"seq":9,"t":1,"t_src":1,"status":"ok","finish_reason":"stop","usage":{"completion_tokens":8}}', { llm: true, outputTokens: 8, content: false }],
    ['done', '{"seq":9,"t":1,"t_src":1,"status":"ok","stats":{"events":1,"bytes":1,"writes":1,"server_first_chunk_ms":1}}', { llm: false, outputTokens: null, content: false }],
    ['chunk', '{"seq":0,"t":1,"t_src":1,"text":"tok "}', { llm: false, outputTokens: null, content: true }],
    ['message', '[DONE]', { llm: false, outputTokens: null, content: false }],
  ];
  for (const [type, data, want] of cases) {
    const f = facts(type, data);
    assert.deepEqual({ llm: f.llm, outputTokens: f.outputTokens, content: f.content }, want, data);
  }
});

test('an in-stream {"error": …} object is named error and is not content', () => {
  const f = facts('message', '{"error":{"message":"The server had an error","type":"server_error","param":null,"code":"server_error"}}');
  assert.equal(f.name, 'error');
  assert.equal(f.content, false);
  // An "error" key that is not an OpenAI error object stays payload.
  assert.equal(facts('message', '{"error":"E1","text":"x"}').content, true);
});

test('chatCompletionsUrl appends /chat/completions once', () => {
  assert.equal(chatCompletionsUrl('http://h:1/v1').href, 'http://h:1/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h:1/v1/').href, 'http://h:1/v1/chat/completions');
  assert.equal(chatCompletionsUrl('https://h/openai/v1/chat/completions').href, 'https://h/openai/v1/chat/completions');
  assert.throws(() => chatCompletionsUrl('h:1/v1'), /baseUrl/);
});

test('report args: credential headers given with -H are redacted, everything else is kept', async () => {
  const { redactArgs } = await import('../src/cli/redact-args.js');
  assert.deepEqual(
    redactArgs(['bench', 'https://x/v1/chat/completions', '-H', 'Authorization: Bearer sk-1', '--header=x-api-key: k2', '-HCookie: a=b', '-H', 'Accept: text/event-stream', '--body', 'Authorization: not a header']),
    ['bench', 'https://x/v1/chat/completions', '-H', 'Authorization: [redacted]', '--header=x-api-key: [redacted]', '-HCookie: [redacted]', '-H', 'Accept: text/event-stream', '--body', 'Authorization: not a header'],
  );
});
