// Polls every configured backend's INFO at an interval from the controlling
// process (one RedisConnection per server, kept open, made again after a
// failure) and keeps the latest figures per pool and server: memory,
// fragmentation, evictions, expirations, keyspace hits and misses, clients,
// role, replication offset and lag. The metrics and the status page read
// them. Must not: sit on the request path, or decide health (a failed poll is
// a figure, not an ejection).
import type { Logger } from 'pino';
import type { BackendCredentials, BackendTls, Config, ServerConfig } from '../config/index.js';
import { backendTlsOptions } from '../security/tls-backend.js';
import { connectionAuth, credentialsFor } from '../security/backend-auth.js';
import { RedisConnection, RespError } from '../redis/connection.js';

export interface BackendInfo {
  /** whether the last poll was answered */
  up: boolean;
  /** ms since the epoch of the last answered poll; 0 = never */
  at: number;
  role: string | null;
  used_memory: number | null;
  mem_fragmentation_ratio: number | null;
  evicted_keys: number | null;
  expired_keys: number | null;
  keyspace_hits: number | null;
  keyspace_misses: number | null;
  connected_clients: number | null;
  repl_offset: number | null;
  lag_bytes: number | null;
  lag_seconds: number | null;
  error: string | null;
}

/** INFO's text as field → value (sections flattened; later duplicates win). */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** The figures shardgate keeps from one INFO reply. */
export function figuresOf(info: Map<string, string>): Omit<BackendInfo, 'up' | 'at' | 'error'> {
  const role = info.get('role') ?? null;
  let lagBytes: number | null = null;
  let lagSeconds: number | null = null;
  let offset = num(info.get('master_repl_offset'));
  if (role === 'master') {
    // slaveN:ip=...,port=...,state=online,offset=N,lag=S
    lagBytes = 0;
    lagSeconds = 0;
    for (const [k, v] of info) {
      if (!/^slave\d+$/.test(k)) continue;
      const f = new Map(v.split(',').map((kv) => kv.split('=') as [string, string]));
      const o = num(f.get('offset'));
      const l = num(f.get('lag'));
      if (o !== null && offset !== null) lagBytes = Math.max(lagBytes, offset - o);
      if (l !== null) lagSeconds = Math.max(lagSeconds, l);
    }
  } else if (role === 'slave') {
    offset = num(info.get('slave_repl_offset')) ?? offset;
    lagSeconds = num(info.get('master_last_io_seconds_ago'));
  }
  return {
    role,
    used_memory: num(info.get('used_memory')),
    mem_fragmentation_ratio: num(info.get('mem_fragmentation_ratio')),
    evicted_keys: num(info.get('evicted_keys')),
    expired_keys: num(info.get('expired_keys')),
    keyspace_hits: num(info.get('keyspace_hits')),
    keyspace_misses: num(info.get('keyspace_misses')),
    connected_clients: num(info.get('connected_clients')),
    repl_offset: offset,
    lag_bytes: lagBytes,
    lag_seconds: lagSeconds,
  };
}

const EMPTY: Omit<BackendInfo, 'up' | 'at' | 'error'> = figuresOf(new Map());

interface Target {
  key: string;
  address: ServerConfig;
  auth: BackendCredentials | null;
  /** the pool's backend_tls: INFO is read over TLS too */
  tls: BackendTls | null;
  conn: RedisConnection | null;
  busy: boolean;
  info: BackendInfo;
}

const keyOf = (pool: string, label: string) => `${pool}\u0000${label}`;

export class BackendInfoPoller {
  readonly #log: Logger;
  readonly #targets = new Map<string, Target>();
  #timer: NodeJS.Timeout | null = null;
  #interval = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Follow a config: poll its servers every `intervalMs` (0 stops polling). */
  configure(config: Config, intervalMs: number): void {
    const want = new Map<string, { sc: ServerConfig; auth: BackendCredentials | null; tls: BackendTls | null }>();
    for (const p of config.pools) for (const s of p.servers) want.set(keyOf(p.name, s.label), { sc: s, auth: credentialsFor(p, s.label), tls: p.backendTls });
    for (const [k, t] of this.#targets) {
      const w = want.get(k);
      if (w === undefined || w.sc.spec !== t.address.spec || w.auth?.username !== t.auth?.username || w.auth?.password !== t.auth?.password
        || JSON.stringify(w.tls) !== JSON.stringify(t.tls)) {
        void t.conn?.close();
        this.#targets.delete(k);
      }
    }
    for (const [k, w] of want) {
      if (!this.#targets.has(k)) {
        this.#targets.set(k, { key: k, address: w.sc, auth: w.auth, tls: w.tls, conn: null, busy: false, info: { ...EMPTY, up: false, at: 0, error: null } });
      }
    }
    if (intervalMs !== this.#interval) {
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#timer = null;
      this.#interval = intervalMs;
      if (intervalMs > 0) {
        this.#timer = setInterval(() => this.pollNow(), intervalMs);
        this.#timer.unref();
      }
    }
    if (intervalMs > 0) this.pollNow();
  }

  /** The latest figures of a server, or null when it is not polled. */
  get(pool: string, label: string): BackendInfo | null {
    return this.#targets.get(keyOf(pool, label))?.info ?? null;
  }

  /** Poll every server now (one INFO each; a server still answering the last poll is skipped). */
  pollNow(): Promise<void> {
    return Promise.all([...this.#targets.values()].map((t) => this.#poll(t))).then(() => undefined);
  }

  async #poll(t: Target): Promise<void> {
    if (t.busy) return;
    t.busy = true;
    try {
      if (t.conn === null || !t.conn.ready) {
        const a = t.address;
        const conn = new RedisConnection(a.path !== null ? { path: a.path } : { host: a.host ?? '127.0.0.1', port: a.port }, {
          auth: connectionAuth(t.auth), connectTimeoutMs: 2000, commandTimeoutMs: 2000, name: 'shardgate-info',
          tls: t.tls === null || a.path !== null ? null : backendTlsOptions(t.tls, a.host),
        });
        conn.on('close', () => { if (t.conn === conn) t.conn = null; });
        t.conn = conn;
        await conn.connect();
      }
      const reply = await t.conn.command(['INFO']);
      if (reply instanceof RespError) throw new Error(reply.message);
      const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
      t.info = { ...figuresOf(parseInfo(text)), up: true, at: Date.now(), error: null };
    } catch (err) {
      if (t.info.up) this.#log.debug({ server: t.address.label, err: (err as Error).message }, 'backend INFO poll failed');
      t.info = { ...t.info, up: false, error: (err as Error).message };
      const c = t.conn;
      t.conn = null;
      void c?.close();
    } finally {
      t.busy = false;
    }
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const t of this.#targets.values()) void t.conn?.close();
    this.#targets.clear();
  }
}
