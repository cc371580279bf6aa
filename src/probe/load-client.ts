import { performance } from 'node:perf_hooks';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { ProbeError } from './error-kind.js';
import { IndexedSet } from '../model/indexed-set.js';
import type { StreamRecord } from '../model/record.js';
import type { RequestSpec } from './request-spec.js';
import { specConnector } from './connector.js';
import { RequestRun, retriesOnNewConnection } from './stream-client.js';
import { H1Client, type DispatchTarget } from './h1-client.js';

/** One connection our connector opened. */
interface SocketInfo {
  /** 1-based, in the order the connections opened. */
  id: number;
  /** `performance.now()` when the connection attempt began, and when TCP (and TLS) completed. */
  connectingAtMs: number;
  connectedAtMs: number;
  version: '1.1' | '2';
  /** Requests sent on it so far. */
  requests: number;
}

/** What the run's connections did: reuse, visible in the report. */
export interface ConnectionStats {
  opened: number;
  /** Requests sent on a connection an earlier request opened. */
  reused: number;
}

/** One client (one connection at a time) and the socket it holds now. */
interface Slot {
  client: DispatchTarget;
  socket: SocketInfo | null;
}

/**
 * Many requests at once over at most `connections` keep-alive connections, each a client of its
 * own: h1-client.ts for HTTP/1.1, an undici `Client` for HTTP/2 (issue 31: an Agent's Pool routes
 * every request by origin and picks a client; here a free connection is popped off a stack). A request takes a free connection, or opens one while
 * fewer than `connections` exist, or waits in line for the next one to free up: keep-alive
 * connections are reused by whichever request is next, as a browser or a load balancer's client
 * would. One request at a time per connection (no pipelining): a pipelined request's times would
 * include waiting behind the one before it. `keepAlive` off sends `Connection: close`, a new
 * connection each.
 */
export class LoadClient {
  private readonly slots: Slot[] = [];
  private readonly free: Slot[] = [];
  /** Requests waiting for a connection, first in first out (`head` is the next). */
  private waiting: LoadRequestRun[] = [];
  private head = 0;
  private readonly inFlight = new IndexedSet<LoadRequestRun>();
  private opened = 0;
  private reused = 0;
  private readonly h2c: boolean;
  /** HTTP/1.1 (cleartext or TLS) goes through h1-client.ts; HTTP/2 through undici. */
  private readonly h1: boolean;
  private readonly base: buildConnector.connector;

  constructor(
    private readonly spec: RequestSpec,
    private readonly connections: number,
  ) {
    this.h2c = spec.http2 && spec.url.protocol === 'http:';
    this.h1 = !spec.http2 && spec.method.toUpperCase() !== 'CONNECT';
    this.base = specConnector(spec);
  }

  get connectionStats(): ConnectionStats {
    return { opened: this.opened, reused: this.reused };
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Measures one request whose intended start was `originMs` (`performance.now()` clock); it is
   * dispatched now, or as soon as a connection is free. Never throws: a failure is in the record.
   */
  request(index: number, warmup: boolean, originMs: number): Promise<StreamRecord> {
    return new Promise((resolve) => this.start(index, warmup, originMs, false, resolve));
  }

  /**
   * One try. A reset on a reused connection (`retriesOnNewConnection`) is sent once more, on the
   * connection its slot opens anew, still timed from the intended start: under load the time lost
   * to the failed try is latency the user saw.
   */
  private start(index: number, warmup: boolean, originMs: number, retry: boolean, resolve: (r: StreamRecord) => void): void {
    const run = new LoadRequestRun(this, this.spec, index, warmup, originMs, (record) => {
      this.inFlight.delete(run);
      this.release(run);
      if (!retry && retriesOnNewConnection(this.spec, record)) {
        this.start(index, warmup, originMs, true, resolve);
        return;
      }
      if (retry) record.reconnected = true;
      resolve(record);
    });
    this.inFlight.add(run);
    run.arm();
    const slot = this.free.pop() ?? (this.slots.length < this.connections ? this.open() : null);
    if (slot === null) this.waiting.push(run);
    else this.dispatch(run, slot);
  }

  /** The socket the run's connection holds now (undici calls onRequestStart as it writes the request). */
  socketOf(run: LoadRequestRun): SocketInfo | null {
    return run.slot?.socket ?? null;
  }

  countSent(info: SocketInfo): void {
    if (info.requests > 0) this.reused++;
    info.requests++;
  }

  /** Ends every request in flight as `aborted`. */
  abortAll(): void {
    for (const run of this.inFlight.snapshot()) run.abortAs(new ProbeError('aborted', 'the run was interrupted'));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.client.destroy().catch(() => {})));
  }

  private dispatch(run: LoadRequestRun, slot: Slot): void {
    run.slot = slot;
    run.send(slot.client);
  }

  /** A run ended: its connection serves the next waiting request, or becomes free. */
  private release(run: LoadRequestRun): void {
    const slot = run.slot;
    if (slot === null) {
      // It never got a connection (aborted while waiting): take it out of the line.
      const i = this.waiting.indexOf(run, this.head);
      if (i >= 0) this.waiting.splice(i, 1);
      return;
    }
    run.slot = null;
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      this.dispatch(next, slot);
    } else {
      this.free.push(slot);
    }
  }

  private open(): Slot {
    const slot: Slot = { client: null as unknown as Client, socket: null };
    const connector: buildConnector.connector = (options, callback) => {
      const connectingAtMs = performance.now();
      return this.base(options, (err, socket) => {
        if (socket !== null && socket !== undefined) {
          const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
          slot.socket = {
            id: ++this.opened,
            connectingAtMs,
            connectedAtMs: performance.now(),
            version: this.h2c || alpn === 'h2' ? '2' : '1.1',
            requests: 0,
          };
        }
        (callback as (e: Error | null, s: unknown) => void)(err, socket);
      });
    };
    slot.client = this.h1
      ? new H1Client(this.spec.url, { connect: connector, headersTimeout: this.spec.headersTimeoutMs, bodyTimeout: this.spec.idleTimeoutMs })
      : new Client(this.spec.url.origin, {
      connect: connector,
      allowH2: this.spec.http2,
      pipelining: 1,
      headersTimeout: this.spec.headersTimeoutMs,
      bodyTimeout: this.spec.idleTimeoutMs,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    });
    this.slots.push(slot);
    return slot;
  }
}

/** A RequestRun that learns its connection from the LoadClient (which socket, new or reused). */
class LoadRequestRun extends RequestRun {
  /** The connection it was given; null while it waits for one. */
  slot: Slot | null = null;
  /** Its place in the LoadClient's in-flight set. */
  setIndex = -1;

  constructor(
    private readonly owner: LoadClient,
    spec: RequestSpec,
    index: number,
    warmup: boolean,
    originMs: number,
    done: (record: StreamRecord) => void,
  ) {
    super(spec, index, warmup, originMs, null, done);
    // Until a socket carries it, it used none (a refused connect is not a reuse).
    this.record.reusedConnection = false;
  }

  override onRequestStart(controller: Dispatcher.DispatchController): void {
    // The client calls this as it writes the request (h1-client.ts send, undici client-h2 writeH2), on the
    // socket its connection holds now.
    const info = this.owner.socketOf(this);
    if (info !== null) {
      this.onSocket(info);
      this.owner.countSent(info);
    }
    super.onRequestStart(controller);
  }

  /**
   * Called as the request goes on the wire. Its actual start (`startUs`, what the `service_…`
   * metrics count from) is now for a kept-alive connection, and when its connection began
   * connecting for a new one: time spent queued for a free connection is not service time.
   */
  onSocket(info: SocketInfo): void {
    const r = this.record;
    const toUs = (ms: number) => Math.round((ms - r.originMs) * 1000);
    r.startUs = info.requests > 0 ? this.now() : Math.max(r.startUs, toUs(info.connectingAtMs));
    r.connection = info.id;
    r.httpVersion = info.version;
    r.reusedConnection = info.requests > 0;
    // The request that opened a connection carries its connect time (it may have waited for it).
    r.connectUs = r.reusedConnection ? null : Math.max(0, Math.round((info.connectedAtMs - r.originMs) * 1000));
  }
}
