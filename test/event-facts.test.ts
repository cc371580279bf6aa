import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventFacts, type EventFacts } from '../src/probe/event-facts.js';
import { DEFAULT_SERVER_TIME, parseServerTime } from '../src/probe/server-time.js';

const facts = (type: string, data: string, spec = DEFAULT_SERVER_TIME): EventFacts =>
  eventFacts(type, data, spec, { name: '', content: false, t: NaN, tSrc: NaN, stats: null });

test('content: payload yes; heartbeats, done, error, [DONE], empty, role-only, usage-only no', () => {
  const yes: Array<[string, string]> = [
    ['chunk', '{"seq":0,"t":1,"t_src":1,"text":"a"}'],
    ['message', '{"choices":[{"delta":{"content":"Hi"}}]}'],
    ['message', '{"choices":[{"delta":{"reasoning_content":"hm"}}]}'],
    ['message', '{"choices":[{"delta":{"tool_calls":[{"index":0}]}}]}'],
    ['message', '{"choices":[{"text":"x","index":0}]}'],
    ['content_block_delta', '{"type":"content_block_delta","delta":{"text":"x"}}'],
    ['display', '{"seq":1,"t":1,"t_src":1,"data":{"text/plain":"1"},"kind":"display"}'],
    ['message', 'plain text'],
  ];
  const no: Array<[string, string]> = [
    ['done', '{"seq":3,"t":1,"t_src":1,"status":"ok"}'],
    ['error', '{"code":"NBS_SOURCE_FAILED"}'],
    ['message', '[DONE]'],
    ['message', ''],
    ['chunk', '{"seq":0,"t":1,"t_src":1,"text":""}'],
    ['message', '{"choices":[{"delta":{"role":"assistant"}}]}'],
    ['message', '{"choices":[{"delta":{"role":"assistant","content":""}}]}'],
    ['message', '{"choices":[],"usage":{"total_tokens":3}}'],
    ['message_start', '{"type":"message_start","message":{}}'],
    ['message', '{"seq":0,"t":1,"t_src":1}'],
  ];
  for (const [type, data] of yes) assert.equal(facts(type, data).content, true, data);
  for (const [type, data] of no) assert.equal(facts(type, data).content, false, data);
});

test('stamps: t and t_src in ms; --server-time picks a path and unit; NDJSON names come from "event"', () => {
  const f = facts('message', '{"seq":0,"t":1000.5,"t_src":990.25,"text":"a","event":"chunk"}');
  assert.equal(f.name, 'chunk');
  assert.equal(f.t, 1000.5);
  assert.equal(f.tSrc, 990.25);
  const s = facts('message', '{"meta":{"sent":2.5},"text":"a"}', parseServerTime('meta.sent:s'));
  assert.equal(s.t, 2500);
  assert.ok(Number.isNaN(facts('message', '{"text":"a"}').t));
  assert.throws(() => parseServerTime('a b'), /serverTime/);
});

test('done.stats is read from done events', () => {
  const f = facts('done', '{"seq":9,"t":1,"t_src":1,"status":"ok","stats":{"events":8,"bytes":100,"writes":9,"server_first_chunk_ms":null}}');
  assert.deepEqual(f.stats, { events: 8, bytes: 100, writes: 9, server_first_chunk_ms: null });
});

test('kinds: visible text, reasoning, tool calls, role/finish chunks, usage, terminators and errors are told apart', () => {
  const cases: Array<[string, string, string]> = [
    ['message', '{"choices":[{"delta":{"content":"Hi"}}]}', 'text'],
    ['message', '{"choices":[{"delta":{"reasoning_content":"hm"}}]}', 'reasoning'],
    ['message', '{"choices":[{"delta":{"reasoning":"hm","content":"Hi"}}]}', 'text'],
    ['message', '{"choices":[{"delta":{"tool_calls":[{"index":0}]}}]}', 'tool_call'],
    ['message', '{"choices":[{"delta":{"role":"assistant","content":""}}]}', 'choices'],
    ['message', '{"choices":[{"delta":{},"finish_reason":"stop"}]}', 'choices'],
    ['message', '{"choices":[],"usage":{"completion_tokens":3}}', 'usage'],
    ['message', '[DONE]', 'done'],
    ['done', '{"seq":3,"t":1,"t_src":1,"status":"ok"}', 'done'],
    ['message', '{"error":{"message":"boom"}}', 'error'],
    ['error', 'oops', 'error'],
    ['content_block_delta', '{"type":"content_block_delta","delta":{"type":"thinking_delta","thinking":"x"}}', 'reasoning'],
    ['content_block_delta', '{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}', 'text'],
    ['message_stop', '{"type":"message_stop"}', 'done'],
    ['message', '{"type":"response.output_text.delta","delta":"x"}', 'text'],
    ['message', '{"type":"response.completed","response":{}}', 'done'],
    ['display', '{"seq":1,"t":1,"t_src":1,"data":{"text/plain":"1"},"kind":"display"}', 'content'],
    ['message', '{"seq":0,"t":1,"t_src":1}', 'other'],
  ];
  for (const [type, data, kind] of cases) assert.equal(facts(type, data).kind, kind, data);
  assert.equal(facts('message', '{"choices":[{"delta":{"content":"a"}}],"usage":{"completion_tokens":7}}').outputTokens, 7);
});
