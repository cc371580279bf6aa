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

function stamps(seq: number, t: number, tSrc: number, open: string): string {
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

/** Keeps idle connections open through proxies with read timeouts; never parsed as an event. */
export function heartbeat(format: WireFormat): string {
  // WebSocket keeps the connection alive with ping frames (ws-route.ts), not per stream.
  return format === 'sse' ? ': hb\n\n' : format === 'ws' ? '' : '\n';
}
