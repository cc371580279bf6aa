/**
 * Helpers for the LLM tests: a real replay upstream on port 0 and a plain reader of its SSE body.
 * Nothing here replaces our own code; it only drives it.
 */
import type { TestContext } from 'node:test';
import { startUpstream, type Upstream } from '../src/upstream/server.js';

export async function upstreamFor(t: TestContext): Promise<Upstream> {
  const up = await startUpstream({ host: '127.0.0.1', port: 0 });
  t.after(() => up.close());
  return up;
}

export interface Frame {
  /** ms since the request was sent, at the read that completed the frame. */
  atMs: number;
  data: string;
}

/** POSTs to /chat/completions and collects the SSE frames with the time each one arrived. */
export async function streamFrames(baseUrl: string, body: Record<string, unknown>): Promise<{ status: number; headers: Headers; frames: Frame[] }> {
  const start = performance.now();
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true, ...body }),
  });
  const frames: Frame[] = [];
  if (res.body === null) return { status: res.status, headers: res.headers, frames };
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    const atMs = performance.now() - start;
    buffer += decoder.decode(part, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (frame.startsWith('data: ')) frames.push({ atMs, data: frame.slice('data: '.length) });
    }
  }
  return { status: res.status, headers: res.headers, frames };
}

/** Polls `check` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return check();
}

/** Lets a macrotask pass (see the pooling test for why). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
