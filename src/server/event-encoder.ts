import type { EventName } from '../model/protocol.js';
import type { Payload } from './source.js';

/**
 * Serialises events for the wire (docs/protocol.md, "Response"). The data object starts with
 * `{"seq":N,"t":T,"t_src":S,` — built by hand so the key order is fixed and probes can read the
 * stamps with a prefix match — then the payload's own fields.
 */
export type WireFormat = 'sse' | 'ndjson' | 'ws';

/** The payload's fields after the stamps, as JSON without braces (leading comma included). */
function payloadFields(payload: Payload): string {
  switch (payload.type) {
    case 'chunk':
    case 'stdout':
    case 'stderr':
      return `,"text":${JSON.stringify(payload.text)}`;
    default: {
      const { type: _type, ...rest } = payload;
      const json = JSON.stringify(rest);
      return json.length > 2 ? `,${json.slice(1, -1)}` : '';
    }
  }
}

function stamps(seq: number, t: number, tSrc: number, open = '{'): string {
  return `${open}"seq":${seq},"t":${t},"t_src":${tSrc}`;
}

/**
 * One event as it goes on the wire. `fields` is the JSON after the stamps (see payloadFields).
 * `open` starts the object: `{`, or on WebSocket `{"id":…,` (the operation's id, built once per stream).
 */
export function encodeRaw(format: WireFormat, event: EventName, seq: number, t: number, tSrc: number, fields: string, open = '{'): string {
  if (format === 'sse') return `event: ${event}\ndata: ${stamps(seq, t, tSrc, open)}${fields}}\n\n`;
  // A WebSocket message is framed already: no newline.
  if (format === 'ws') return `${stamps(seq, t, tSrc, open)}${fields},"event":"${event}"}`;
  return `${stamps(seq, t, tSrc, open)}${fields},"event":"${event}"}\n`;
}

export function encodePayload(format: WireFormat, payload: Exclude<Payload, { type: 'result' }>, seq: number, t: number, tSrc: number, open = '{'): string {
  return encodeRaw(format, payload.type, seq, t, tSrc, payloadFields(payload), open);
}

/**
 * A large text event in three parts: the framing before and after the JSON string of its text, and
 * that string as a Buffer shared by every stream sending the same text (a queued Buffer is a
 * reference, a queued string a copy: 500 slow readers of one 1 MiB token held 500 copies; issue
 * 25 item 2). One entry: the same large text is what repeats (a sized ping token, a replayed file).
 */
let sharedText: { text: string; json: Buffer } | null = null;
export function encodeLargeText(format: WireFormat, event: EventName, text: string, seq: number, t: number, tSrc: number): [string, Buffer, string] {
  if (sharedText === null || sharedText.text !== text) sharedText = { text, json: Buffer.from(JSON.stringify(text), 'utf8') };
  const head = `${stamps(seq, t, tSrc)},"text":`;
  if (format === 'sse') return [`event: ${event}\ndata: ${head}`, sharedText.json, '}\n\n'];
  return [head, sharedText.json, `,"event":"${event}"}\n`];
}

/**
 * Keeps idle connections open through proxies with read timeouts; never parsed as an event.
 * Not for WebSocket: ping frames keep the socket alive (ws-route.ts starts its writers without heartbeats).
 */
export function heartbeat(format: WireFormat): string {
  return format === 'sse' ? ': hb\n\n' : '\n';
}
