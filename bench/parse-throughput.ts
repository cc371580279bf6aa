/**
 * Parser throughput: small SSE events parsed per second on one core (target ≥ 1M/s). A benchmark,
 * not a test: run `npm run bench:parse`. Prints a table; writes nothing.
 */
import { performance } from 'node:perf_hooks';
import type { EventSink } from '../src/probe/event-sink.js';
import { NdjsonParser } from '../src/probe/ndjson-parser.js';
import { SseParser } from '../src/probe/sse-parser.js';

const EVENTS = Number(process.env['EVENTS'] ?? 2_000_000);
const READ_BYTES = Number(process.env['READ_BYTES'] ?? 16 * 1024);
const ROUNDS = 5;

class CountingSink implements EventSink {
  events = 0;
  bytes = 0;
  onEvent(_type: string, _data: string, bytes: number): void {
    this.events++;
    this.bytes += bytes;
  }
  onComment(): void {}
}

/** The wire bytes of `EVENTS` events like the embedded server's, cut into reads of READ_BYTES. */
function corpus(kind: 'sse' | 'ndjson'): Buffer[] {
  const parts: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const json = `{"seq":${i},"t":${(1_700_000_000_000 + i).toFixed(3)},"t_src":${(1_700_000_000_000 + i).toFixed(3)},"text":"tok "}`;
    parts.push(kind === 'sse' ? `event: chunk\ndata: ${json}\n\n` : `${json}\n`);
  }
  const all = Buffer.from(parts.join(''));
  const reads: Buffer[] = [];
  for (let i = 0; i < all.length; i += READ_BYTES) reads.push(all.subarray(i, i + READ_BYTES));
  return reads;
}

function run(kind: 'sse' | 'ndjson', reads: Buffer[]): { ms: number; events: number; bytes: number } {
  const sink = new CountingSink();
  const parser = kind === 'sse' ? new SseParser(sink, 1 << 20) : new NdjsonParser(sink, 1 << 20);
  const t0 = performance.now();
  for (const r of reads) parser.push(r);
  parser.end();
  const ms = performance.now() - t0;
  if (sink.events !== EVENTS) throw new Error(`${kind}: parsed ${sink.events} of ${EVENTS} events`);
  return { ms, events: sink.events, bytes: reads.reduce((n, r) => n + r.length, 0) };
}

const rows: string[] = [];
for (const kind of ['sse', 'ndjson'] as const) {
  const reads = corpus(kind);
  const rates: number[] = [];
  let mb = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = run(kind, reads);
    rates.push(r.events / (r.ms / 1000));
    mb = r.bytes / 1e6;
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  rows.push(`${kind.padEnd(7)} ${String(EVENTS).padStart(9)} ${mb.toFixed(1).padStart(8)} ${(median / 1e6).toFixed(2).padStart(10)} ${(rates[0]! / 1e6).toFixed(2).padStart(9)}`);
}
console.log(`parser throughput, ${ROUNDS} rounds, reads of ${READ_BYTES} bytes, Node ${process.version}`);
console.log('format     events       MB  M ev/s med  M ev/s min');
for (const r of rows) console.log(r);
