import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sniffFormat } from '../src/probe/body-format.js';
import { NdjsonParser } from '../src/probe/ndjson-parser.js';
import { CollectingSink } from './helpers/collect-events.js';

test('NDJSON: one event per line at every split; blank lines are heartbeats; CRLF tolerated', () => {
  const input = Buffer.from('{"a":"流"}\r\n\n{"b":2}\n{"c":3}');
  for (let i = 0; i <= input.length; i++) {
    const sink = new CollectingSink();
    const p = new NdjsonParser(sink, 1 << 20);
    p.push(input.subarray(0, i));
    p.push(input.subarray(i));
    p.end();
    assert.deepEqual(sink.events.map((e) => e.data), ['{"a":"流"}', '{"b":2}', '{"c":3}'], `split at ${i}`);
    assert.equal(sink.comments, 1);
  }
});

test('NDJSON: a line over the limit fails', () => {
  const p = new NdjsonParser(new CollectingSink(), 100);
  assert.equal(p.push(Buffer.alloc(101, 0x61)), false);
  assert.equal(p.tooLarge, true);
});

test('sniffing: SSE fields and comments, JSON lines, anything else raw; undecided while ambiguous', () => {
  assert.equal(sniffFormat(Buffer.from('data: x\n')), 'sse');
  assert.equal(sniffFormat(Buffer.from(': hb\n')), 'sse');
  assert.equal(sniffFormat(Buffer.from('event:')), 'sse');
  assert.equal(sniffFormat(Buffer.from('\ufeffid: 1\n')), 'sse');
  assert.equal(sniffFormat(Buffer.from('da')), null);
  assert.equal(sniffFormat(Buffer.from('{"seq":0}\n')), 'ndjson');
  assert.equal(sniffFormat(Buffer.from('hello world, this is text')), 'raw');
  assert.equal(sniffFormat(Buffer.from('database')), 'raw');
});
