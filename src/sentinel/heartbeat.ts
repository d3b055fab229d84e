// One node's heartbeat: every `intervalMs` a PING and an `INFO replication`
// (pipelined, one round trip) on the probe's own connection, with the
// interval as timeout. A PONG proves the node serves; an error reply
// (-LOADING, -MASTERDOWN, -BUSY…), a refused or dropped connection or a
// timeout is a miss. `downAfter` misses in a row make the node down; one
// answer makes it up again. A node that is down and answers BUSY (a script
// running past busy-reply-threshold) is sent one SCRIPT KILL, as Redis
// Sentinel does: a script that has not written is stopped and the node
// answers again; one that wrote answers UNKILLABLE and the node stays down. The INFO reply tells its role, replication
// offset and link state. Reports changes to its owner; decides nothing about
// failover. Must not: sit on the request path, or run commands other than its
// own (PING, INFO, that SCRIPT KILL) and the ones its owner asks for (REPLICAOF).
import type { ConnectionOptions } from 'node:tls';
import { RedisConnection, RespError, type RespValue } from '../redis/connection.js';
import type { HostPort } from './types.js';

export interface ReplicationInfo {
  role: 'master' | 'slave' | null;
  /** master_repl_offset of a master, slave_repl_offset of a replica; -1 when unknown */
  offset: number;
  /** a replica's link to its master is up */
  linkUp: boolean;
  /** a replica's master, as it names it */
  master: HostPort | null;
}

/** The fields of an `INFO replication` reply that failover reads. */
export function parseReplicationInfo(text: string): ReplicationInfo {
  const f = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c > 0 && !line.startsWith('#')) f.set(line.slice(0, c), line.slice(c + 1).trim());
  }
  const role = f.get('role');
  const r: ReplicationInfo['role'] = role === 'master' ? 'master' : role === 'slave' ? 'slave' : null;
  const num = (k: string) => (f.has(k) && /^-?[0-9]+$/.test(f.get(k)!) ? Number(f.get(k)) : -1);
  const host = f.get('master_host');
  const port = num('master_port');
  return {
    role: r,
    offset: r === 'slave' ? num('slave_repl_offset') : num('master_repl_offset'),
    linkUp: f.get('master_link_status') === 'up',
    master: r === 'slave' && host !== undefined && port > 0 ? { host, port } : null,
  };
}

export interface ProbeOptions {
  intervalMs: number;
  downAfter: number;
  auth: { username?: string; password: string } | null;
  /** TLS to the node (the pool's backend_tls, made for this node's host); null: plaintext */
  tls?: ConnectionOptions | null;
  /** up/down changed, or (role, master, link) changed */
  onChange(probe: NodeProbe): void;
}

export class NodeProbe {
  readonly address: HostPort;
  readonly #opts: ProbeOptions;
  #conn: RedisConnection | null = null;
  #connecting: Promise<RedisConnection> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #beating = false;
  #suspectedAt = 0;
  /** optimistic until `downAfter` misses: a proxy that starts does not call healthy nodes down */
  up = true;
  misses = 0;
  /** at least one heartbeat answered or missed */
  known = false;
  info: ReplicationInfo = { role: null, offset: -1, linkUp: false, master: null };
  lastError: string | null = null;
  /** ms timestamp of the last answer; 0 = none yet */
  lastAnswerAt = 0;
  /** ms timestamp of the last answer of a replica whose link to its master was up; 0 = never seen in sync */
  linkUpAt = 0;
  /** SCRIPT KILL was sent in this down period (once, until the node answers) */
  #scriptKillSent = false;

  constructor(address: HostPort, opts: ProbeOptions) {
    this.address = address;
    this.#opts = opts;
  }

  start(): void {
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#beat(), ms);
    this.#timer.unref();
  }

  /** The connection, opened when needed (a closed one is replaced: the probe reconnects every beat). */
  #connection(): Promise<RedisConnection> {
    if (this.#conn !== null && this.#conn.ready) return Promise.resolve(this.#conn);
    if (this.#connecting !== null) return this.#connecting;
    void this.#conn?.close();
    const t = this.#opts.intervalMs;
    const a = this.#opts.auth;
    const conn = new RedisConnection(this.address, { connectTimeoutMs: t, commandTimeoutMs: t, name: 'shardgate-heartbeat', auth: a, tls: this.#opts.tls ?? null });
    this.#conn = conn;
    const connecting = conn.connect().then(() => conn);
    this.#connecting = connecting;
    const done = () => { if (this.#connecting === connecting) this.#connecting = null; };
    connecting.then(done, done);
    return connecting;
  }

  async #beat(): Promise<void> {
    if (this.#stopped || this.#beating) return;
    this.#beating = true;
    const started = Date.now();
    let error: string | null = null;
    let info: ReplicationInfo | null = null;
    try {
      const conn = await this.#connection();
      const [pong, text] = await Promise.all([conn.command(['PING']), conn.command(['INFO', 'replication'])]);
      if (pong instanceof RespError) error = pong.message;
      else if (pong !== 'PONG') error = `PING answered ${describe(pong)}`;
      else if (Buffer.isBuffer(text)) info = parseReplicationInfo(text.toString('latin1'));
      else error = `INFO replication answered ${describe(text)}`;
    } catch (err) {
      error = (err as Error).message;
    }
    this.#beating = false;
    if (this.#stopped) return;
    this.#record(error, info);
    this.#schedule(Math.max(0, this.#opts.intervalMs - (Date.now() - started)));
  }

  #record(error: string | null, info: ReplicationInfo | null): void {
    const before = JSON.stringify([this.up, this.info.role, this.info.master, this.info.linkUp]);
    this.known = true;
    if (error === null && info !== null) {
      this.misses = 0;
      this.up = true;
      this.info = info;
      this.lastAnswerAt = Date.now();
      this.#scriptKillSent = false;
      if (info.role === 'slave' && info.linkUp) this.linkUpAt = this.lastAnswerAt;
    } else {
      this.misses++;
      this.lastError = error;
      if (this.misses >= this.#opts.downAfter) this.up = false;
      if (!this.up && !this.#scriptKillSent && error !== null && error.startsWith('BUSY')) {
        this.#scriptKillSent = true;
        this.command(['SCRIPT', 'KILL']).catch(() => {});
      }
    }
    if (JSON.stringify([this.up, this.info.role, this.info.master, this.info.linkUp]) !== before) this.#opts.onChange(this);
  }

  /**
   * The proxy's traffic saw this node fail: beat now instead of at the next
   * interval — once, while no miss is counted yet, so a real failure is
   * confirmed early but misses still come one interval apart.
   */
  suspect(): void {
    if (this.#stopped || this.#beating || this.misses > 0) return;
    const now = Date.now();
    if (now - this.#suspectedAt < this.#opts.intervalMs) return;
    this.#suspectedAt = now;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** Run an administrative command (REPLICAOF) on the probe's connection; rejects when the node is unreachable. */
  async command(argv: string[]): Promise<RespValue> {
    const conn = await this.#connection();
    return conn.command(argv, { timeoutMs: Math.max(1000, this.#opts.intervalMs) });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    void this.#conn?.close();
    this.#conn = null;
  }
}

function describe(v: RespValue): string {
  if (v instanceof RespError) return `-${v.message}`;
  if (Buffer.isBuffer(v)) return `'${v.toString('latin1', 0, 60)}'`;
  return JSON.stringify(v)?.slice(0, 60) ?? String(v);
}
