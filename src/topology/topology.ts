// A pool's topology: its config, its servers with their backends, the ring
// over the live ones and the rings before it that key migration still
// consults — built and checked completely, then swapped in by one reference
// (PoolRuntime). Immutable once built. A server's ring identity is what the
// ring hashes for it (its name, or its address when unnamed), so a server that
// keeps its name keeps its keys when its address changes.
// Must not: open listeners, decide health, or keep anything per request.
import type { PoolConfig, ServerConfig } from '../config/index.js';
import { buildRing, serverHashName, type Ring } from '../ring/index.js';
import type { BackendRegistry, BackendSignals, BackendSpec, ServerBackend } from './registry.js';
import type { CounterStore } from './counters.js';
import type { HostPort, PoolPlan, RingSpec } from './plan.js';
import { credentialsFor } from '../security/backend-auth.js';

export interface TopologyServer {
  /** position in the pool's `servers` (config order); what the ring returns */
  readonly index: number;
  readonly identity: string;
  readonly label: string;
  readonly config: ServerConfig;
  /** its RESP2 connections, and the RESP3 ones (opened with HELLO 3) that RESP3 clients use */
  readonly backend: ServerBackend;
  readonly backend3: ServerBackend;
  /** false while health has it out of the ring */
  readonly live: boolean;
  /** false while heartbeats see it down (in the ring or not) */
  readonly healthy: boolean;
  /** where it is reached now: its config address, or where a failover moved it */
  readonly address: string;
  /** backends of its replicas that serve reads (read_from), best first; empty = none */
  readonly readBackends: readonly ServerBackend[];
}

/** A ring of an earlier version, for keys that may still sit on their previous owner. */
export interface PriorRing {
  readonly version: number;
  readonly ring: Ring;
  /** by ring index: the identity and the backend to reach that server */
  readonly identities: readonly string[];
  readonly backends: readonly ServerBackend[];
}

export interface PoolTopology {
  readonly version: number;
  readonly config: PoolConfig;
  readonly servers: readonly TopologyServer[];
  /** over the live servers: what requests use */
  readonly ring: Ring;
  /** over every server, as if all were live: whose key it is by config, for migration */
  readonly fullRing: Ring;
  /** newest first; empty when no migration is pending */
  readonly prior: readonly PriorRing[];
  /** every backend this topology holds (servers and prior-only ones), for release */
  readonly held: readonly ServerBackend[];
  /** the plan's failover state it was built from (addresses, unhealthy, read replicas), to tell when a plan changes it */
  readonly failoverKey: string;
}

export function identityOf(s: ServerConfig): string {
  return serverHashName(s.host ?? s.path ?? '', s.port, s.weight, s.name);
}

/** The ring spec of a pool config with every server live. */
export function ringSpecOf(config: PoolConfig, version: number): RingSpec {
  return {
    version,
    distribution: config.distribution,
    hash: config.hash,
    hashTag: config.hashTag,
    servers: config.servers.map((s) => ({ identity: identityOf(s), label: s.label, weight: s.weight, host: s.host, port: s.port, path: s.path })),
  };
}

export function ringOf(spec: RingSpec, live?: readonly boolean[]): Ring {
  return buildRing({
    distribution: spec.distribution, hash: spec.hash, hashTag: spec.hashTag,
    servers: spec.servers.map((s) => ({ name: s.identity, weight: s.weight })), live,
  });
}

/** Whether two specs place every key the same way. */
export function samePlacement(a: RingSpec, b: RingSpec): boolean {
  if (a.distribution !== b.distribution || a.hash !== b.hash || a.hashTag !== b.hashTag || a.servers.length !== b.servers.length) return false;
  const key = (s: RingSpec['servers'][number]) => `${s.identity}\u0000${s.weight}`;
  // The ring orders servers by name whatever the file's order (as nutcracker does).
  const left = a.servers.map(key).sort();
  const right = b.servers.map(key).sort();
  return left.every((k, i) => k === right[i]);
}

export interface BuildInputs {
  readonly config: PoolConfig;
  readonly version: number;
  /** identities health has out of the ring */
  readonly down: ReadonlySet<string>;
  readonly prior: readonly RingSpec[];
  /** the plan's failover state: moved addresses, unhealthy servers, read replicas */
  readonly failover?: Pick<PoolPlan, 'addresses' | 'unhealthy' | 'readReplicas'>;
  readonly registry: BackendRegistry;
  readonly counters: CounterStore;
  readonly signals: BackendSignals;
}

/** `owner`: the server label whose credentials apply (a replica's read connections use its master's). */
function specFor(config: PoolConfig, s: { identity: string; label: string; host: string | null; port: number; path: string | null }, owner: string, protocol: 2 | 3): BackendSpec {
  const cred = credentialsFor(config, owner);
  return {
    pool: config.name, identity: s.identity, label: s.label, host: s.host, port: s.port, path: s.path,
    auth: cred?.password ?? null, authUser: cred?.username ?? null, db: config.redisDb, keepalive: config.tcpkeepalive, timeout: config.timeout, connections: config.serverConnections, protocol,
    tls: config.backendTls,
  };
}

/** Build a topology; its backends are acquired from the registry (shared with the topology it replaces where they agree). */
export function buildTopology(b: BuildInputs): PoolTopology {
  const { config, registry, counters, signals } = b;
  const held: ServerBackend[] = [];
  const acquire = (s: Parameters<typeof specFor>[1], owner: string = s.label, protocol: 2 | 3 = 2): ServerBackend => {
    const backend = registry.acquire(specFor(config, s, owner, protocol), counters.server(config.name, s.label), signals);
    held.push(backend);
    return backend;
  };
  const f = b.failover ?? {};
  const unhealthy = new Set(f.unhealthy ?? []);
  const servers: TopologyServer[] = config.servers.map((sc, index) => {
    const identity = identityOf(sc);
    const moved: HostPort | undefined = f.addresses?.[identity];
    const at = moved !== undefined ? { host: moved.host, port: moved.port, path: null } : { host: sc.host, port: sc.port, path: sc.path };
    const readBackends = (f.readReplicas?.[identity] ?? []).map((r) => acquire({ identity: replicaIdentity(identity, r), label: `${sc.label}@${r.host}:${r.port}`, host: r.host, port: r.port, path: null }, sc.label));
    // The RESP3 connections open only when a RESP3 client first needs them (preconnect opens the RESP2 ones).
    return {
      index, identity, label: sc.label, config: sc, backend: acquire({ identity, label: sc.label, ...at }), backend3: acquire({ identity, label: sc.label, ...at }, sc.label, 3),
      live: !b.down.has(identity), healthy: !b.down.has(identity) && !unhealthy.has(identity), address: at.path ?? `${at.host}:${at.port}`, readBackends,
    };
  });
  const current = ringSpecOf(config, b.version);
  const ring = ringOf(current, servers.map((s) => s.live));
  const fullRing = ringOf(current);
  const byIdentity = new Map(servers.map((s) => [s.identity, s.backend]));
  const prior: PriorRing[] = b.prior.map((spec) => ({
    version: spec.version,
    ring: ringOf(spec),
    identities: spec.servers.map((s) => s.identity),
    // A server still in the pool is reached where it is now; one that left, where it was.
    backends: spec.servers.map((s) => byIdentity.get(s.identity) ?? acquire(s)),
  }));
  if (config.preconnect) for (const s of servers) s.backend.connect();
  return { version: b.version, config, servers, ring, fullRing, prior, held, failoverKey: failoverKeyOf(f) };
}

/** What a plan's failover state is, as one comparable string. */
export function failoverKeyOf(f: Pick<PoolPlan, 'addresses' | 'unhealthy' | 'readReplicas'>): string {
  return JSON.stringify([f.addresses ?? {}, [...(f.unhealthy ?? [])].sort(), f.readReplicas ?? {}]);
}

/** The registry identity of a replica's read connections: not a ring identity, so their failures are not the master's. */
function replicaIdentity(identity: string, r: HostPort): string {
  return `${identity}\u0000replica ${r.host}:${r.port}`;
}

/** The topology is no longer routed to: its backends drain unless a newer topology holds them. */
export function releaseTopology(t: PoolTopology, registry: BackendRegistry): void {
  for (const b of t.held) registry.release(b);
}
