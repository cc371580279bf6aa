import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../src/probe/sse-parser.js';
import { CollectingSink } from './helpers/collect-events.js';

/** Parses `input` fed in pieces cut at the given positions. */
function parse(input: Buffer, cuts: number[] = [], max = 1 << 20) {
  const sink = new CollectingSink();
  const p = new SseParser(sink, max);
  let last = 0;
  for (const c of [...cuts, input.length]) {
    p.push(input.subarray(last, c));
    last = c;
  }
  p.end();
  return { sink, p };
}

/** Asserts the same result for the whole input and for every split into two and three reads. */
function everySplit(input: Buffer, check: (r: ReturnType<typeof parse>) => void): void {
  check(parse(input));
  for (let i = 0; i <= input.length; i++) {
    check(parse(input, [i]));
    for (let j = i; j <= input.length; j += 3) check(parse(input, [i, j]));
  }
}

const b = (s: string) => Buffer.from(s, 'utf8');

test('LF, CR and CRLF line ends give the same events at every split', () => {
  for (const nl of ['\n', '\r', '\r\n']) {
    const input = b(`event: chunk${nl}data: {"a":1}${nl}${nl}data: two${nl}data: lines${nl}${nl}`);
    everySplit(input, ({ sink }) => {
      assert.deepEqual(
        sink.events.map((e) => [e.type, e.data]),
        [
          ['chunk', '{"a":1}'],
          ['message', 'two\nlines'],
        ],
        JSON.stringify(nl),
      );
    });
  }
});

test('a CRLF split across reads is one line end, not an extra blank line', () => {
  // If the LF after a split CR were a line of its own, "data: a\r" + "\n" would dispatch early and
  // the next data line would start a second event.
  const input = b('data: a\r\ndata: b\r\n\r\n');
  everySplit(input, ({ sink }) => assert.deepEqual(sink.events.map((e) => e.data), ['a\nb']));
});

test('multi-byte UTF-8 split inside a sequence decodes whole', () => {
  const input = b('data: 流式输出 ✅ 😀\n\n');
  everySplit(input, ({ sink, p }) => {
    assert.deepEqual(sink.events.map((e) => e.data), ['流式输出 ✅ 😀']);
    assert.equal(p.invalidUtf8, 0);
  });
});

test('comments are heartbeats, not events; the leading BOM is dropped', () => {
  const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b(': hb\n\ndata:x\n\n: hb\n\n')]);
  everySplit(input, ({ sink }) => {
    assert.deepEqual(sink.events.map((e) => [e.type, e.data]), [['message', 'x']]);
    assert.equal(sink.comments, 2);
  });
});

test('a BOM inside the stream is not stripped; a field after it is unknown', () => {
  const { sink } = parse(Buffer.concat([b('data: a\n\n'), Buffer.from([0xef, 0xbb, 0xbf]), b('data: b\n\n')]));
  assert.deepEqual(sink.events.map((e) => e.data), ['a']);
});

test('id, retry, empty data, no-space values and unknown fields follow the spec', () => {
  const { sink, p } = parse(b('id: 7\nretry: 1500\nfoo: bar\ndata\n\nretry: 1x\nid: a\0b\ndata:no-space\n\nevent: x\n\n'));
  assert.deepEqual(sink.events.map((e) => [e.type, e.data]), [
    ['message', ''],
    ['message', 'no-space'],
  ]);
  assert.equal(p.retryMs, 1500);
  assert.equal(p.lastEventId, '7');
});

test('an incomplete event at the end is discarded', () => {
  const { sink } = parse(b('data: a\n\ndata: b\n'));
  assert.deepEqual(sink.events.map((e) => e.data), ['a']);
});

test('invalid UTF-8 becomes U+FFFD and is counted; a literal U+FFFD is not', () => {
  const input = Buffer.concat([b('data: a'), Buffer.from([0xff, 0xc3]), b('\ndata: \uFFFD\n\n')]);
  everySplit(input, ({ sink, p }) => {
    assert.equal(sink.events.length, 1);
    assert.equal(sink.events[0]!.data, 'a\uFFFD\uFFFD\n\uFFFD');
    assert.equal(p.invalidUtf8, 2);
  });
});

test('event bytes count the framing of the event', () => {
  const input = b('event: chunk\r\ndata: abc\r\n\r\n');
  const { sink } = parse(input);
  assert.equal(sink.events[0]!.bytes, input.length);
});

test('one endless line stops the parser at the limit, memory bounded', () => {
  const sink = new CollectingSink();
  const p = new SseParser(sink, 1000);
  let ok = true;
  let fed = 0;
  for (let i = 0; i < 100 && ok; i++) {
    ok = p.push(Buffer.alloc(64, 0x61));
    fed += 64;
  }
  assert.equal(ok, false);
  assert.equal(p.tooLarge, true);
  assert.ok(fed <= 1064, `stopped after ${fed} bytes`);
});

test('an event of many lines over the limit fails; one under it passes', () => {
  const line = 'data: ' + 'x'.repeat(90) + '\n';
  const big = new SseParser(new CollectingSink(), 500);
  assert.equal(big.push(b(line.repeat(10) + '\n')), false);
  const sink = new CollectingSink();
  const small = new SseParser(sink, 500);
  assert.equal(small.push(b(line.repeat(4) + '\n')), true);
  assert.equal(sink.events.length, 1);
});
