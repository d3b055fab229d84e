// Counters that outlive every topology swap: per pool and per server label,
// created on first use and never reset by a reload or a failover, so the
// nutcracker stats document (and later the metrics) keep counting across
// changes. Plain mutable objects: the request path increments fields, no
// lookup per request (a backend connection holds its server's object).
// The per-command metrics of each pool (typed arrays, src/metrics/commands.ts)
// are kept here too, for the same reason.
// Must not: know about sockets, rings or config files.
import { CommandMetrics } from '../metrics/commands.js';

export interface PoolCounters {
  client_eof: number;
  client_err: number;
  client_connections: number;
  server_ejects: number;
  forward_error: number;
  fragments: number;
}

export interface ServerCounters {
  server_eof: number;
  server_err: number;
  server_timedout: number;
  server_connections: number;
  /** seconds since the epoch of the last ejection; 0 = never */
  server_ejected_at: number;
  requests: number;
  request_bytes: number;
  responses: number;
  response_bytes: number;
}

const newPool = (): PoolCounters => ({ client_eof: 0, client_err: 0, client_connections: 0, server_ejects: 0, forward_error: 0, fragments: 0 });
const newServer = (): ServerCounters => ({
  server_eof: 0, server_err: 0, server_timedout: 0, server_connections: 0, server_ejected_at: 0,
  requests: 0, request_bytes: 0, responses: 0, response_bytes: 0,
});

/** Every pool's and server's counters of this process, by pool name and server label. */
export class CounterStore {
  readonly #pools = new Map<string, { pool: PoolCounters; servers: Map<string, ServerCounters>; commands: CommandMetrics }>();

  #entry(pool: string) {
    let e = this.#pools.get(pool);
    if (e === undefined) this.#pools.set(pool, e = { pool: newPool(), servers: new Map(), commands: new CommandMetrics() });
    return e;
  }

  pool(pool: string): PoolCounters {
    return this.#entry(pool).pool;
  }

  commands(pool: string): CommandMetrics {
    return this.#entry(pool).commands;
  }

  server(pool: string, label: string): ServerCounters {
    const servers = this.#entry(pool).servers;
    let c = servers.get(label);
    if (c === undefined) servers.set(label, c = newServer());
    return c;
  }
}
