// Failover for `shardgate up`'s own cluster: it starts a replica for each
// local server on port + offset, so every pool of its config that sets
// neither `replicas:` nor `sentinel:` gets those replicas and local failover
// (heartbeats every 500 ms, down after 3 misses) — killing one of its nodes
// then promotes that node's replica. A pool that configures failover itself
// is left as written. Pure: config in, config out.
import type { Config, PoolConfig, SentinelConfig } from '../config/index.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);

export const UP_SENTINEL: SentinelConfig = Object.freeze({ heartbeatMs: 500, downAfter: 3, failover: 'local', sentinels: [], masterNames: {} });

export function withLocalFailover(config: Config, replicaOffset: number): Config {
  if (replicaOffset <= 0) return config;
  const pools = config.pools.map((p): PoolConfig => {
    if (p.sentinel !== null || Object.keys(p.replicas).length > 0) return p;
    if (!p.servers.every((s) => s.host !== null && LOCAL_HOSTS.has(s.host))) return p;
    const replicas = Object.fromEntries(p.servers.map((s) => [s.label, [{ host: '127.0.0.1', port: s.port + replicaOffset }]]));
    return { ...p, replicas, sentinel: UP_SENTINEL };
  });
  return Object.freeze({ ...config, pools: Object.freeze(pools) });
}
