// What the client routes with at one moment: the pool's ring (built by the
// proxy's own ring module from the proxy's own server identities, so every key
// lands where the proxy puts it) and one NodeLink per server. Immutable once
// built; a ring change builds a new one and swaps the reference, keeping the
// links of servers whose identity and address did not change.
// Also the three ways to describe a pool (a config file's pool, a GET /ring
// answer, a list of server lines) turned into one RingSpec.
// Must not: open sockets itself (links connect lazily) or watch anything.
import type { PoolConfig } from '../config/index.js';
import { parseServer } from '../config/specs.js';
import { ConfigError } from '../errors/index.js';
import type { Distribution, HashName, Ring } from '../ring/index.js';
import type { RingSpec } from '../topology/plan.js';
import { identityOf, ringOf, ringSpecOf } from '../topology/topology.js';
import type { RedisAddress } from '../redis/connection.js';
import { NodeLink, type LinkOptions } from './node-link.js';

/** A server of the ring, as the client sees it. */
export interface RingServerInfo {
  /** as GET /ring shows it: the server's name, else host:port */
  readonly name: string;
  /** what the ring hashes for it */
  readonly identity: string;
  readonly address: string;
  readonly weight: number;
  readonly live: boolean;
}

/** A pool's ring as described by its source, with which servers are live. */
export interface PoolDescription {
  readonly spec: RingSpec;
  readonly live: readonly boolean[];
}

export class RingState {
  readonly pool: string;
  readonly version: number;
  readonly hashTag: string | null;
  readonly servers: readonly RingServerInfo[];
  readonly ring: Ring;
  /** by ring index */
  readonly links: readonly NodeLink[];
  readonly spec: RingSpec;
  /** what the ring and its addresses are, version included: equal fingerprints route alike */
  readonly fingerprint: string;

  constructor(pool: string, d: PoolDescription, opts: LinkOptions, reuse: RingState | null) {
    const { spec, live } = d;
    this.pool = pool;
    this.version = spec.version;
    this.hashTag = spec.hashTag;
    this.spec = spec;
    this.fingerprint = fingerprintOf(d);
    this.ring = ringOf(spec, live);
    this.servers = Object.freeze(spec.servers.map((s, i) => Object.freeze({
      name: s.label, identity: s.identity, address: s.path ?? `${s.host}:${s.port}`, weight: s.weight, live: live[i] === true,
    })));
    const old = new Map<string, NodeLink>();
    if (reuse !== null) reuse.servers.forEach((s, i) => old.set(`${s.identity}\u0000${s.address}`, reuse.links[i]!));
    this.links = spec.servers.map((s, i) => {
      const info = this.servers[i]!;
      const kept = old.get(`${info.identity}\u0000${info.address}`);
      if (kept !== undefined) return kept;
      const address: RedisAddress = s.path !== null ? { path: s.path } : { host: s.host ?? '127.0.0.1', port: s.port };
      return new NodeLink(s.label, address, opts);
    });
  }

  /** The links of `older` this state no longer uses (to be closed). */
  droppedFrom(older: RingState): NodeLink[] {
    const mine = new Set(this.links);
    return older.links.filter((l) => !mine.has(l));
  }
}

/** Equal for two descriptions that route every key to the same address (and have the same version). */
export function fingerprintOf(d: PoolDescription): string {
  const { spec } = d;
  return JSON.stringify([spec.version, spec.distribution, spec.hash, spec.hashTag, spec.servers.map((s, i) => [s.identity, s.label, s.weight, s.host, s.port, s.path, d.live[i]])]);
}

/** A config file's pool: every server live (the file knows no health). */
export function describeConfigPool(pool: PoolConfig, version: number): PoolDescription {
  const spec = ringSpecOf(pool, version);
  return { spec, live: spec.servers.map(() => true) };
}

export interface ServersOptions {
  servers: readonly string[];
  hash?: HashName;
  distribution?: Distribution;
  hashTag?: string | null;
}

/** Server lines as a config file writes them (`host:port:weight [name]`); nutcracker's defaults otherwise. */
export function describeServers(o: ServersOptions, version: number): PoolDescription {
  if (!Array.isArray(o.servers) || o.servers.length === 0) throw new ConfigError('servers: give at least one "host:port:weight [name]"', { key: 'servers' });
  const servers = o.servers.map((line) => {
    const p = parseServer(line);
    if (typeof p === 'string') throw new ConfigError(`server '${line}' ${p}`, { key: 'servers' });
    return { identity: identityOf(p), label: p.label, weight: p.weight, host: p.host, port: p.port, path: p.path };
  });
  const spec: RingSpec = { version, distribution: o.distribution ?? 'ketama', hash: o.hash ?? 'fnv1a_64', hashTag: o.hashTag ?? null, servers };
  // Fails here (not at the first request) on a bad hash, distribution, tag, weight or duplicate name.
  ringOf(spec);
  return { spec, live: servers.map(() => true) };
}

interface RingJsonServer { name: string; identity: string; address: string; weight: number; live: boolean }
interface RingJsonPool { version: number; distribution: Distribution; hash: HashName; hash_tag: string | null; servers: RingJsonServer[] }

/** One pool of a GET /ring answer. Throws ConfigError when the pool is missing or the answer is not a ring. */
export function describeRingJson(json: unknown, pool: string, source: string): PoolDescription {
  const pools = (json as { pools?: Record<string, RingJsonPool> } | null)?.pools;
  const p = pools?.[pool];
  if (p === undefined || !Array.isArray(p.servers) || typeof p.version !== 'number') {
    throw new ConfigError(`${source} has no pool '${pool}'${pools ? ` (pools: ${Object.keys(pools).join(', ')})` : ''}`, { key: 'pool' });
  }
  const servers = p.servers.map((s) => ({ identity: s.identity, label: s.name, weight: s.weight, ...splitAddress(s.address) }));
  return { spec: { version: p.version, distribution: p.distribution, hash: p.hash, hashTag: p.hash_tag, servers }, live: p.servers.map((s) => s.live) };
}

/** `d` with server `name` moved to `address` (a failover event), as ring version `version`; null when it has no such server. */
export function withAddress(d: PoolDescription, name: string, address: string, version: number): PoolDescription | null {
  const i = d.spec.servers.findIndex((s) => s.label === name);
  if (i < 0) return null;
  const servers = d.spec.servers.map((s, j) => (j === i ? { ...s, ...splitAddress(address) } : s));
  return { spec: { ...d.spec, version, servers }, live: d.live };
}

function splitAddress(a: string): { host: string | null; port: number; path: string | null } {
  if (a.startsWith('/')) return { host: null, port: 0, path: a };
  const c = a.lastIndexOf(':');
  const host = a.slice(0, c);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(a.slice(c + 1)), path: null };
}
