// One node of the ring as the client reaches it: a few pipelined connections
// (our RESP codec via src/redis/connection.ts; see docs/client.md for why not
// ioredis), opened lazily, reopened after a failure with a growing backoff
// during which the node is "suspect" and requests to it fail at once with
// SG_ERR_BACKEND_DOWN. Owns: its sockets and the mapping of socket failures to
// the client's typed errors. Must not: retry a command (a request lost in
// flight is the caller's to decide about), route, or know the ring.
import type tls from 'node:tls';
import { RedisConnection, RedisConnectionError, RespError, type Arg, type RedisAddress, type RespValue } from '../redis/connection.js';
import { NodeError, ReplyError } from './errors.js';

export interface LinkOptions {
  auth: { username?: string; password: string } | null;
  /**
   * node:tls options for every node (made once per client by the proxy's
   * backendTlsOptions: one secure context; the certificate is checked against
   * `servername`, else each node's host); null = plaintext
   */
  tls: tls.ConnectionOptions | null;
  db: number;
  /** per-command timeout, ms */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** connections per node; commands are spread round robin, each connection pipelines */
  connections: number;
  /** first reconnect delay and its ceiling, ms (doubles per failure in a row) */
  backoffMs: number;
  maxBackoffMs: number;
}

/** Idle dedicated connections kept per node for the next blocking command. */
const IDLE_DEDICATED = 4;

/** Errors that mean nothing was sent: the node is down, not the request lost. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);

export class NodeLink {
  /** the server's name as GET /ring shows it */
  readonly server: string;
  readonly address: RedisAddress;
  readonly #opts: LinkOptions;
  readonly #conns: (RedisConnection | null)[];
  /** per connection: its handshake; commands wait for it (one pipelined behind a refused AUTH would get NOAUTH as its reply) */
  readonly #handshakes: (Promise<void> | null)[];
  /** dedicated connections: in use by a blocking command, and idle ones kept for the next */
  readonly #leased = new Set<RedisConnection>();
  #idle: RedisConnection[] = [];
  #next = 0;
  #failures = 0;
  #suspectUntil = 0;
  #closed = false;

  constructor(server: string, address: RedisAddress, opts: LinkOptions) {
    this.server = server;
    this.address = address;
    this.#opts = opts;
    this.#conns = new Array<RedisConnection | null>(Math.max(1, opts.connections)).fill(null);
    this.#handshakes = new Array<Promise<void> | null>(this.#conns.length).fill(null);
  }

  /** True while the node failed recently and its reconnect backoff runs. */
  get suspect(): boolean { return Date.now() < this.#suspectUntil; }
  /** Commands sent and not answered yet, over all its connections. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.#conns) if (c !== null) n += c.inFlight;
    return n;
  }

  /** Sends one command; an error reply rejects with ReplyError, a connection failure with NodeError. */
  command(argv: readonly Arg[], timeoutMs?: number): Promise<RespValue> {
    const i = this.#next;
    this.#next = i + 1 === this.#conns.length ? 0 : i + 1;
    let conn = this.#conns[i]!;
    if (conn === null) {
      if (this.#closed) return Promise.reject(new NodeError('SG_ERR_BACKEND_CLOSED', this.server, 'ECLOSED', `node ${this.server}: the client was closed`));
      if (Date.now() < this.#suspectUntil) {
        return Promise.reject(new NodeError('SG_ERR_BACKEND_DOWN', this.server, 'ESUSPECT', `node ${this.server} (${labelOf(this.address)}) is suspect after ${this.#failures} failed attempt(s); next try in ${this.#suspectUntil - Date.now()} ms`));
      }
      conn = this.#open(i);
    }
    if (conn.ready) return this.#send(conn, argv, timeoutMs);
    const c = conn;
    return this.#handshakes[i]!.then(() => this.#send(c, argv, timeoutMs), (e: unknown) => { throw this.#toNodeError(e, false); });
  }

  #send(conn: RedisConnection, argv: readonly Arg[], timeoutMs: number | undefined): Promise<RespValue> {
    return conn.command(argv, timeoutMs === undefined ? undefined : { timeoutMs }).then(
      (v) => { if (v instanceof RespError) throw new ReplyError(v.message, this.server); return v; },
      (e: unknown) => { throw this.#toNodeError(e, true); },
    );
  }

  #open(i: number): RedisConnection {
    const o = this.#opts;
    const conn = this.connection(o.timeoutMs);
    this.#conns[i] = conn;
    conn.once('close', (err) => {
      if (this.#conns[i] === conn) this.#conns[i] = null;
      if (err !== null && !this.#closed) this.#markSuspect();
    });
    const handshake = conn.connect();
    this.#handshakes[i] = handshake;
    handshake.then(() => { this.#failures = 0; }, () => { /* the commands waiting for it carry the error */ });
    return conn;
  }

  #markSuspect(): void {
    const delay = Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** Math.min(this.#failures, 16));
    this.#failures++;
    this.#suspectUntil = Date.now() + delay;
  }

  /** `sent`: the command was written to a connection past its handshake (false: nothing of it left the client). */
  #toNodeError(e: unknown, sent: boolean): NodeError {
    const code = e instanceof RedisConnectionError ? e.code : 'ECLOSED';
    const msg = `node ${this.server} (${labelOf(this.address)}): ${(e as Error).message}`;
    if (code === 'EAUTH') return new NodeError('SG_ERR_AUTH', this.server, code, msg);
    // Not sent (refused, unreachable, handshake timed out): safe to send elsewhere, whatever the command.
    if (NOT_SENT.has(code) || !sent) return new NodeError('SG_ERR_BACKEND_DOWN', this.server, code, msg);
    if (code === 'ETIMEDOUT') return new NodeError('SG_ERR_TIMEOUT', this.server, code, msg);
    return new NodeError('SG_ERR_BACKEND_CLOSED', this.server, code, msg);
  }

  /** A new, unconnected connection to this node with the client's handshake (AUTH, SELECT) and TLS. */
  connection(commandTimeoutMs: number): RedisConnection {
    const o = this.#opts;
    return new RedisConnection(this.address, { auth: o.auth, db: o.db, commandTimeoutMs, connectTimeoutMs: o.connectTimeoutMs, tls: o.tls });
  }

  /** Maps a connection failure to the client's error (`sent`: the command had been written past the handshake). */
  nodeError(e: unknown, sent: boolean): NodeError { return this.#toNodeError(e, sent); }

  /**
   * A blocking command on a connection of its own for its duration (an idle
   * one kept from an earlier block, else a new one), given back after the
   * reply. `blockMs` is how long the command may block (Infinity: no end):
   * its timeout is that plus the client's timeoutMs, so a block is never cut
   * short by the client.
   */
  async dedicated(argv: readonly Arg[], blockMs: number): Promise<RespValue> {
    if (this.#closed) throw new NodeError('SG_ERR_BACKEND_CLOSED', this.server, 'ECLOSED', `node ${this.server}: the client was closed`);
    let conn = this.#idle.pop() ?? null;
    if (conn === null || !conn.ready) {
      conn?.close();
      conn = this.connection(this.#opts.timeoutMs);
      this.#leased.add(conn);
      try {
        await conn.connect();
      } catch (e) {
        this.#leased.delete(conn);
        throw this.#toNodeError(e, false);
      }
    } else {
      this.#leased.add(conn);
    }
    const c = conn;
    try {
      const v = await c.command(argv, { timeoutMs: blockMs + this.#opts.timeoutMs }).catch((e: unknown) => { throw this.#toNodeError(e, true); });
      if (v instanceof RespError) throw new ReplyError(v.message, this.server);
      return v;
    } finally {
      this.#leased.delete(c);
      if (c.ready && !this.#closed && this.#idle.length < IDLE_DEDICATED) this.#idle.push(c);
      else void c.close();
    }
  }

  /** Closes its connections once what is in flight on them was answered (or after `graceMs`); blocking commands end at once. */
  async close(graceMs = 0): Promise<void> {
    this.#closed = true;
    const end = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const idle = this.#idle;
    this.#idle = [];
    // A block still running ends now: its caller gets SG_ERR_BACKEND_CLOSED (the server drops a closed client's block).
    await Promise.all([...this.#conns.map((c) => c?.close()), ...idle.map((c) => c.close()), ...[...this.#leased].map((c) => c.close())]);
  }
}

export function labelOf(a: RedisAddress): string {
  return 'path' in a ? a.path : `${a.host}:${a.port}`;
}
