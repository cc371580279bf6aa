import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import { WS_SUBPROTOCOL } from '../model/protocol.js';
import { blankRecord, type StreamRecord } from '../model/record.js';
import { IndexedSet } from '../model/indexed-set.js';
import { errorKind, ProbeError } from './error-kind.js';
import { eventFacts, recordEvent, type EventFacts } from './event-facts.js';
import type { ConnectionStats } from './load-client.js';
import type { RequestSpec } from './request-spec.js';
import { INTEGRITY_MESSAGES, type EventObserver } from './stream-client.js';
import { judgeIntegrity } from './stream-integrity.js';

/** Headers the WebSocket handshake sets itself, or that mean nothing on it. */
const HANDSHAKE_OWNED = new Set(['accept', 'accept-encoding', 'content-type', 'content-length', 'connection', 'upgrade', 'cache-control', 'x-nbs-flush-policy']);

/** `{"id":"` — every message of serve's /ws starts so for our string ids (ws-route.ts writes the id first). */
const ID_HEAD = '{"id":"';

/** The operation envelope of a spec as an object, to which each request adds its `id`. */
function envelopeOf(spec: RequestSpec): Record<string, unknown> {
  const text = spec.body === null ? '' : spec.body.toString();
  let obj: unknown = null;
  try {
    obj = JSON.parse(text);
  } catch {
    // not JSON: refused below
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ProbeError('protocol', 'a WebSocket request needs a JSON object body (the operation envelope)');
  }
  const env = obj as Record<string, unknown>;
  // The header that picks the policy over HTTP is a message field on /ws.
  const policy = spec.headers['x-nbs-flush-policy'];
  if (policy !== undefined && env['flush_policy'] === undefined) env['flush_policy'] = policy;
  return env;
}

/**
 * One WebSocket and the operations in flight on it, told apart by `id`. A message's wire bytes are
 * what the socket read since the previous message (frames, compressed with permessage-deflate).
 */
class WsChannel {
  readonly ws: WebSocket;
  private socket: Socket | null = null;
  private bytesRead = 0;
  deflate = false;
  open = false;
  /** Operations sent on it so far, and in flight now. */
  requests = 0;
  readonly runs = new Map<string, WsRequestRun>();
  /** Runs waiting for the handshake. */
  private waiting: Array<[WsRequestRun, string]> = [];

  constructor(
    spec: RequestSpec,
    headers: Record<string, string>,
    readonly id: number,
    private readonly onClose: (channel: WsChannel) => void,
  ) {
    this.ws = new WebSocket(new URL(spec.url.href), [WS_SUBPROTOCOL], {
      headers,
      handshakeTimeout: spec.connectTimeoutMs + spec.headersTimeoutMs,
      perMessageDeflate: spec.wsDeflate === true,
      maxPayload: spec.maxEventBytes,
      rejectUnauthorized: !spec.insecure,
      ...(spec.ca !== null ? { ca: spec.ca } : {}),
    });
    const ws = this.ws;
    ws.on('upgrade', (res: IncomingMessage) => {
      this.socket = res.socket as Socket;
      // Nagle off, as serve does: a small operation message must not wait for an ACK.
      this.socket.setNoDelay(true);
    });
    ws.once('open', () => {
      this.open = true;
      this.deflate = ws.extensions.includes('permessage-deflate');
      const waiting = this.waiting;
      this.waiting = [];
      for (const [run, body] of waiting) {
        run.connected();
        this.send(run, body);
      }
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      for (const [run] of this.waiting) run.refused(res.statusCode ?? 0);
      this.waiting = [];
      res.resume();
      ws.terminate();
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data as Buffer, isBinary));
    ws.on('error', (err: Error) => this.failAll(err));
    ws.once('close', (code: number, reason: Buffer) => {
      this.open = false;
      this.failAll(new ProbeError('reset', `the WebSocket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}) before done`));
      this.onClose(this);
    });
  }

  get inFlight(): number {
    return this.runs.size + this.waiting.length;
  }

  /** Sends the operation now, or once the handshake is done. */
  start(run: WsRequestRun, body: string): void {
    this.requests++;
    if (this.open) this.send(run, body);
    else this.waiting.push([run, body]);
  }

  private send(run: WsRequestRun, body: string): void {
    this.runs.set(run.id, run);
    if (this.runs.size === 1) this.bytesRead = this.socket?.bytesRead ?? 0;
    run.sent(this);
    this.ws.send(body);
  }

  cancel(run: WsRequestRun): void {
    this.runs.delete(run.id);
    if (this.open) this.ws.send(JSON.stringify({ id: run.id, cancel: true }));
  }

  ended(run: WsRequestRun): void {
    this.runs.delete(run.id);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const now = performance.now();
    const read = this.socket?.bytesRead ?? this.bytesRead;
    const wire = read - this.bytesRead;
    this.bytesRead = read;
    const text = data.toString('utf8');
    const end = text.startsWith(ID_HEAD) ? text.indexOf('"', ID_HEAD.length) : -1;
    const run = end < 0 ? [...this.runs.values()][0] : this.runs.get(text.slice(ID_HEAD.length, end));
    // serve writes a refusal as {"id":…,"event":"refused",…} (ws-route.ts): not an event of the stream.
    const refused = text.startsWith(',"event":"refused"', end < 0 ? text.indexOf(',') : end + 1);
    // A late message of an operation we cancelled: not anyone's.
    run?.onMessage(text, data.length, wire, isBinary, now, refused);
  }

  private failAll(err: Error): void {
    for (const [run] of this.waiting) run.fail(err);
    this.waiting = [];
    for (const run of [...this.runs.values()]) run.fail(err);
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    });
  }
}

/**
 * The WebSocket counterpart of the HTTP clients (stream-client.ts, load-client.ts): operations on
 * up to `connections` sockets to serve's GET /ws, each measured into the same StreamRecord and
 * Timeline as an HTTP stream. Sockets are reused across requests like keep-alive connections
 * (keepAlive off: a socket per request); when every socket is busy and no more may open, the
 * least busy one carries the operation too (the protocol multiplexes by `id`). A message is an
 * event; messages delivered in one synchronous run count as one read, as HTTP chunks of one socket
 * read do. On a reused socket there is no status line: `headersUs` stays null.
 */
export class WsStreamClient {
  private readonly channels = new Set<WsChannel>();
  private readonly runs = new IndexedSet<WsRequestRun>();
  private readonly envelope: Record<string, unknown>;
  private readonly headers: Record<string, string> = {};
  private nextId = 0;
  private opened = 0;
  private reused = 0;

  constructor(
    private readonly spec: RequestSpec,
    private readonly maxConnections = 1,
    /** Sees every event's text (doctor reads them), as StreamClient's observer does. */
    private readonly observer: EventObserver | null = null,
  ) {
    this.envelope = envelopeOf(spec);
    for (const [k, v] of Object.entries(spec.headers)) if (!HANDSHAKE_OWNED.has(k)) this.headers[k] = v;
  }

  get connectionStats(): ConnectionStats {
    return { opened: this.opened, reused: this.reused };
  }

  get inFlightCount(): number {
    return this.runs.size;
  }

  /** Measures one operation whose intended start was `originMs`. Never throws: a failure is in the record. */
  request(index: number, warmup: boolean, originMs = performance.now()): Promise<StreamRecord> {
    return new Promise((resolve) => {
      const id = `r${this.nextId++}`;
      const run = new WsRequestRun(this.spec, id, index, warmup, originMs, this.observer, (record, channel) => {
        this.runs.delete(run);
        if (channel !== null && (!this.spec.keepAlive || (record.error !== null && record.error.kind !== 'http_status'))) this.drop(channel);
        resolve(record);
      });
      this.runs.add(run);
      const channel = this.channelFor();
      if (channel.requests > 0) this.reused++;
      run.on(channel);
      channel.start(run, JSON.stringify({ id, ...this.envelope }));
    });
  }

  private channelFor(): WsChannel {
    let best: WsChannel | null = null;
    if (this.spec.keepAlive) {
      for (const c of this.channels) if (best === null || c.inFlight < best.inFlight) best = c;
      if (best !== null && (best.inFlight === 0 || this.channels.size >= this.maxConnections)) return best;
    }
    const channel = new WsChannel(this.spec, this.headers, ++this.opened, (c) => this.channels.delete(c));
    this.channels.add(channel);
    return channel;
  }

  private drop(channel: WsChannel): void {
    this.channels.delete(channel);
    void channel.close();
  }

  /** Ends every operation in flight as `aborted`, cancelling it on the server (`{"id":…,"cancel":true}`). */
  abort(): void {
    for (const run of this.runs.snapshot()) run.abortAs(new ProbeError('aborted', 'the run was interrupted'));
  }

  abortAll(): void {
    this.abort();
  }

  async close(): Promise<void> {
    const all = [...this.channels];
    this.channels.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

/** One operation on a WebSocket, measured into a StreamRecord. */
class WsRequestRun {
  /** Its place in the client's in-flight set. */
  setIndex = -1;
  private readonly record: StreamRecord;
  private readonly facts: EventFacts = { name: '', content: false, t: NaN, tSrc: NaN, stats: null };
  private channel: WsChannel | null = null;
  private readonly timer: NodeJS.Timeout;
  private finished = false;
  private inRead = false;
  private readUs = 0;
  private readonly endRead = () => {
    this.inRead = false;
  };

  constructor(
    private readonly spec: RequestSpec,
    readonly id: string,
    index: number,
    warmup: boolean,
    originMs: number,
    private readonly observer: EventObserver | null,
    private readonly done: (record: StreamRecord, channel: WsChannel | null) => void,
  ) {
    this.record = blankRecord(index, warmup, originMs, { httpVersion: '1.1', keepAlive: spec.keepAlive, format: 'ndjson', reusedConnection: false });
    this.record.startUs = this.now();
    this.timer = setTimeout(() => {
      this.abortAs(new ProbeError('request_timeout', `no complete response within ${spec.requestTimeoutMs} ms`));
    }, spec.requestTimeoutMs);
  }

  private now(at = performance.now()): number {
    return Math.round((at - this.record.originMs) * 1000);
  }

  on(channel: WsChannel): void {
    this.channel = channel;
    this.record.connection = channel.id;
    this.record.reusedConnection = channel.requests > 0;
  }

  /** The handshake of the socket this operation opened is done: the 101 is its status line and headers. */
  connected(): void {
    const r = this.record;
    r.connectUs = this.now();
    r.headersUs = r.connectUs;
  }

  refused(status: number): void {
    this.record.headersUs = this.now();
    this.record.status = status;
    this.finish(new ProbeError('http_status', `HTTP ${status} (WebSocket handshake refused)`));
  }

  sent(channel: WsChannel): void {
    this.record.status = 101;
    this.record.contentEncoding = channel.deflate ? 'permessage-deflate' : '';
  }

  onMessage(text: string, size: number, wire: number, isBinary: boolean, at: number, refused: boolean): void {
    if (this.finished) return;
    if (refused) {
      this.refusal(text);
      return;
    }
    const r = this.record;
    if (!this.inRead) {
      this.inRead = true;
      queueMicrotask(this.endRead);
      this.readUs = this.now(at);
      r.reads++;
      r.eventsPerRead.push(0);
      if (r.firstByteUs === null) r.firstByteUs = this.readUs;
    }
    const read = r.reads - 1;
    r.wireBytes += wire;
    r.bytes += size;
    if (isBinary) {
      this.abortAs(new ProbeError('protocol', 'a binary WebSocket message (serve sends text)'));
      return;
    }
    const f = eventFacts('message', text, this.spec.serverTime, this.facts);
    recordEvent(r, f, read, this.readUs, size);
    if (this.observer !== null) this.observer('message', text);
    if (f.name === 'done') {
      r.endUs = this.readUs;
      this.finish(null);
    }
  }

  /** `{"id":…,"event":"refused","status":N,"error":{…}}`: the operation's HTTP error, over WebSocket. */
  private refusal(text: string): void {
    let status = 0;
    let message = text;
    try {
      const m = JSON.parse(text) as { status?: number; error?: { code?: string; message?: string } };
      status = m.status ?? 0;
      message = `${m.error?.code ?? 'refused'}: ${m.error?.message ?? ''}`;
    } catch {
      // keep the raw text
    }
    this.record.status = status;
    this.finish(new ProbeError('http_status', `HTTP ${status} (operation refused) ${message}`));
  }

  fail(err: Error): void {
    this.finish(err);
  }

  abortAs(err: Error): void {
    if (this.finished) return;
    this.channel?.cancel(this);
    this.finish(err);
  }

  private finish(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.channel?.ended(this);
    const r = this.record;
    if (r.endUs === 0) r.endUs = this.now();
    if (err !== null && err !== undefined) {
      const message = err instanceof Error ? err.message : String(err);
      // ws names a handshake timeout only in its message.
      const kind = /handshake has timed out/i.test(message) ? 'connect_timeout' : errorKind(err);
      r.error = { kind, message };
    } else {
      // Whole stream? As for HTTP (docs/metrics.md, "Stream integrity"); keep-alive is ping frames, not events.
      r.integrity = judgeIntegrity(r, null);
      if (r.integrity !== null && this.spec.streamChecks?.strict === true) r.error = { kind: r.integrity, message: INTEGRITY_MESSAGES[r.integrity] };
    }
    this.done(r, this.channel);
  }
}
