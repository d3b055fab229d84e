// A pool at run time: the long-lived holder of one pool's current topology
// (swapped by one reference when a reload, a health change or a failover
// makes a new one), its counters, and the link to whoever decides health.
// Requests read the topology once per routing decision; a request already
// sent stays on the connection it was sent on. Must not: decide health (it
// reports its backends' failures to the control link) or parse config.
import type { Logger } from 'pino';
import type { PoolConfig } from '../config/index.js';
import type { FailureKind } from './backend.js';
import type { BackendSignals } from '../topology/registry.js';
import type { PoolCounters } from '../topology/counters.js';
import type { PoolTopology, TopologyServer } from '../topology/topology.js';
import type { PubSubHub } from './pubsub.js';

/** Where a pool reports what its backends' traffic shows (the controller, in this process or the primary). */
export interface ControlLink {
  backendFailed(pool: string, identity: string, label: string, kind: FailureKind, reason: string): void;
  backendRecovered(pool: string, identity: string, label: string): void;
}

/** What this process saw of a server lately (INFO shows it). */
export interface ServerObservation { failures: number; lastError: string | null }

/** Keys remembered as settled (moved, or found absent on their previous owner) per pool at most. */
const SETTLED_MAX = 100_000;

export class PoolRuntime implements BackendSignals {
  readonly name: string;
  /** whether the topology has earlier rings whose owners may still hold keys (the request path checks this one flag) */
  migrating = false;
  /** keys (latin1) that need no move any more in this migration */
  readonly settledKeys = new Set<string>();
  /** moves made on the request path: for logs and the admin API */
  readonly migrationCounters = { moved: 0, busy: 0, errors: 0 };
  readonly stats: PoolCounters;
  readonly log: Logger;
  /** the pool's pub/sub fan-out, made when a client first subscribes */
  pubsub: PubSubHub | null = null;
  readonly #control: ControlLink;
  readonly #seen = new Map<string, ServerObservation>();
  #topo: PoolTopology;

  constructor(topology: PoolTopology, stats: PoolCounters, control: ControlLink, log: Logger) {
    this.name = topology.config.name;
    this.#topo = topology;
    this.stats = stats;
    this.#control = control;
    this.log = log;
    this.migrating = topology.prior.length > 0;
  }

  get topology(): PoolTopology {
    return this.#topo;
  }

  get config(): PoolConfig {
    return this.#topo.config;
  }

  get servers(): readonly TopologyServer[] {
    return this.#topo.servers;
  }

  /** Swap in a new topology; returns the one it replaces (the caller releases it). */
  swap(t: PoolTopology): PoolTopology {
    const old = this.#topo;
    this.#topo = t;
    this.migrating = t.prior.length > 0;
    // Another ring change: what was settled against the old rings says nothing about the new ones.
    if (t.prior.length !== old.prior.length || t.prior.some((p, i) => p.version !== old.prior[i]!.version)) this.settledKeys.clear();
    // Subscribed channels follow their owner on the new ring.
    this.pubsub?.reconcile();
    return old;
  }

  settle(key: string): void {
    if (this.settledKeys.size >= SETTLED_MAX) this.settledKeys.clear();
    this.settledKeys.add(key);
  }

  /** The server for key bytes buf[start,end), or null when no server is live. */
  route(buf: Buffer, start: number, end: number): TopologyServer | null {
    const t = this.#topo;
    const i = t.ring.pick(buf, start, end);
    return i < 0 ? null : t.servers[i]!;
  }

  get liveCount(): number {
    return this.#topo.ring.liveCount;
  }

  observation(identity: string): ServerObservation {
    let o = this.#seen.get(identity);
    if (o === undefined) this.#seen.set(identity, o = { failures: 0, lastError: null });
    return o;
  }

  backendFailed(identity: string, label: string, kind: FailureKind, reason: string, failed = 0): void {
    this.stats.forward_error += failed;
    const o = this.observation(identity);
    o.failures++;
    o.lastError = reason;
    this.log.warn({ pool: this.name, server: label, failures: o.failures }, `backend failure: ${reason}`);
    this.#control.backendFailed(this.name, identity, label, kind, reason);
  }

  /** Only heartbeats act on it (Twemproxy's failure count does not count error replies). */
  backendNotServing(identity: string, label: string, reason: string): void {
    if (this.config.sentinel !== null) this.backendFailed(identity, label, 'error', reason);
  }

  backendRecovered(identity: string, label: string): void {
    this.observation(identity).failures = 0;
    this.#control.backendRecovered(this.name, identity, label);
  }
}
