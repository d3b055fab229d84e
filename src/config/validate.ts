// Cross-field checks on a schema-checked file (one field at a time is the
// schema's job), and the shaping of raw pools into the PoolConfig records the
// proxy reads. Throws ConfigError naming file, line and key. Must not read files.
import { ConfigError } from '../errors/index.js';
import type { PoolConfig, ServerConfig, ShardgateSettings } from './index.js';
import { RESERVED, type RawPool, type RawShardgate } from './schema.js';
import { formatPath, hasPath, lineOfPath, type PathPart, type YNode } from './yaml-tree.js';

export interface Where { file: string | undefined; tree: YNode | null }

export function fail(where: Where, path: PathPart[], message: string): never {
  throw new ConfigError(message, { file: where.file, line: lineOfPath(where.tree, path), key: path.length ? formatPath(path) : undefined });
}

export function buildPools(where: Where, raw: ReadonlyArray<[string, RawPool]>): PoolConfig[] {
  const pools = raw.map(([name, p]) => buildPool(where, name, p));
  const listens = new Map<string, string>();
  for (const p of pools) {
    if (p.listen.port === 0 && p.listen.path === null) continue; // each port-0 listener gets its own ephemeral port
    const addr = p.listen.path ?? `${p.listen.host}:${p.listen.port}`;
    const other = listens.get(addr);
    if (other !== undefined) fail(where, [p.name, 'listen'], `pools '${other}' and '${p.name}' have the same listen address '${addr}'`);
    listens.set(addr, p.name);
  }
  return pools;
}

function buildPool(where: Where, name: string, p: RawPool): PoolConfig {
  if (!p.redis) {
    fail(where, hasPath(where.tree, [name, 'redis']) ? [name, 'redis'] : [name],
      "shardgate speaks only the Redis protocol (memcached pools are not supported): set 'redis: true' in this pool");
  }
  const labels = new Map<string, number>();
  const servers: ServerConfig[] = p.servers.map((s, i) => {
    const prev = labels.get(s.label);
    if (prev !== undefined) fail(where, [name, 'servers', i], `duplicate server name '${s.label}' (also servers[${prev}]); give each server a distinct name`);
    labels.set(s.label, i);
    return { host: s.host, port: s.port, path: s.path, weight: s.weight, name: s.name, label: s.label, spec: s.spec };
  });
  const ext = p[RESERVED];
  return {
    name,
    listen: p.listen,
    hash: p.hash,
    hashTag: p.hash_tag ?? null,
    distribution: p.distribution,
    timeout: p.timeout ?? null,
    backlog: p.backlog,
    clientConnections: p.client_connections,
    preconnect: p.preconnect,
    redis: true,
    redisAuth: p.redis_auth ?? null,
    redisDb: p.redis_db,
    serverConnections: p.server_connections,
    autoEjectHosts: p.auto_eject_hosts,
    serverRetryTimeout: p.server_retry_timeout,
    serverFailureLimit: p.server_failure_limit,
    tcpkeepalive: p.tcpkeepalive,
    servers,
    migration: ext?.migration ?? 'off',
    migrationRate: ext?.migration_rate ?? 5000,
    proxyProtocol: ext?.proxy_protocol ?? false,
  };
}

export function buildShardgate(s: RawShardgate): ShardgateSettings {
  return {
    admin: { listen: s.admin.listen, token: s.admin.token, authReads: s.admin.auth_reads, readyMinLivePercent: s.admin.ready_min_live_percent },
    logLevel: s.log_level,
    workers: s.workers,
    stats: { listen: s.stats.listen },
    watch: s.watch,
    metrics: { enabled: s.metrics.enabled, infoInterval: s.metrics.info_interval },
    slowlog: { thresholdUs: s.slowlog.threshold_us, maxLen: s.slowlog.max_len },
    drainTimeout: s.drain_timeout,
  };
}
