/**
 * Backends written like the field guide's (issue 26): a source of tokens, a coalescing buffer that
 * sends what it holds as ONE SSE event when it reaches `sizeChars` characters (size rule) and/or
 * when `timerMs` passed since the last release (timer rule), checked on every token as the guide's
 * loop does, and nothing else in the way. They take
 * the guide's request body, `{"operation": {"type": "ping", "count", "interval_ms", "token"}}`, so
 * doctor knows what it asked and can change the source; `t` stamps (release time, ms) are optional.
 * Tokens are produced on an absolute schedule (token i at i × interval_ms), like our ping.
 */
import type { TestContext } from 'node:test';
import { performance } from 'node:perf_hooks';
import { startServer } from './start-server.js';

export interface CoalescingBackend {
  /** `none`: every token its own event at once. */
  rule: 'timer' | 'size' | 'both' | 'none';
  timerMs?: number;
  sizeChars?: number;
  /** Stamp each event with its release time `t` (ms, epoch). */
  stamps: boolean;
  /** The guide's old backend answered `text/plain`. */
  contentType?: string;
}

const nowMs = () => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;

/** Starts one; stopped after the test. Returns the URL of its `/send_operation`. */
export async function startCoalescingBackend(t: TestContext, b: CoalescingBackend): Promise<string> {
  const timerMs = b.timerMs ?? 100;
  const sizeChars = b.sizeChars ?? 40;
  const useTimer = b.rule === 'timer' || b.rule === 'both';
  const useSize = b.rule === 'size' || b.rule === 'both';
  const srv = await startServer((_req, res, body) => {
    let op: Record<string, unknown> = {};
    try {
      op = ((JSON.parse(body) as Record<string, unknown>)['operation'] ?? {}) as Record<string, unknown>;
    } catch {
      // no body: the defaults below
    }
    const count = typeof op['count'] === 'number' ? op['count'] : 50;
    const interval = typeof op['interval_ms'] === 'number' ? op['interval_ms'] : 20;
    const token = typeof op['token'] === 'number' ? 'x'.repeat(op['token']) : typeof op['token'] === 'string' ? op['token'] : 'tok ';
    res.writeHead(200, { 'content-type': b.contentType ?? 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    let buf = '';
    let produced = 0;
    let lastRelease = performance.now();
    const start = performance.now();
    const release = () => {
      if (buf === '') return;
      const data: Record<string, unknown> = { text: buf };
      if (b.stamps) data['t'] = nowMs();
      res.write(`data: ${JSON.stringify(data)}\n\n`);
      buf = '';
      lastRelease = performance.now();
    };
    let timer: NodeJS.Timeout | null = null;
    const finish = () => {
      release();
      res.end(`event: done\ndata: ${JSON.stringify(b.stamps ? { t: nowMs() } : {})}\n\n`);
    };
    const next = () => {
      // Every token due by now (a late timer catches up, as the guide's asyncio loop does).
      while (produced < count && performance.now() - start >= produced * interval) {
        buf += token;
        produced++;
        // The guide's check, on every token: enough characters, or enough time since the last release.
        if (b.rule === 'none' || (useSize && [...buf].length >= sizeChars) || (useTimer && performance.now() - lastRelease >= timerMs)) release();
      }
      if (produced >= count) {
        finish();
        return;
      }
      timer = setTimeout(next, Math.max(0, start + produced * interval - performance.now()));
    };
    next();
    res.on('close', () => {
      if (timer !== null) clearTimeout(timer);
    });
  });
  t.after(() => srv.close());
  return `${srv.url}/send_operation`;
}

/**
 * An OpenAI-compatible chat-completions stream whose chunks carry `perChunk` tokens every
 * `intervalMs` (a backend that coalesces a model's tokens), `chunks` of them.
 */
export async function startChunkedOpenAi(t: TestContext, o: { perChunk: number; intervalMs: number; chunks: number }): Promise<string> {
  const words = ['Streaming', 'tokens', 'arrive', 'in', 'groups', 'from', 'this', 'backend', 'today.'];
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    let i = 0;
    let w = 0;
    const timer = setInterval(() => {
      if (i === o.chunks) {
        clearInterval(timer);
        res.end(chunk({}, 'stop') + 'data: [DONE]\n\n');
        return;
      }
      let text = '';
      for (let k = 0; k < o.perChunk; k++) text += `${words[w++ % words.length]} `;
      res.write(chunk({ content: text }));
      i++;
    }, o.intervalMs);
    res.on('close', () => clearInterval(timer));
  });
  t.after(() => srv.close());
  return `${srv.url}/v1/chat/completions`;
}
