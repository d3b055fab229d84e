// The sentinel module: for every pool with `sentinel:` in the config in
// force, a ShardWatch per server (heartbeats, health, local failover, one
// master per shard, read replicas) and, with `failover: redis-sentinel`, a
// SentinelFollower. Runs in the process that runs the controller (the primary
// under -w N), so one process decides and every worker follows its plans.
// A reload restarts the watches of a pool whose relevant settings changed and
// leaves the others running. Must not: touch the proxy's sockets.
import type { Logger } from 'pino';
import type { Config, PoolConfig } from '../config/index.js';
import { identityOf } from '../topology/topology.js';
import { connectionAuth, credentialsFor, secretDigest } from '../security/backend-auth.js';
import { ShardWatch } from './shard.js';
import { SentinelFollower } from './sentinel-follower.js';
import type { FailoverControl, PassiveSignals } from './types.js';

interface PoolWatch {
  key: string;
  shards: Map<string, ShardWatch>;
  follower: SentinelFollower | null;
}

/** What of a pool's config the watches are made from: a change restarts them. */
function watchKey(pc: PoolConfig): string {
  // credentials as digests: the key is a comparison only, but it must not hold a password
  const creds = pc.servers.map((s) => { const c = credentialsFor(pc, s.label); return c === null ? null : [c.username, secretDigest(c.password)]; });
  return JSON.stringify([pc.sentinel, pc.replicas, pc.servers.map((s) => s.spec), creds, pc.readFrom, pc.backendTls]);
}

export class SentinelManager implements PassiveSignals {
  readonly #control: FailoverControl;
  readonly #log: Logger;
  readonly #pools = new Map<string, PoolWatch>();

  constructor(control: FailoverControl, log: Logger) {
    this.#control = control;
    this.#log = log;
  }

  /** Start, keep or stop each pool's watches to match `config`. */
  configure(config: Config): void {
    const wanted = new Map(config.pools.filter((p) => p.sentinel !== null).map((p) => [p.name, p]));
    for (const [name, w] of this.#pools) {
      const pc = wanted.get(name);
      if (pc === undefined || watchKey(pc) !== w.key) this.#stopPool(name, w);
    }
    for (const [name, pc] of wanted) if (!this.#pools.has(name)) this.#startPool(pc);
  }

  #startPool(pc: PoolConfig): void {
    const st = pc.sentinel!;
    const log = this.#log.child({ pool: pc.name });
    const shards = new Map<string, ShardWatch>();
    for (const s of pc.servers) {
      if (s.host === null) continue;
      const identity = identityOf(s);
      shards.set(identity, new ShardWatch(
        { pool: pc.name, identity, label: s.label, configured: { host: s.host, port: s.port }, replicas: pc.replicas[s.label] ?? [] },
        { mode: st.failover, heartbeatMs: st.heartbeatMs, downAfter: st.downAfter, auth: connectionAuth(credentialsFor(pc, s.label)), tls: pc.backendTls, readFrom: pc.readFrom, control: this.#control, log },
      ));
    }
    const follower = st.failover === 'redis-sentinel'
      ? new SentinelFollower(pc.name, pc.servers.map((s) => ({ identity: identityOf(s), label: s.label, masterName: st.masterNames[s.label] ?? s.label })), st.sentinels, this.#control, log)
      : null;
    for (const w of shards.values()) w.start();
    follower?.start();
    this.#pools.set(pc.name, { key: watchKey(pc), shards, follower });
    log.info(`sentinel: watching ${shards.size} servers of pool ${pc.name} (heartbeat ${st.heartbeatMs} ms, down after ${st.downAfter} misses, failover ${st.failover})`);
  }

  #stopPool(name: string, w: PoolWatch): void {
    for (const s of w.shards.values()) s.stop();
    w.follower?.stop();
    this.#pools.delete(name);
  }

  backendFailed(pool: string, identity: string): void {
    this.#pools.get(pool)?.shards.get(identity)?.suspect();
  }

  /** What the heartbeats see per pool and server (GET /sentinel). */
  view(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, w] of this.#pools) {
      out[name] = {
        sentinels_connected: w.follower?.connected ?? null,
        servers: [...w.shards.values()].map((s) => ({ name: s.spec.label, address: addressOrNull(this.#control, name, s.spec.identity), nodes: s.nodes() })),
      };
    }
    return out;
  }

  close(): void {
    for (const [name, w] of this.#pools) this.#stopPool(name, w);
  }
}

function addressOrNull(c: FailoverControl, pool: string, identity: string): string | null {
  const a = c.addressOf(pool, identity);
  return a === null ? null : `${a.host}:${a.port}`;
}
