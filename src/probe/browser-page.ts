/**
 * The probe page that bench --browser serves at the target's own origin (browser-run.ts), so its
 * requests are same-origin and the target needs no CORS set-up. Browser code as text: src/ compiles
 * without the DOM library, so Node code cannot use browser globals by mistake.
 *
 * The page asks the target for nothing else (an empty icon: no /favicon.ico request).
 *
 * `window.__nbsRun(cfg)` runs a closed model: `cfg.concurrency` workers, each starting its next
 * stream when the last one ended, until `cfg.total` streams (or `cfg.durationMs` of measured ones).
 * Per stream it keeps, on the page's monotonic clock (`performance.now()`): the request start
 * (fetch() or new EventSource()), the response headers, and per event its arrival (the read that
 * completed it, or the EventSource dispatch) and the next animation frame after it was appended to
 * the DOM: the frame that shows it (docs/bench.md, "In the browser"). One requestAnimationFrame
 * serves every event appended since the last frame: no per-event timer.
 */

/** The reserved path the page is served on; a target never sees a request for it. */
export const PROBE_PATH = '/__notebook_stream_browser_probe__';

const SCRIPT = String.raw`
'use strict';
window.__nbsStop = false;
window.__nbsRun = async function (cfg) {
  performance.setResourceTimingBufferSize(1000000);
  performance.clearResourceTimings();
  const streams = [];
  const pending = [];
  let frameAsked = false;
  const onFrame = () => {
    frameAsked = false;
    const now = performance.now();
    for (let k = 0; k < pending.length; k += 2) pending[k].p[pending[k + 1]] = now;
    pending.length = 0;
  };
  const slots = [];
  for (let w = 0; w < cfg.concurrency; w++) {
    const pre = document.createElement('pre');
    document.body.appendChild(pre);
    slots.push(pre);
  }
  const contentOf = (name, data) => {
    if (name === 'done' || name === 'error' || data === '' || data === '[DONE]') return { content: false, obj: null };
    if (data.charCodeAt(0) !== 123) return { content: true, obj: null };
    let obj = null;
    try { obj = JSON.parse(data); } catch (e) { return { content: true, obj: null }; }
    if (obj === null || typeof obj !== 'object') return { content: true, obj: null };
    if (obj.error !== undefined) return { content: false, obj };
    if (Array.isArray(obj.choices)) {
      const some = obj.choices.some((c) => c && ((c.delta && (c.delta.content || c.delta.reasoning_content || c.delta.tool_calls)) || c.text));
      return { content: !!some, obj };
    }
    if (obj.event === 'done' || obj.event === 'error') return { content: false, obj };
    return { content: true, obj };
  };
  const addEvent = (s, pre, now, read, bytes, name, data) => {
    const c = contentOf(name, data);
    const i = s.a.length;
    s.a.push(now);
    s.p.push(null);
    s.r.push(read);
    s.b.push(bytes);
    s.c.push(c.content);
    s.t.push(c.obj !== null && typeof c.obj.t === 'number' ? c.obj.t : null);
    pre.append(data);
    pending.push(s, i);
    if (!frameAsked) {
      frameAsked = true;
      requestAnimationFrame(onFrame);
    }
  };
  const body = cfg.body === null ? undefined : cfg.bodyBase64 ? Uint8Array.from(atob(cfg.body), (ch) => ch.charCodeAt(0)) : cfg.body;
  const sseEnd = /\r\n\r\n|\n\n|\r\r/;
  const sseBlock = (s, pre, now, read, block) => {
    let name = 'message';
    let data = null;
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === '' || line.charCodeAt(0) === 58) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data = data === null ? value : data + '\n' + value;
    }
    if (data !== null) addEvent(s, pre, now, read, block.length, name, data);
  };
  const viaFetch = async (s, pre) => {
    const init = { method: cfg.method, headers: cfg.headers, cache: 'no-store' };
    if (body !== undefined) init.body = body;
    s.start = performance.now();
    const res = await fetch(cfg.url, init);
    s.headers = performance.now();
    s.status = res.status;
    if (res.status < 200 || res.status > 299) {
      s.error = 'http_status: HTTP ' + res.status;
      await res.body?.cancel();
      return;
    }
    const type = (res.headers.get('content-type') || '').toLowerCase();
    let mode = cfg.format !== 'auto' ? cfg.format : type.startsWith('text/event-stream') ? 'sse' : /ndjson|jsonl|json-seq/.test(type) ? 'ndjson' : null;
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let read = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const now = performance.now();
      buf += dec.decode(value, { stream: true });
      if (mode === null) {
        // As the wire client: SSE framing inside text/plain (the guide's old backend) is SSE.
        const head = buf.replace(/^\uFEFF/, '');
        if (/^(?::|(?:data|event|id|retry)[:\r\n])/.test(head)) mode = 'sse';
        else if (head.length >= 16 || !/^(?:d(?:a(?:t(?:a)?)?)?|e(?:v(?:e(?:n(?:t)?)?)?)?|i(?:d)?|r(?:e(?:t(?:r(?:y)?)?)?)?)?$/.test(head)) {
          const first = head.trimStart().charAt(0);
          mode = first === '{' || first === '[' ? 'ndjson' : 'raw';
        } else continue;
      }
      if (mode === 'raw') {
        addEvent(s, pre, now, read, buf.length, 'message', buf);
        buf = '';
      } else if (mode === 'sse') {
        let m;
        while ((m = sseEnd.exec(buf)) !== null) {
          sseBlock(s, pre, now, read, buf.slice(0, m.index));
          buf = buf.slice(m.index + m[0].length);
        }
      } else {
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          let name = 'message';
          if (line.includes('"event"')) {
            try { const o = JSON.parse(line); if (o && typeof o.event === 'string') name = o.event; } catch (e) {}
          }
          addEvent(s, pre, now, read, line.length + 1, name, line);
        }
      }
      read++;
    }
    if (mode === 'raw' && buf !== '') addEvent(s, pre, performance.now(), read, buf.length, 'message', buf);
  };
  const viaEventSource = (s, pre) =>
    new Promise((resolve) => {
      s.start = performance.now();
      const es = new EventSource(cfg.url);
      let n = 0;
      const finish = (error) => {
        es.close();
        if (error !== null) s.error = error;
        resolve();
      };
      es.onopen = () => {
        s.headers = performance.now();
        s.status = 200;
      };
      const on = (ev) => {
        addEvent(s, pre, performance.now(), n++, ev.data.length, ev.type, ev.data);
        if (ev.type === 'done') finish(null);
      };
      for (const name of cfg.eventNames) es.addEventListener(name, on);
      // The server ending the stream is an error event too: EventSource would reconnect, we stop.
      es.onerror = () => finish(s.headers === null ? 'eventsource: the stream did not open (status, Content-Type or network)' : null);
    });
  let next = 0;
  let measureFrom = null;
  const more = () => {
    if (window.__nbsStop) return false;
    if (cfg.total !== null) return next < cfg.total;
    if (next < cfg.warmup) return true;
    if (measureFrom === null) measureFrom = performance.now();
    return performance.now() - measureFrom < cfg.durationMs;
  };
  const worker = async (pre) => {
    while (more()) {
      const s = { i: next, w: next < cfg.warmup, start: 0, headers: null, end: 0, status: null, error: null, a: [], p: [], r: [], b: [], c: [], t: [] };
      next++;
      streams.push(s);
      pre.textContent = '';
      try {
        if (cfg.api === 'eventsource') await viaEventSource(s, pre);
        else await viaFetch(s, pre);
      } catch (e) {
        s.error = 'network: ' + (e && e.message ? e.message : String(e));
      }
      s.end = performance.now();
    }
  };
  await Promise.all(slots.map(worker));
  // The frame after the last append; then a task, so the last Resource Timing entries are in.
  await new Promise((resolve) => requestAnimationFrame(() => { onFrame(); resolve(); }));
  await new Promise((resolve) => setTimeout(resolve, 20));
  // Resource Timing, once every body is read: when each request went out on a connection
  // (requestStart), when the network stack had its last byte (responseEnd), over which protocol.
  // Entries come in start order, as the streams do; an entry starts after its fetch() call (on a
  // busy page tens of ms after) and before the stream ended.
  const url = new URL(cfg.url, location.href).href;
  const entries = performance.getEntriesByType('resource').filter((e) => e.name === url);
  let k = 0;
  for (const s of streams) {
    s.sent = null;
    s.netEnd = null;
    s.protocol = null;
    while (k < entries.length && entries[k].startTime < s.start) k++;
    if (k < entries.length && entries[k].startTime <= s.end) {
      const e = entries[k++];
      s.sent = e.requestStart > 0 ? e.requestStart : null;
      s.netEnd = e.responseEnd > 0 ? e.responseEnd : null;
      s.protocol = e.nextHopProtocol || null;
    }
  }
  return streams;
};
`;

/** The page: an empty document and the probe script. */
export const PROBE_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>notebook-stream browser probe</title><link rel="icon" href="data:,"></head><body><script>${SCRIPT}</script></body></html>`;
