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
import { ConfigError } from '../errors/index.js';
import { NodeError, ReplyError, RequestError, requestErrors } from './errors.js';
import type { LinkOptions } from './node-link.js';
import { RingState, describeServers, fingerprintOf, type PoolDescription, type RingServerInfo } from './ring-state.js';
import { commandOf, dispatch, indexFor, type Key } from './route.js';
import { adminSource, fileSource, type RingSource } from './sources.js';

export { NodeError, ReplyError, RequestError, RespError };
export type { Arg, Distribution, HashName, Key, RespValue, RingServerInfo };
export type { ErrorCode } from '../errors/index.js';

export interface ConnectionOptions {
  /** AUTH for every node (default: the config pool's redis_auth; none otherwise) */
  auth?: { username?: string; password: string } | null;
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

export class ShardgateClient extends EventEmitter<{ ring: [RingEvent]; error: [Error] }> {
  #state: RingState;
  readonly #links: LinkOptions;
  #source: RingSource | null = null;
  #closed = false;

  /** @internal use createClient() */
  constructor(pool: string, initial: PoolDescription, links: LinkOptions) {
    super();
    this.#links = links;
    this.#state = new RingState(pool, initial, links, null);
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

  /** Stops watching, lets what is in flight finish (up to the command timeout), closes every connection. */
  async quit(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#source?.close();
    await Promise.all(this.#state.links.map((l) => l.close(this.#links.timeoutMs)));
  }
}

function linkOptions(o: ConnectionOptions, pool: { redisAuth: string | null; redisDb: number; timeout: number | null } | null): LinkOptions {
  const num = (v: number | undefined, name: string, dflt: number, min = 0) => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${name} must be an integer ≥ ${min} (got ${v})`, { key: name });
    return v;
  };
  return {
    auth: o.auth !== undefined ? o.auth : pool?.redisAuth != null ? { password: pool.redisAuth } : null,
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
    const source = fileSource(opts.config, opts.pool, opts.watch === true, signals);
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
