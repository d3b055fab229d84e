// Process-wide client limits: `limits.max_clients` (Redis's maxclients: a
// connection past it gets `-ERR max number of clients reached` and is
// closed) and `limits.idle_timeout` (Redis's `timeout`: a client that sent
// nothing and was sent nothing for that many seconds is closed — not one with
// a request in flight, a blocking command included, nor one with pub/sub
// subscriptions). Idleness costs the request path one property write per
// socket read and per reply write: they stamp `clock.now`, a coarse clock this
// module refreshes once a second, and one sweep a second looks at every
// client. No timer per request or per client. Must not route nor read sockets.
import type { ClientConn } from './client.js';

/** ms since the epoch, refreshed every SWEEP_MS by every ClientLimiter alive: what clients stamp their activity with. */
export const clock = { now: Date.now() };

const SWEEP_MS = 1000;

export interface ClientLimitCounters {
  rejected_connections: number;
  idle_closed: number;
}

export class ClientLimiter {
  /** 0 = no limit */
  maxClients = 0;
  /** ms; 0 = never */
  idleTimeoutMs = 0;
  /** clients of every pool now connected (this process) */
  connected = 0;
  readonly #clients: () => Iterable<Iterable<ClientConn>>;
  readonly #counters: ClientLimitCounters;
  readonly #onIdle: (c: ClientConn, idleMs: number) => void;
  readonly #timer: NodeJS.Timeout;

  constructor(clients: () => Iterable<Iterable<ClientConn>>, counters: ClientLimitCounters, onIdle: (c: ClientConn, idleMs: number) => void) {
    this.#clients = clients;
    this.#counters = counters;
    this.#onIdle = onIdle;
    this.#timer = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
    this.#timer.unref();
  }

  /** A new connection may be served (else it is refused, and counted). */
  admit(): boolean {
    if (this.maxClients > 0 && this.connected >= this.maxClients) {
      this.#counters.rejected_connections++;
      return false;
    }
    return true;
  }

  /** Refresh the clock; close every client idle past the timeout. */
  sweep(now: number): void {
    clock.now = now;
    const limit = this.idleTimeoutMs;
    if (limit <= 0) return;
    for (const set of this.#clients()) {
      for (const c of set) {
        const idle = now - c.lastActive;
        if (idle >= limit && !c.idleExempt) {
          this.#counters.idle_closed++;
          this.#onIdle(c, idle);
          c.close();
        }
      }
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
