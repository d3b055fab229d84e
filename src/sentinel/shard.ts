// One shard of a pool under `sentinel:` — a server's ring identity and the
// nodes that can be its master (the configured master and its replicas, plus
// wherever a failover put it) — watched by one heartbeat probe per node.
// From what the probes see it tells the controller the master's health and,
// with `failover: local`, promotes the healthy replica with the highest
// replication offset when the master is down (REPLICAOF NO ONE, then the
// controller moves the identity's address, then the other replicas follow
// the new master); keeps one master per shard (an old master that comes back
// is made a replica, a replica that follows another node is repointed);
// adopts a promotion made elsewhere (the configured master reports itself a
// replica of another member that is master); and lists the replicas that may
// serve reads. With `failover: redis-sentinel` it only reports health and
// read replicas: Sentinel promotes, and sentinel-follower.ts moves addresses.
// Must not: touch the proxy's sockets or rings, or decide versions.
import type { Logger } from 'pino';
import type { BackendTls, FailoverMode, ReadFrom } from '../config/index.js';
import { backendTlsOptions } from '../security/tls-backend.js';
import { RespError } from '../redis/connection.js';
import { NodeProbe } from './heartbeat.js';
import { addressText, sameAddress, type FailoverControl, type HostPort } from './types.js';

export interface ShardSpec {
  readonly pool: string;
  readonly identity: string;
  readonly label: string;
  /** the master in the config file */
  readonly configured: HostPort;
  readonly replicas: readonly HostPort[];
}

export interface ShardOptions {
  readonly mode: FailoverMode;
  readonly heartbeatMs: number;
  readonly downAfter: number;
  /** what the heartbeats authenticate with (the server's backend credentials; its replicas get the same) */
  readonly auth: { username?: string; password: string } | null;
  /** the pool's backend_tls: the heartbeats speak TLS to every node of the shard; null: plaintext */
  readonly tls: BackendTls | null;
  readonly readFrom: ReadFrom;
  readonly control: FailoverControl;
  readonly log: Logger;
}

/** How long after a REPLICAOF sent to a node another one may be sent to it (it takes a moment to show in INFO). */
const ADMIN_PAUSE_MS = 2000;
/** A replica whose link to its master was last seen up longer ago than this (beyond the misses that made the master down) is not promoted. */
const IN_SYNC_GRACE_MS = 10_000;

export class ShardWatch {
  readonly spec: ShardSpec;
  readonly #o: ShardOptions;
  readonly #probes = new Map<string, NodeProbe>();
  readonly #adminAt = new Map<string, number>();
  /** node -> the master we last told it to follow (so a name it reports differently, say a host name for our IP, does not make us resync it again and again) */
  readonly #pointedAt = new Map<string, string>();
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #again = false;
  #failingOver = false;
  #stopped = false;
  #reported: string | null = null;
  /** the last failover attempt found nothing to promote (logged once) */
  #nothingToPromote = false;

  constructor(spec: ShardSpec, o: ShardOptions) {
    this.spec = spec;
    this.#o = o;
    for (const a of [spec.configured, ...spec.replicas]) this.#probe(a);
  }

  start(): void {
    for (const p of this.#probes.values()) p.start();
    this.#timer = setInterval(() => this.evaluate(), this.#o.heartbeatMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    for (const p of this.#probes.values()) p.stop();
  }

  /** The proxy's traffic to this shard's master failed: confirm with a heartbeat now. */
  suspect(): void {
    this.#probes.get(addressText(this.#current()))?.suspect();
  }

  /** What the probes see, for GET /ring-like views and logs. */
  nodes(): { address: string; up: boolean; role: string | null; offset: number; link: boolean }[] {
    return [...this.#probes.values()].map((p) => ({ address: addressText(p.address), up: p.up, role: p.info.role, offset: p.info.offset, link: p.info.linkUp }));
  }

  #probe(a: HostPort): NodeProbe {
    const key = addressText(a);
    let p = this.#probes.get(key);
    if (p === undefined) {
      const tls = this.#o.tls === null ? null : backendTlsOptions(this.#o.tls, a.host);
      p = new NodeProbe({ host: a.host, port: a.port }, { intervalMs: this.#o.heartbeatMs, downAfter: this.#o.downAfter, auth: this.#o.auth, tls, onChange: () => this.evaluate() });
      this.#probes.set(key, p);
      if (this.#timer !== null) p.start();
    }
    return p;
  }

  #current(): HostPort {
    return this.#o.control.addressOf(this.spec.pool, this.spec.identity) ?? this.spec.configured;
  }

  /** Look at the probes and act; one evaluation at a time (a change during one runs another after it). */
  evaluate(): void {
    if (this.#stopped) return;
    if (this.#running) { this.#again = true; return; }
    this.#running = true;
    void this.#evaluate().catch((err: Error) => this.#o.log.error({ err, pool: this.spec.pool, server: this.spec.label }, 'sentinel: evaluating a shard failed'))
      .finally(() => {
        this.#running = false;
        if (this.#again) { this.#again = false; this.evaluate(); }
      });
  }

  async #evaluate(): Promise<void> {
    const { pool, identity, label } = this.spec;
    const o = this.#o;
    const cur = this.#current();
    const p = this.#probe(cur);
    if (!p.known) return;
    const others = [...this.#probes.values()].filter((x) => !sameAddress(x.address, cur));
    const canFailover = o.mode === 'redis-sentinel' || (o.mode === 'local' && others.length > 0);
    if (!p.up) {
      this.#report('down', () => o.control.serverHealth(pool, identity, false,
        `${label} (${addressText(cur)}) missed ${p.misses} heartbeats: ${p.lastError ?? 'no answer'}`, !canFailover));
      if (o.mode === 'local' && others.length > 0) await this.#failover(cur, others);
      o.control.setReadReplicas(pool, identity, []);
      return;
    }
    this.#report('up', () => o.control.serverHealth(pool, identity, true, `heartbeats from ${addressText(cur)} answer`, false));
    if (o.mode === 'local') {
      const master = p.info.role === 'slave' && p.info.master !== null ? others.find((x) => sameAddress(x.address, p.info.master!)) : undefined;
      if (master !== undefined && master.up && master.info.role === 'master') {
        await o.control.moveServer(pool, identity, master.address, 'discovered', `${addressText(cur)} reports itself a replica of ${addressText(master.address)}, which is master`);
        return;
      }
      // The node we route to follows a node of the shard that is down or is a replica itself (a restarted
      // node came back with its old --replicaof; two nodes following each other): nobody can take writes.
      if (p.info.role === 'slave' && p.info.master !== null && master !== undefined && !others.some((x) => x.up && x.info.role === 'master')) {
        await this.#promoteCurrent(p, `it followed ${addressText(p.info.master)}, which is ${master.up ? 'a replica too' : 'down'}, and no node of the shard is master`);
        return;
      }
      if (p.info.role === 'master') await this.#keepOneMaster(cur, others);
    }
    if (o.readFrom !== 'master') {
      const readable = others.filter((x) => x.up && x.info.role === 'slave' && x.info.linkUp && x.info.master !== null && sameAddress(x.info.master, cur));
      readable.sort((a, b) => b.info.offset - a.info.offset);
      o.control.setReadReplicas(pool, identity, readable.map((x) => x.address));
    }
  }

  /** Tell the controller only what changed (it would ignore a repeat anyway; this keeps the logs quiet). */
  #report(state: 'up' | 'down', tell: () => void): void {
    if (this.#reported === state) return;
    this.#reported = state;
    tell();
  }

  async #failover(dead: HostPort, others: NodeProbe[]): Promise<void> {
    if (this.#failingOver) return;
    this.#failingOver = true;
    const { pool, identity, label } = this.spec;
    const log = this.#o.log;
    try {
      // A replica that never finished its first sync (or lost its master long ago) holds nothing worth promoting: it would empty the shard.
      const recent = Date.now() - this.#o.downAfter * this.#o.heartbeatMs - IN_SYNC_GRACE_MS;
      const replicas = others.filter((x) => x.known && x.up && x.info.role === 'slave');
      const candidates = replicas.filter((x) => x.linkUpAt > 0 && x.linkUpAt >= recent);
      candidates.sort((a, b) => b.info.offset - a.info.offset);
      if (candidates.length === 0) {
        if (!this.#nothingToPromote) {
          const why = replicas.length === 0 ? 'no replica answers as a replica' : `no replica was in sync with it lately (${replicas.map((x) => addressText(x.address)).join(', ')} never synced or lost it long ago)`;
          log.error({ pool, server: label }, `sentinel: ${label}'s master ${addressText(dead)} is down and ${why}: nothing to promote`);
        }
        this.#nothingToPromote = true;
        return;
      }
      this.#nothingToPromote = false;
      let chosen: NodeProbe | null = null;
      for (const c of candidates) {
        const r = await c.command(['REPLICAOF', 'NO', 'ONE']).catch((err: Error) => new RespError(`ERR ${err.message}`));
        if (r instanceof RespError) {
          log.error({ pool, server: label, replica: addressText(c.address) }, `sentinel: REPLICAOF NO ONE refused by ${addressText(c.address)}: ${r.message}`);
          continue;
        }
        chosen = c;
        break;
      }
      if (chosen === null) return;
      this.#adminAt.set(addressText(chosen.address), Date.now());
      chosen.info = { ...chosen.info, role: 'master', master: null, linkUp: false };
      const reason = `master ${addressText(dead)} missed ${this.#o.downAfter} heartbeats; promoted the replica with the highest replication offset (${chosen.info.offset})`;
      await this.#o.control.moveServer(pool, identity, chosen.address, 'local', reason);
      for (const c of replicas) if (c !== chosen) await this.#follow(c, chosen.address, 'repointed to the promoted replica');
    } finally {
      this.#failingOver = false;
    }
  }

  async #promoteCurrent(p: NodeProbe, why: string): Promise<void> {
    const key = addressText(p.address);
    if (Date.now() - (this.#adminAt.get(key) ?? 0) < ADMIN_PAUSE_MS) return;
    this.#adminAt.set(key, Date.now());
    const r = await p.command(['REPLICAOF', 'NO', 'ONE']).catch((err: Error) => new RespError(`ERR ${err.message}`));
    const { pool, label } = this.spec;
    if (r instanceof RespError) this.#o.log.error({ pool, server: label, node: key }, `sentinel: REPLICAOF NO ONE refused by ${key}: ${r.message}`);
    else this.#o.log.warn({ pool, server: label, node: key }, `sentinel: ${key} made master again (${why})`);
  }

  /** Every other node that answers follows `master`: an old master that came back is demoted, a stray replica repointed. */
  async #keepOneMaster(master: HostPort, others: NodeProbe[]): Promise<void> {
    for (const x of others) {
      if (!x.known || !x.up) continue;
      if (x.info.role === 'master') await this.#follow(x, master, 'a second master (the old master back?) made a replica of the current one');
      else if (x.info.role === 'slave' && (x.info.master === null || !sameAddress(x.info.master, master)) && this.#pointedAt.get(addressText(x.address)) !== addressText(master)) {
        await this.#follow(x, master, 'followed another node');
      }
    }
  }

  async #follow(x: NodeProbe, master: HostPort, why: string): Promise<void> {
    const key = addressText(x.address);
    if (Date.now() - (this.#adminAt.get(key) ?? 0) < ADMIN_PAUSE_MS) return;
    this.#adminAt.set(key, Date.now());
    const { pool, label } = this.spec;
    const r = await x.command(['REPLICAOF', master.host, String(master.port)]).catch((err: Error) => new RespError(`ERR ${err.message}`));
    if (r instanceof RespError) {
      this.#o.log.error({ pool, server: label, node: key }, `sentinel: REPLICAOF ${addressText(master)} refused by ${key}: ${r.message}`);
      return;
    }
    this.#pointedAt.set(key, addressText(master));
    this.#o.log.warn({ pool, server: label, node: key, master: addressText(master) }, `sentinel: ${key} is now a replica of ${addressText(master)} (${why})`);
  }
}
