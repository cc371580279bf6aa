import diagnostics from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { ProbeError } from './error-kind.js';
import type { StreamRecord } from '../model/record.js';
import type { RequestSpec } from './request-spec.js';
import { specConnector } from './connector.js';
import { RequestRun } from './stream-client.js';

const sendHeadersChannel = diagnostics.channel('undici:client:sendHeaders');

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

/**
 * Many requests at once through one undici Agent (a Pool per origin) whose socket cap is
 * `connections`: keep-alive connections are reused by whichever request is next, as a browser or
 * a load balancer's client would. `keepAlive` off sends `Connection: close`, a new connection each.
 */
export class LoadClient {
  private readonly agent: Agent;
  private readonly sockets = new WeakMap<object, SocketInfo>();
  private readonly inFlight = new Set<LoadRequestRun>();
  private opened = 0;
  private reused = 0;
  /**
   * The run whose `onRequestStart` just ran. undici publishes `undici:client:sendHeaders` with the
   * socket synchronously after it, in the same call (client-h1 `writeH1`, client-h2 `writeH2`),
   * so the socket it names is that request's.
   */
  starting: LoadRequestRun | null = null;
  private readonly onSendHeaders = (message: unknown) => {
    const run = this.starting;
    this.starting = null;
    const socket = (message as { socket?: object }).socket;
    const info = socket === undefined ? undefined : this.sockets.get(socket);
    if (run === null || info === undefined) return;
    if (info.requests > 0) this.reused++;
    run.onSocket(info);
    info.requests++;
  };

  constructor(
    private readonly spec: RequestSpec,
    connections: number,
  ) {
    const h2c = spec.http2 && spec.url.protocol === 'http:';
    const base = specConnector(spec);
    const connector: buildConnector.connector = (options, callback) => {
      const connectingAtMs = performance.now();
      return base(options, (err, socket) => {
        if (socket !== null && socket !== undefined) {
          const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
          this.sockets.set(socket, {
            id: ++this.opened,
            connectingAtMs,
            connectedAtMs: performance.now(),
            version: h2c || alpn === 'h2' ? '2' : '1.1',
            requests: 0,
          });
        }
        (callback as (e: Error | null, s: unknown) => void)(err, socket);
      });
    };
    this.agent = new Agent({
      connect: connector,
      allowH2: spec.http2,
      connections,
      pipelining: 1,
      headersTimeout: spec.headersTimeoutMs,
      bodyTimeout: spec.idleTimeoutMs,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    });
    sendHeadersChannel.subscribe(this.onSendHeaders);
  }

  get connections(): ConnectionStats {
    return { opened: this.opened, reused: this.reused };
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Measures one request whose intended start was `originMs` (`performance.now()` clock); it is
   * dispatched now. Never throws: a failure is in the record.
   */
  request(index: number, warmup: boolean, originMs: number): Promise<StreamRecord> {
    return new Promise((resolve) => {
      const run = new LoadRequestRun(this, this.spec, index, warmup, originMs, (record) => {
        this.inFlight.delete(run);
        resolve(record);
      });
      this.inFlight.add(run);
      run.start(this.agent);
    });
  }

  /** Ends every request in flight as `aborted`. */
  abortAll(): void {
    for (const run of [...this.inFlight]) run.abortAs(new ProbeError('aborted', 'the run was interrupted'));
  }

  async close(): Promise<void> {
    sendHeadersChannel.unsubscribe(this.onSendHeaders);
    await this.agent.destroy().catch(() => {});
  }
}

/** A RequestRun that learns its connection from the Agent (which socket, new or reused). */
class LoadRequestRun extends RequestRun {
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
    this.owner.starting = this;
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
