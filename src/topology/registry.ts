// The backend connection registry: every connection of this process to a
// backend server, by what makes a connection (pool, server identity, address,
// session setup, timeout, how many). Outside the topology: a swap that keeps a
// server keeps its connections (the new topology acquires the same entry), and
// a server that leaves drains — it gets no new requests, and its connections
// close once the requests in flight on them are answered or time out. Owns
// the request timeouts of every connection. Must not: decide health or routing
// (it reports failures and replies to the pool's signal sink).
import { BackendConn, type BackendAddress, type BackendOwner, type FailureKind } from '../proxy/backend.js';
import type { BackendTls } from '../config/index.js';
import { backendTlsOptions } from '../security/tls-backend.js';
import { secretDigest } from '../security/backend-auth.js';
import type { ServerCounters } from './counters.js';

export interface BackendSpec {
  readonly pool: string;
  /** the ring identity (what the ring hashes): stays when the address changes */
  readonly identity: string;
  readonly label: string;
  readonly host: string | null;
  readonly port: number;
  readonly path: string | null;
  readonly auth: string | null;
  /** the ACL user AUTH names (AUTH user pass); null = AUTH pass */
  readonly authUser: string | null;
  readonly db: number;
  readonly keepalive: boolean;
  readonly timeout: number | null;
  readonly connections: number;
  /** TLS to the server; null = plaintext */
  readonly tls: BackendTls | null;
  /** RESP version the connections speak (3: opened with HELLO 3), for clients of that version */
  readonly protocol: 2 | 3;
}

/** Where a pool hears about its backends: failures, and the first reply after one. */
export interface BackendSignals {
  /** `failed`: clients' requests the failure answered with an error (nutcracker's forward_error) */
  backendFailed(identity: string, label: string, kind: FailureKind, reason: string, failed?: number): void;
  backendRecovered(identity: string, label: string): void;
  /** a reply said the server does not serve as a master now (-LOADING, -READONLY, -MASTERDOWN) */
  backendNotServing?(identity: string, label: string, reason: string): void;
}

/** What makes a connection, as one string; the password is in it as a digest only (a key may be shown in a debug session). */
export function backendKey(s: BackendSpec): string {
  return JSON.stringify([s.pool, s.identity, s.label, s.host, s.port, s.path, s.authUser, secretDigest(s.auth), s.db, s.keepalive, s.timeout, s.connections, s.protocol, s.tls]);
}

/** Unused dedicated connections kept per server for the next blocking command or transaction. */
const IDLE_DEDICATED_MAX = 8;

/** One server's connections as one pool uses them. */
export class ServerBackend implements BackendOwner {
  readonly key: string;
  readonly spec: BackendSpec;
  readonly conns: readonly BackendConn[];
  readonly counters: ServerCounters;
  readonly #signals: BackendSignals;
  #failing = false;
  /** topologies that route to it */
  refs = 0;
  /** ms timestamp when it started draining (0 = in use) */
  drainingSince = 0;
  /** dedicated connections (blocking commands, transactions) now unused, kept for the next lease */
  readonly #idle: BackendConn[] = [];
  readonly #address: BackendAddress;
  /** TLS options made once for this server (shared by its pooled and dedicated connections); null = plaintext */
  readonly #tls: ReturnType<typeof backendTlsOptions> | null;
  #closed = false;

  constructor(spec: BackendSpec, counters: ServerCounters, signals: BackendSignals) {
    this.key = backendKey(spec);
    this.spec = spec;
    this.counters = counters;
    this.#signals = signals;
    const address = { host: spec.host, port: spec.port, path: spec.path, label: spec.label };
    this.#address = address;
    const tls = spec.tls === null ? null : backendTlsOptions(spec.tls, spec.host);
    this.#tls = tls;
    const opts = { auth: spec.auth, authUser: spec.authUser, db: spec.db, keepalive: spec.keepalive, timeout: spec.timeout, protocol: spec.protocol, tls };
    this.conns = Array.from({ length: Math.max(1, spec.connections) }, () => new BackendConn(address, opts, this, counters));
  }

  /**
   * A connection of this server for one client session alone (a blocking
   * command, a transaction): not shared, never timed out by the pool's
   * `timeout` (a BLPOP may wait as long as it asked). Give it back with
   * giveBack() once its last reply arrived, or close() it (client gone).
   */
  takeDedicated(): BackendConn {
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    const s = this.spec;
    return new BackendConn(this.#address, { auth: s.auth, authUser: s.authUser, db: s.db, keepalive: s.keepalive, timeout: null, protocol: s.protocol, tls: this.#tls }, this, this.counters);
  }

  /** A dedicated connection is free again: kept for the next lease (a few at most), else closed. */
  giveBack(conn: BackendConn): void {
    if (this.#closed || !conn.open || conn.inflight > 0 || this.#idle.length >= IDLE_DEDICATED_MAX) conn.close();
    else this.#idle.push(conn);
  }

  /** The connection a client uses for this server: fixed per client, so its requests stay in order. */
  connFor(clientId: number): BackendConn {
    const c = this.conns;
    return c.length === 1 ? c[0]! : c[clientId % c.length]!;
  }

  get inflight(): number {
    let n = 0;
    for (const c of this.conns) n += c.inflight;
    return n;
  }

  onBackendFailure(_conn: BackendConn, kind: FailureKind, reason: string, failed: number): void {
    if (kind === 'timeout') this.counters.server_timedout++;
    else if (kind === 'eof') this.counters.server_eof++;
    else this.counters.server_err++;
    this.#failing = true;
    if (this.drainingSince === 0) this.#signals.backendFailed(this.spec.identity, this.spec.label, kind, reason, failed);
  }

  onBackendReply(_conn: BackendConn): void {
    if (this.#failing) {
      this.#failing = false;
      this.#signals.backendRecovered(this.spec.identity, this.spec.label);
    }
  }

  onBackendNotServing(_conn: BackendConn, reason: string): void {
    if (this.drainingSince === 0) this.#signals.backendNotServing?.(this.spec.identity, this.spec.label, reason);
  }

  onBackendConnected(): void {
    this.counters.server_connections++;
  }

  onBackendClosed(): void {
    this.counters.server_connections--;
  }

  connect(): void {
    for (const c of this.conns) c.connect();
  }

  close(): void {
    this.#closed = true;
    for (const c of this.conns) c.close();
    for (const c of this.#idle.splice(0)) c.close();
  }
}

export class BackendRegistry {
  readonly #entries = new Map<string, ServerBackend>();
  /** how long a drained server's requests may take before they are failed (ms) */
  readonly #drainTimeoutMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: { drainTimeoutMs?: number; tickMs?: number } = {}) {
    this.#drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
    this.#timer = setInterval(() => this.tick(Date.now()), opts.tickMs ?? 10);
    this.#timer.unref();
  }

  /** The entry for `spec`, shared when another topology already uses it. */
  acquire(spec: BackendSpec, counters: ServerCounters, signals: BackendSignals): ServerBackend {
    const key = backendKey(spec);
    let b = this.#entries.get(key);
    if (b === undefined) this.#entries.set(key, b = new ServerBackend(spec, counters, signals));
    b.refs++;
    b.drainingSince = 0;
    return b;
  }

  /** A topology that used `b` is gone: when none uses it any more, it drains. */
  release(b: ServerBackend): void {
    if (--b.refs > 0) return;
    b.refs = 0;
    b.drainingSince = Date.now();
    if (b.inflight === 0) this.#remove(b);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Entries no topology uses any more whose requests are still being answered. */
  draining(): ServerBackend[] {
    return [...this.#entries.values()].filter((b) => b.drainingSince !== 0);
  }

  /** Request timeouts, and closing drained entries once they are idle (or past the drain timeout). */
  tick(now: number): void {
    for (const b of this.#entries.values()) {
      if (b.spec.timeout !== null) for (const c of b.conns) if (c.inflight > 0) c.checkTimeout(now);
      if (b.drainingSince !== 0 && (b.inflight === 0 || now - b.drainingSince > this.#drainTimeoutMs)) this.#remove(b);
    }
  }

  #remove(b: ServerBackend): void {
    this.#entries.delete(b.key);
    b.close();
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const b of this.#entries.values()) b.close();
    this.#entries.clear();
  }
}
