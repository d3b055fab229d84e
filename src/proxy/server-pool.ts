// A pool at run time: its backend servers (each with its connections,
// failure count and ejection state) and the ring over the live ones.
// Owns Twemproxy's auto-eject semantics: server_failure_limit consecutive
// failures eject a server for server_retry_timeout ms, and the ring is
// rebuilt only when the live set changes. The ring and server set are read
// through one reference (`#live`), so a reload can swap them while requests
// are in flight.
import type { PoolConfig, ServerConfig } from '../config/index.js';
import { buildRing, serverHashName, type Ring } from '../ring/index.js';
import { BackendConn, type BackendOwner, type FailureKind } from './backend.js';
import type { Logger } from 'pino';

export interface ServerStats {
  server_eof: number;
  server_err: number;
  server_timedout: number;
  server_connections: number;
  server_ejected_at: number;
}

export class ServerRuntime implements BackendOwner {
  readonly config: ServerConfig;
  readonly index: number;
  readonly conns: BackendConn[];
  readonly #pool: PoolRuntime;
  failures = 0;
  /** ms timestamp until which the server is ejected; 0 = in the ring */
  ejectedUntil = 0;
  lastError: string | null = null;
  readonly stats: ServerStats = { server_eof: 0, server_err: 0, server_timedout: 0, server_connections: 0, server_ejected_at: 0 };

  constructor(pool: PoolRuntime, config: ServerConfig, index: number) {
    this.#pool = pool;
    this.config = config;
    this.index = index;
    const pc = pool.config;
    const address = { host: config.host, port: config.port, path: config.path, label: config.label };
    const opts = { auth: pc.redisAuth, db: pc.redisDb, keepalive: pc.tcpkeepalive, timeout: pc.timeout };
    this.conns = Array.from({ length: Math.max(1, pc.serverConnections) }, () => new BackendConn(address, opts, this));
  }

  /** The connection a client uses for this server: fixed per client, so its requests stay in order. */
  connFor(clientId: number): BackendConn {
    const c = this.conns;
    return c.length === 1 ? c[0] : c[clientId % c.length];
  }

  onBackendFailure(_conn: BackendConn, kind: FailureKind, reason: string): void {
    this.lastError = reason;
    if (kind === 'timeout') this.stats.server_timedout++;
    else if (kind === 'eof') this.stats.server_eof++;
    else this.stats.server_err++;
    this.failures++;
    this.#pool.onServerFailure(this, reason);
  }

  onBackendReply(_conn: BackendConn): void {
    this.failures = 0;
  }

  onBackendConnected(): void {
    this.stats.server_connections++;
  }

  onBackendClosed(): void {
    this.stats.server_connections--;
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

interface LiveView {
  readonly ring: Ring;
  readonly servers: readonly ServerRuntime[];
}

export interface PoolStats {
  client_eof: number;
  client_err: number;
  client_connections: number;
  server_ejects: number;
  forward_error: number;
  fragments: number;
}

export class PoolRuntime {
  readonly config: PoolConfig;
  readonly servers: readonly ServerRuntime[];
  readonly stats: PoolStats = { client_eof: 0, client_err: 0, client_connections: 0, server_ejects: 0, forward_error: 0, fragments: 0 };
  readonly log: Logger;
  /** what the ring hashes for each server (config order), computed once */
  readonly #ringServers: readonly { name: string; weight: number }[];
  #live: LiveView;
  #timer: NodeJS.Timeout | null = null;

  constructor(config: PoolConfig, log: Logger) {
    this.config = config;
    this.log = log;
    this.servers = config.servers.map((s, i) => new ServerRuntime(this, s, i));
    this.#ringServers = config.servers.map((s) => ({ name: serverHashName(s.host ?? s.path ?? '', s.port, s.weight, s.name), weight: s.weight }));
    this.#live = this.#buildView();
    if (config.preconnect) for (const s of this.servers) for (const c of s.conns) c.connect();
    const tick = config.timeout !== null ? Math.max(5, Math.min(100, Math.floor(config.timeout / 4))) : 100;
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
  }

  #buildView(): LiveView {
    const now = Date.now();
    const live = this.servers.map((s) => s.ejectedUntil === 0 || s.ejectedUntil <= now);
    const ring = buildRing({
      distribution: this.config.distribution,
      hash: this.config.hash,
      hashTag: this.config.hashTag,
      servers: this.#ringServers,
      live,
    });
    return { ring, servers: this.servers };
  }

  /** The server for key bytes buf[start,end), or null when no server is live. */
  route(buf: Buffer, start: number, end: number): ServerRuntime | null {
    const v = this.#live;
    const i = v.ring.pick(buf, start, end);
    return i < 0 ? null : v.servers[i];
  }

  get liveCount(): number {
    return this.#live.ring.liveCount;
  }

  onServerFailure(server: ServerRuntime, reason: string): void {
    const c = this.config;
    if (!c.autoEjectHosts || server.ejectedUntil !== 0) {
      this.log.warn({ pool: c.name, server: server.config.label, failures: server.failures }, `backend failure: ${reason}`);
      return;
    }
    if (server.failures >= c.serverFailureLimit) {
      const now = Date.now();
      server.ejectedUntil = now + c.serverRetryTimeout;
      server.failures = 0;
      server.stats.server_ejected_at = Math.floor(now / 1000);
      this.stats.server_ejects++;
      this.#live = this.#buildView();
      this.log.warn({ pool: c.name, server: server.config.label, failures: server.failures, retryInMs: c.serverRetryTimeout }, `server ejected: ${reason}`);
    } else {
      this.log.warn({ pool: c.name, server: server.config.label, failures: server.failures }, `backend failure: ${reason}`);
    }
  }

  #tick(): void {
    const now = Date.now();
    let changed = false;
    for (const s of this.servers) {
      if (s.ejectedUntil !== 0 && s.ejectedUntil <= now) {
        // Back into the ring with a clean failure count, as Twemproxy does.
        s.ejectedUntil = 0;
        s.failures = 0;
        changed = true;
        this.log.info({ pool: this.config.name, server: s.config.label }, 'server back in the ring after retry timeout');
      }
      if (this.config.timeout !== null) for (const c of s.conns) if (c.inflight > 0) c.checkTimeout(now);
    }
    if (changed) this.#live = this.#buildView();
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const s of this.servers) s.close();
  }
}
