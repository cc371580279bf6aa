import { setMaxListeners } from 'node:events';
import type { DoneStatus } from '../model/protocol.js';
import { monoNow } from './clock.js';
import type { StreamWriter } from './stream-writer.js';
import { IndexedSet } from '../model/indexed-set.js';

/**
 * How a stream ended, as logged and counted: a `done` status, or one of the ends where no `done`
 * reaches the client: `client_closed` (it went away) and `overflow` (it left more than
 * --max-queued-kib unread; issue 25 item 2).
 */
export type StreamOutcome = DoneStatus | 'client_closed' | 'overflow';

/** Live counters of one server: /healthz reads them, shutdown waits on them. */
export class ServerState {
  activeStreams = 0;
  shuttingDown = false;
  /** Monotonic ms of the last request refused with 503 during shutdown (the listener lingers after it). */
  refusedAt = -Infinity;
  /** Aborted on shutdown: every open stream listens to it (one listener each, removed at its end). */
  readonly shutdown = new AbortController();

  constructor() {
    // Thousands of open streams each listen once: not a leak, so no MaxListeners warning.
    setMaxListeners(0, this.shutdown.signal);
  }
  streamsTotal = 0;
  readonly outcomes: Record<StreamOutcome, number> = {
    ok: 0,
    error: 0,
    aborted: 0,
    timeout: 0,
    shutdown: 0,
    client_closed: 0,
    overflow: 0,
  };
  private idleWaiters: Array<() => void> = [];
  /** Open streams' writers: /metrics sums what they hold for slow readers. */
  readonly writers = new IndexedSet<StreamWriter>();

  bufferedBytes(): number {
    let n = 0;
    for (const w of this.writers) n += w.bufferedBytes;
    return n;
  }

  /** True during shutdown: the caller refuses with 503, and the listener lingers after that refusal. */
  refusesForShutdown(): boolean {
    if (!this.shuttingDown) return false;
    this.refusedAt = monoNow();
    return true;
  }

  streamOpened(): void {
    this.activeStreams++;
    this.streamsTotal++;
  }

  streamClosed(outcome: StreamOutcome): void {
    this.activeStreams--;
    this.outcomes[outcome]++;
    if (this.activeStreams === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when no stream is open. */
  whenIdle(): Promise<void> {
    if (this.activeStreams === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
