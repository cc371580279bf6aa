import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { field, ft } from '../model/field-text.js';
import { UnavailableError } from '../model/errors.js';
import type { DoctorResult } from '../model/doctor-result.js';
import { doctor } from '../probe/doctor.js';
import { StreamClient } from '../probe/stream-client.js';
import { MonitorMetrics } from './metrics.js';
import { probeTarget, type ProbeOutcome } from './probe-target.js';
import { JITTER, type MonitorTarget } from './target.js';

export interface MonitorOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  targets: MonitorTarget[];
  /** Do not schedule probes: only GET /probe runs them (Prometheus schedules). */
  scheduled: boolean;
}

export interface MonitorHooks {
  onProbe?(outcome: ProbeOutcome, trigger: 'schedule' | 'request'): void;
  onDoctor?(target: string, result: DoctorResult): void;
  /** A doctor run that threw (bad flags are caught before start, so this is a bug or the network). */
  onDoctorError?(target: string, err: unknown): void;
}

/** One target's state: its client (one kept-alive connection), its queue, its timer. */
interface Slot {
  target: MonitorTarget;
  client: StreamClient;
  /** Every probe and doctor run of this target runs after the previous one: never overlapping itself. */
  queue: Promise<unknown>;
  /** The probe in flight, for stop() to abort and await. */
  inFlight: Promise<ProbeOutcome> | null;
  probes: number;
  timer: NodeJS.Timeout | null;
  /** Scheduled start of the last probe (ms, Date.now clock): the next is one jittered interval later. */
  lastStart: number;
}

/**
 * `notebook-stream monitor`: probes each target on its own jittered schedule with bench's stream
 * client, classifies each stream with doctor's classifier, runs a short doctor every Nth probe, and
 * serves the results on /metrics (and one probe on demand on /probe?target=NAME). Prints nothing:
 * the hooks receive every outcome.
 */
export class Monitor {
  readonly metrics = new MonitorMetrics();
  private readonly slots = new Map<string, Slot>();
  private stopping = false;
  private server: Server | null = null;
  url = '';

  private constructor(
    private readonly opts: MonitorOptions,
    private readonly hooks: MonitorHooks,
  ) {
    for (const target of opts.targets) {
      this.slots.set(target.name, { target, client: new StreamClient(target.spec), queue: Promise.resolve(), inFlight: null, probes: 0, timer: null, lastStart: 0 });
      this.metrics.declare(target.name);
    }
  }

  static async start(opts: MonitorOptions, hooks: MonitorHooks = {}): Promise<Monitor> {
    const m = new Monitor(opts, hooks);
    await m.listen();
    if (opts.scheduled) for (const slot of m.slots.values()) m.scheduleFirst(slot);
    return m;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 75_000;
    server.listen(this.opts.port, this.opts.host);
    try {
      await once(server, 'listening');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UnavailableError(ft`cannot listen on ${this.opts.host}:${this.opts.port}: ${code ?? String(err)}${code === 'EADDRINUSE' ? ft` (choose another ${field('port')}, or 0 for a free one)` : ''}`, { cause: err });
    }
    this.server = server;
    const a = server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.url = `http://${host}:${a.port}/metrics`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://monitor');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'GET only\n');
    try {
      if (url.pathname === '/metrics') return send(200, this.metrics.registry.contentType, await this.metrics.metrics());
      if (url.pathname === '/probe') {
        const name = url.searchParams.get('target');
        if (name === null || !this.slots.has(name)) {
          return send(400, 'text/plain; charset=utf-8', `?target=NAME with one of: ${[...this.slots.keys()].join(', ')}\n`);
        }
        if (this.stopping) return send(503, 'text/plain; charset=utf-8', 'shutting down\n');
        const outcome = await this.probeNow(name, 'request');
        const one = new MonitorMetrics();
        one.observe(outcome);
        return send(200, one.registry.contentType, await one.metrics());
      }
      if (url.pathname === '/') {
        return send(200, 'text/plain; charset=utf-8', `notebook-stream monitor\n/metrics\n${[...this.slots.keys()].map((n) => `/probe?target=${encodeURIComponent(n)}`).join('\n')}\n`);
      }
      return send(404, 'text/plain; charset=utf-8', 'not found: /metrics, /probe?target=NAME\n');
    } catch (err) {
      return send(500, 'text/plain; charset=utf-8', `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  /** Runs one probe of `name` after whatever that target is running now; records it in /metrics. */
  probeNow(name: string, trigger: 'schedule' | 'request' = 'request'): Promise<ProbeOutcome> {
    const slot = this.slots.get(name);
    if (slot === undefined) return Promise.reject(new Error(`no target named ${name}`));
    const run = slot.queue.then(async () => {
      const index = slot.probes++;
      slot.inFlight = probeTarget(slot.target, slot.client, index);
      const outcome = await slot.inFlight;
      slot.inFlight = null;
      // An outcome cut short by stop() is not a measurement of the target.
      if (this.stopping) return outcome;
      this.metrics.observe(outcome);
      this.hooks.onProbe?.(outcome, trigger);
      const every = slot.target.doctorEvery;
      if (every > 0 && slot.probes % every === 0) slot.queue = slot.queue.then(() => this.runDoctor(slot));
      return outcome;
    });
    slot.queue = run.catch(() => {});
    return run;
  }

  /** A short doctor: one baseline run, then its attribution steps within one probe timeout. */
  private async runDoctor(slot: Slot): Promise<void> {
    if (this.stopping) return;
    try {
      const { url, ...flags } = slot.target.flags;
      const result = await doctor({ ...flags, url, runs: 1, budgetS: slot.target.spec.requestTimeoutMs / 1000 });
      if (this.stopping) return;
      this.metrics.observeDoctor(slot.target.name, result.verdict);
      this.hooks.onDoctor?.(slot.target.name, result);
    } catch (err) {
      if (!this.stopping) this.hooks.onDoctorError?.(slot.target.name, err);
    }
  }

  /** The first probe comes within one jitter span of the start, so targets do not start together. */
  private scheduleFirst(slot: Slot): void {
    const delay = Math.random() * slot.target.intervalMs * JITTER;
    slot.lastStart = Date.now() + delay;
    slot.timer = setTimeout(() => this.tick(slot), delay);
  }

  private tick(slot: Slot): void {
    slot.timer = null;
    if (this.stopping) return;
    void this.probeNow(slot.target.name, 'schedule')
      .catch(() => {})
      .then(() => slot.queue)
      .then(() => {
        if (this.stopping) return;
        const interval = slot.target.intervalMs * (1 + (Math.random() * 2 - 1) * JITTER);
        // A probe that overran its interval is followed at once, never overlapped.
        const next = Math.max(Date.now(), slot.lastStart + interval);
        slot.lastStart = next;
        slot.timer = setTimeout(() => this.tick(slot), next - Date.now());
      });
  }

  /**
   * Stops scheduling, aborts the probes in flight (each ends at once as `aborted`) and closes the
   * listener. A doctor run in flight is not waited for: it holds no state that needs saving.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const pending: Promise<unknown>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer !== null) clearTimeout(slot.timer);
      slot.client.abort();
      if (slot.inFlight !== null) pending.push(slot.inFlight);
    }
    await Promise.allSettled(pending);
    await Promise.allSettled([...this.slots.values()].map((s) => s.client.close()));
    const server = this.server;
    if (server !== null) {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    }
  }
}
