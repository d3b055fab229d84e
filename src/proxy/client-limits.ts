// Process-wide client limits: `limits.max_clients` (Redis's maxclients: a
// connection past it gets `-ERR max number of clients reached` and is
// closed) and `limits.idle_timeout` (Redis's `timeout`: a client that sent
// nothing and was sent nothing for that many seconds is closed — not one with
// a request in flight, a blocking command included, nor one with pub/sub
// subscriptions). Idleness costs the request path one property write per
// socket read and per reply write: they stamp `clock.now`, a coarse clock this
// module refreshes every TICK_MS, and one sweep a second looks at every
// client. No timer per request or per client. Must not route nor read sockets.
import type { ClientConn } from './client.js';

/** ms since the epoch, refreshed every TICK_MS by every ClientLimiter alive: what clients stamp their activity with. */
export const clock = { now: Date.now() };

const TICK_MS = 250;
/** ticks between two sweeps (one a second) */
const SWEEP_EVERY = 4;

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
  #ticks = 0;

  constructor(clients: () => Iterable<Iterable<ClientConn>>, counters: ClientLimitCounters, onIdle: (c: ClientConn, idleMs: number) => void) {
    this.#clients = clients;
    this.#counters = counters;
    this.#onIdle = onIdle;
    this.#timer = setInterval(() => {
      clock.now = Date.now();
      if (++this.#ticks % SWEEP_EVERY === 0) this.sweep(clock.now);
    }, TICK_MS);
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

  /**
   * Close every client idle past the timeout. A stamp is at most TICK_MS older
   * than the activity it marks, so TICK_MS more is asked for: a client is
   * closed after at least the timeout of silence, at most TICK_MS + a second more.
   */
  sweep(now: number): void {
    const limit = this.idleTimeoutMs;
    if (limit <= 0) return;
    for (const set of this.#clients()) {
      for (const c of set) {
        const idle = now - c.lastActive;
        if (idle >= limit + TICK_MS && !c.idleExempt) {
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
