// `shardgate/client`: the proxy's ring inside the application. A client routes
// each command itself — the proxy's ring, server identities, command table and
// cross-shard errors, imported from the proxy's own modules — to per-node
// pipelined connections, so a key lands exactly where the proxy would put it
// and there is no extra hop. Ring changes (a reload, an ejection) arrive from
// the admin API's /events or a watched config file and swap one reference.
// Must not import src/proxy/ (its shared read buffer, free lists and flush
// batches are process-wide state); test/unit/client/imports.test.ts checks.
// Usage and the error codes: docs/client.md.
import { EventEmitter } from 'node:events';
import type { Arg, RespValue } from '../redis/connection.js';
import { RespError } from '../redis/connection.js';
import type { Distribution, HashName } from '../ring/index.js';
import type { BackendTls } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { backendTlsOptions } from '../security/tls-backend.js';
import { checkPemFiles } from '../security/tls-files.js';
import { NodeError, ReplyError, RequestError, requestErrors } from './errors.js';
import type { LinkOptions } from './node-link.js';
import { PubSub, type PubSubListener, type PubSubMessage, type SubKind } from './pubsub.js';
import { RingState, describeServers, fingerprintOf, type PoolDescription, type RingServerInfo } from './ring-state.js';
import { commandOf, dispatch, indexFor, type Key } from './route.js';
import { adminSource, fileSource, type RingSource } from './sources.js';

export { NodeError, ReplyError, RequestError, RespError };
export type { Arg, Distribution, HashName, Key, PubSubListener, PubSubMessage, RespValue, RingServerInfo };
export type { ErrorCode } from '../errors/index.js';

/** TLS to the nodes, as a pool's `shardgate: backend_tls:` (file paths; the server's certificate is always verified). */
export interface TlsOptions {
  /** CA bundle the nodes' certificates must chain to (default: the system's CAs) */
  ca?: string;
  /** client certificate and its key, for nodes that ask for one (`tls-auth-clients yes`) */
  cert?: string;
  key?: string;
  /** the name the nodes' certificates must carry (default: each node's host; an IP address is checked against the IP SANs) */
  servername?: string;
}

export interface ConnectionOptions {
  /** AUTH for every node (default: the config pool's backend_auth, else its redis_auth; none otherwise) */
  auth?: { username?: string; password: string } | null;
  /** TLS to every node (default: the config pool's backend_tls; plaintext otherwise); null: plaintext */
  tls?: TlsOptions | null;
  /** SELECT for every node (default: the config pool's redis_db, else 0) */
  db?: number;
  /** per-command timeout in ms (default: the config pool's timeout, else 5000) */
  timeoutMs?: number;
  /** default 3000 */
  connectTimeoutMs?: number;
  /** pipelined connections per node (default 1: commands of one event-loop turn go out in one write) */
  connections?: number;
  /** first reconnect delay after a failure, doubled per failure in a row up to maxBackoffMs (defaults 100 and 2000) */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface ConfigSourceOptions extends ConnectionOptions {
  /** a proxy config file (nutcracker YAML, shardgate sections allowed) */
  config: string;
  pool: string;
  /** reload the ring when the file changes (default false) */
  watch?: boolean;
}
export interface AdminSourceOptions extends ConnectionOptions {
  /** the proxy's admin API, e.g. http://127.0.0.1:9100 */
  admin: string;
  pool: string;
  /** bearer token, when the admin API requires one for reads */
  token?: string | null;
  /** GET /ring poll interval while the event stream is down, ms (default 1000) */
  pollMs?: number;
}
export interface ServersSourceOptions extends ConnectionOptions {
  /** server lines as in a config file: "host:port:weight [name]" */
  servers: readonly string[];
  /** defaults as nutcracker's: fnv1a_64, ketama, no hash tag */
  hash?: HashName;
  distribution?: Distribution;
  hashTag?: string | null;
  /** names the pool in errors (default "client") */
  pool?: string;
}
export type ClientOptions = ConfigSourceOptions | AdminSourceOptions | ServersSourceOptions;

/** A ring change the client applied. */
export interface RingEvent {
  pool: string;
  oldVersion: number;
  version: number;
  servers: readonly RingServerInfo[];
}

export interface SetOptions { EX?: number; PX?: number; NX?: boolean; XX?: boolean }

const str = (v: RespValue): string | null => (v === null ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

const pair = (v: RespValue): [string, string] | null => (v === null ? null : [str((v as RespValue[])[0]!)!, str((v as RespValue[])[1]!)!]);
const triple = (v: RespValue): [string, string, number] | null => {
  if (v === null) return null;
  const a = v as RespValue[];
  return [str(a[0]!)!, str(a[1]!)!, Number(str(a[2]!))];
};
const KIND_NAMES = ['subscribe', 'psubscribe', 'ssubscribe'] as const;
const toList = (x: Key | readonly Key[]): readonly Key[] => (Array.isArray(x) ? x as readonly Key[] : [x as Key]);

export class ShardgateClient extends EventEmitter<{ ring: [RingEvent]; error: [Error] }> {
  #state: RingState;
  readonly #links: LinkOptions;
  #source: RingSource | null = null;
  #pubsub: PubSub | null = null;
  #closed = false;

  /** @internal use createClient() */
  constructor(pool: string, initial: PoolDescription, links: LinkOptions) {
    super();
    this.#links = links;
    this.#state = new RingState(pool, initial, links, null);
  }

  /** Reported on 'error' when someone listens (an unhandled 'error' event would end the application). */
  #problem(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** @internal */
  attach(source: RingSource): void { this.#source = source; }

  /** @internal a source's new description; applied when its placement or servers differ. */
  apply(d: PoolDescription): void {
    if (this.#closed) return;
    const old = this.#state;
    // A proxy that restarted numbers its rings from 1 again: the whole description is compared, not the version.
    if (fingerprintOf(d) === old.fingerprint) return;
    const next = new RingState(old.pool, d, this.#links, old);
    this.#state = next;
    this.#pubsub?.reconcile(next);
    for (const l of next.droppedFrom(old)) void l.close(this.#links.timeoutMs);
    this.emit('ring', { pool: next.pool, oldVersion: old.version, version: next.version, servers: next.servers });
  }

  /** The ring version in use and its servers. */
  get ring(): { pool: string; version: number; servers: readonly RingServerInfo[] } {
    const s = this.#state;
    return { pool: s.pool, version: s.version, servers: s.servers };
  }

  /** The server a key goes to (its name as GET /ring shows it), or null when no server is live. */
  serverFor(key: Key): string | null {
    const s = this.#state;
    const i = indexFor(s, key);
    return i < 0 ? null : s.servers[i]!.name;
  }

  /**
   * Any command the proxy forwards, routed as the proxy routes it. Replies as
   * decoded RESP: bulk strings are Buffers, integers numbers, arrays arrays.
   * An error reply rejects with ReplyError; nothing is retried, except a read
   * (a command without the write flag) whose node failed while the ring
   * changed: it is sent once more on the new ring.
   */
  async sendCommand(argv: readonly Arg[]): Promise<RespValue> {
    if (this.#closed) throw requestErrors.closed();
    const def = commandOf(argv);
    const state = this.#state;
    try {
      return await dispatch(state, def, argv);
    } catch (err) {
      if (err instanceof NodeError && !def.write && this.#state !== state && !this.#closed) return dispatch(this.#state, def, argv);
      throw err;
    }
  }

  async get(key: Key): Promise<string | null> { return str(await this.sendCommand(['GET', key])); }
  async getBuffer(key: Key): Promise<Buffer | null> { return (await this.sendCommand(['GET', key])) as Buffer | null; }

  /** SET; resolves 'OK', or null when NX / XX kept it from being set. */
  async set(key: Key, value: Arg, opts: SetOptions = {}): Promise<'OK' | null> {
    const argv: Arg[] = ['SET', key, value];
    if (opts.EX !== undefined) argv.push('EX', opts.EX);
    if (opts.PX !== undefined) argv.push('PX', opts.PX);
    if (opts.NX) argv.push('NX');
    if (opts.XX) argv.push('XX');
    return (await this.sendCommand(argv)) as 'OK' | null;
  }

  /** Values in key order (null for a missing key), split per node and merged as the proxy does. */
  async mget(...keys: (Key | Key[])[]): Promise<(string | null)[]> {
    const r = (await this.sendCommand(['MGET', ...keys.flat()])) as RespValue[];
    return r.map(str);
  }

  /** MSET from an object or from [key, value] pairs; 'OK' once every node said OK. */
  async mset(pairs: Record<string, Arg> | readonly (readonly [Key, Arg])[]): Promise<'OK'> {
    const list = Array.isArray(pairs) ? pairs as readonly (readonly [Key, Arg])[] : Object.entries(pairs);
    const argv: Arg[] = ['MSET'];
    for (const [k, v] of list) argv.push(k, v);
    return (await this.sendCommand(argv)) as 'OK';
  }

  /** The number of keys removed, summed over the nodes. */
  async del(...keys: (Key | Key[])[]): Promise<number> { return (await this.sendCommand(['DEL', ...keys.flat()])) as number; }
  async unlink(...keys: (Key | Key[])[]): Promise<number> { return (await this.sendCommand(['UNLINK', ...keys.flat()])) as number; }
  async exists(...keys: (Key | Key[])[]): Promise<number> { return (await this.sendCommand(['EXISTS', ...keys.flat()])) as number; }
  async touch(...keys: (Key | Key[])[]): Promise<number> { return (await this.sendCommand(['TOUCH', ...keys.flat()])) as number; }

  /**
   * BLPOP: the first element of the first non-empty list, waiting up to
   * `timeoutSeconds` (0: forever) for one; null when the time ran out. All
   * keys must live on one server (else CROSSSLOT). Runs on a connection of
   * its own for the wait, and the client's timeoutMs is added to the wait,
   * never cut from it. brpop(), blmove(), bzpopmin(), bzpopmax() alike; the
   * other blocking commands (BLMPOP, BZMPOP, BRPOPLPUSH, XREAD … BLOCK)
   * through sendCommand().
   */
  async blpop(keys: Key | readonly Key[], timeoutSeconds: number): Promise<[key: string, value: string] | null> {
    return pair(await this.sendCommand(['BLPOP', ...toList(keys), timeoutSeconds]));
  }
  async brpop(keys: Key | readonly Key[], timeoutSeconds: number): Promise<[key: string, value: string] | null> {
    return pair(await this.sendCommand(['BRPOP', ...toList(keys), timeoutSeconds]));
  }
  /** BLMOVE: the element moved, or null when the time ran out. */
  async blmove(source: Key, destination: Key, from: 'LEFT' | 'RIGHT', to: 'LEFT' | 'RIGHT', timeoutSeconds: number): Promise<string | null> {
    return str(await this.sendCommand(['BLMOVE', source, destination, from, to, timeoutSeconds]));
  }
  /** BZPOPMIN: [key, member, score] of the lowest score, or null when the time ran out. */
  async bzpopmin(keys: Key | readonly Key[], timeoutSeconds: number): Promise<[key: string, member: string, score: number] | null> {
    return triple(await this.sendCommand(['BZPOPMIN', ...toList(keys), timeoutSeconds]));
  }
  async bzpopmax(keys: Key | readonly Key[], timeoutSeconds: number): Promise<[key: string, member: string, score: number] | null> {
    return triple(await this.sendCommand(['BZPOPMAX', ...toList(keys), timeoutSeconds]));
  }

  /**
   * SUBSCRIBE: `listener` gets every message published on these channels.
   * Each channel is subscribed on the server the ring picks for its name —
   * where publish() and the proxy's PUBLISH send it — over the client's
   * pub/sub connection to that node (never a command connection). Resolves
   * once the nodes confirmed, so a message published after that reaches the
   * listener. A listener added twice to a channel gets each message once.
   */
  subscribe(channels: Key | readonly Key[], listener: PubSubListener): Promise<void> { return this.#subscribe(0, channels, listener); }
  /** PSUBSCRIBE: subscribed on every live node; a message is published on one node, so each match arrives once (kind 'pmessage'). */
  psubscribe(patterns: Key | readonly Key[], listener: PubSubListener): Promise<void> { return this.#subscribe(1, patterns, listener); }
  /** SSUBSCRIBE: a shard channel, on the server of its name (spublish() goes there); kind 'smessage'. */
  ssubscribe(channels: Key | readonly Key[], listener: PubSubListener): Promise<void> { return this.#subscribe(2, channels, listener); }

  /** Removes `listener` (every listener when absent) from these channels (every channel when absent); no message for them is delivered after it. */
  async unsubscribe(channels?: Key | readonly Key[] | null, listener?: PubSubListener): Promise<void> { this.#unsubscribe(0, channels, listener); }
  async punsubscribe(patterns?: Key | readonly Key[] | null, listener?: PubSubListener): Promise<void> { this.#unsubscribe(1, patterns, listener); }
  async sunsubscribe(channels?: Key | readonly Key[] | null, listener?: PubSubListener): Promise<void> { this.#unsubscribe(2, channels, listener); }

  /** The channels, patterns and shard channels subscribed now. */
  get subscriptions(): { channels: string[]; patterns: string[]; shardChannels: string[] } {
    const p = this.#pubsub;
    return { channels: p?.names(0) ?? [], patterns: p?.names(1) ?? [], shardChannels: p?.names(2) ?? [] };
  }

  /** PUBLISH on the server of the channel's name; resolves with the number of subscribers that server reached. */
  async publish(channel: Key, message: Arg): Promise<number> { return (await this.sendCommand(['PUBLISH', channel, message])) as number; }
  /** SPUBLISH, likewise. */
  async spublish(channel: Key, message: Arg): Promise<number> { return (await this.sendCommand(['SPUBLISH', channel, message])) as number; }

  #subscribe(kind: SubKind, names: Key | readonly Key[], listener: PubSubListener): Promise<void> {
    if (this.#closed) return Promise.reject(requestErrors.closed());
    const l = this.#links;
    this.#pubsub ??= new PubSub(this.#state, (err) => this.#problem(err), { first: l.backoffMs, max: l.maxBackoffMs });
    return this.#pubsub.subscribe(kind, toList(names), listener).catch((err: unknown) => {
      if (err instanceof RequestError && err.code === 'SG_ERR_ARITY') throw requestErrors.arity(KIND_NAMES[kind]);
      throw err;
    });
  }

  #unsubscribe(kind: SubKind, names: Key | readonly Key[] | null | undefined, listener: PubSubListener | undefined): void {
    this.#pubsub?.unsubscribe(kind, names === undefined || names === null ? null : toList(names), listener);
  }

  /** Stops watching, ends subscriptions and blocking commands, lets what else is in flight finish (up to the command timeout), closes every connection. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pubsub?.close();
    await this.#source?.close();
    await Promise.all(this.#state.links.map((l) => l.close(this.#links.timeoutMs)));
  }
}

interface PoolDefaults {
  redisAuth: string | null;
  redisDb: number;
  timeout: number | null;
  backendAuth: { username: string | null; password: string } | null;
  backendTls: BackendTls | null;
}

/** The `tls` option as the proxy's BackendTls: every file read and checked now, a problem named as `tls.<key>`. */
function tlsOf(t: TlsOptions): BackendTls {
  if (typeof t !== 'object') throw new ConfigError('tls must be an object { ca?, cert?, key?, servername? } or null', { key: 'tls' });
  for (const k of Object.keys(t)) if (!['ca', 'cert', 'key', 'servername'].includes(k)) throw new ConfigError(`tls: unknown key '${k}' (ca, cert, key, servername)`, { key: `tls.${k}` });
  if ((t.cert === undefined) !== (t.key === undefined)) throw new ConfigError('tls: cert and key go together: a client certificate needs its key', { key: `tls.${t.cert === undefined ? 'key' : 'cert'}` });
  const files = { ca: t.ca ?? null, cert: t.cert ?? null, key: t.key ?? null };
  const { problems, digest } = checkPemFiles(files);
  if (problems.length > 0) throw new ConfigError(`tls.${problems[0]!.key}: ${problems[0]!.message}`, { key: `tls.${problems[0]!.key}` });
  return { ...files, servername: t.servername ?? null, digest };
}

function linkOptions(o: ConnectionOptions, pool: PoolDefaults | null): LinkOptions {
  const num = (v: number | undefined, name: string, dflt: number, min = 0) => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${name} must be an integer ≥ ${min} (got ${v})`, { key: name });
    return v;
  };
  // as the proxy's backends: backend_auth wins over redis_auth
  const poolAuth = pool?.backendAuth != null
    ? { ...(pool.backendAuth.username !== null ? { username: pool.backendAuth.username } : {}), password: pool.backendAuth.password }
    : pool?.redisAuth != null ? { password: pool.redisAuth } : null;
  const tlsConf = o.tls !== undefined ? (o.tls === null ? null : tlsOf(o.tls)) : pool?.backendTls ?? null;
  return {
    auth: o.auth !== undefined ? o.auth : poolAuth,
    // one secure context for the client; each node's host is the name checked unless servername says otherwise
    tls: tlsConf === null ? null : backendTlsOptions(tlsConf, null),
    db: num(o.db, 'db', pool?.redisDb ?? 0),
    timeoutMs: num(o.timeoutMs, 'timeoutMs', pool?.timeout ?? 5000, 1),
    connectTimeoutMs: num(o.connectTimeoutMs, 'connectTimeoutMs', 3000, 1),
    connections: num(o.connections, 'connections', 1, 1),
    backoffMs: num(o.backoffMs, 'backoffMs', 100, 1),
    maxBackoffMs: num(o.maxBackoffMs, 'maxBackoffMs', 2000, 1),
  };
}

const SOURCE_KEYS = ['config', 'admin', 'servers'] as const;

/** A client for one pool; its ring comes from a config file, the proxy's admin API, or a server list. */
export async function createClient(opts: ClientOptions): Promise<ShardgateClient> {
  const given = SOURCE_KEYS.filter((k) => k in opts && (opts as unknown as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) throw new ConfigError(`give exactly one of config, admin or servers (got ${given.length === 0 ? 'none' : given.join(', ')})`);
  let client: ShardgateClient | null = null;
  const signals = {
    apply: (d: PoolDescription) => client?.apply(d),
    problem: (err: Error) => { if (client !== null && client.listenerCount('error') > 0) client.emit('error', err); },
  };
  if ('config' in opts && opts.config !== undefined) {
    const source = await fileSource(opts.config, opts.pool, opts.watch === true, signals);
    client = new ShardgateClient(opts.pool, source.initial, linkOptions(opts, source.pool));
    client.attach(source);
  } else if ('admin' in opts && opts.admin !== undefined) {
    const links = linkOptions(opts, null);
    const source = await adminSource({ url: opts.admin, pool: opts.pool, token: opts.token ?? null, pollMs: opts.pollMs ?? 1000 }, signals);
    client = new ShardgateClient(opts.pool, source.initial, links);
    client.attach(source);
  } else {
    const o = opts as ServersSourceOptions;
    client = new ShardgateClient(o.pool ?? 'client', describeServers(o, 1), linkOptions(o, null));
  }
  return client;
}
