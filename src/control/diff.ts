// What changed between two configs, in the words a reload reports: per pool
// whether it was added, removed or changed, which servers came, went or
// changed (weight, address), whether its listener moves, and which settings
// apply live and which need a restart. Pure; must not apply anything.
import type { Config, PoolConfig, ShardgateSettings } from '../config/index.js';
import { identityOf } from '../topology/topology.js';

export interface PoolDiff {
  readonly pool: string;
  readonly kind: 'added' | 'removed' | 'changed' | 'same';
  /** server labels */
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly listenChanged: boolean;
  /** the pool's settings other than servers and listen that differ */
  readonly settings: string[];
}

export interface ConfigDiff {
  readonly pools: PoolDiff[];
  /** human-readable items, for the reload's answer and event */
  readonly live: string[];
  readonly restart: string[];
}

const listenText = (p: PoolConfig): string => p.listen.path ?? `${p.listen.host}:${p.listen.port}`;

/** Pool settings compared one by one (servers and listen are compared apart). */
const POOL_SETTINGS: readonly (keyof PoolConfig)[] = [
  'hash', 'hashTag', 'distribution', 'timeout', 'backlog', 'clientConnections', 'preconnect', 'redisAuth', 'redisDb',
  'serverConnections', 'autoEjectHosts', 'serverRetryTimeout', 'serverFailureLimit', 'tcpkeepalive', 'migration', 'migrationRate', 'proxyProtocol',
  'replicas', 'sentinel', 'readFrom', 'tls', 'backendTls', 'backendAuth', 'backendAuthServers',
];
/** The file's key for each setting, as users write it. */
const FILE_KEY: Partial<Record<keyof PoolConfig, string>> = {
  hashTag: 'hash_tag', clientConnections: 'client_connections', redisAuth: 'redis_auth', redisDb: 'redis_db',
  serverConnections: 'server_connections', autoEjectHosts: 'auto_eject_hosts', serverRetryTimeout: 'server_retry_timeout',
  serverFailureLimit: 'server_failure_limit', migrationRate: 'shardgate.migration_rate', migration: 'shardgate.migration',
  replicas: 'shardgate.replicas', sentinel: 'shardgate.sentinel', readFrom: 'shardgate.read_from',
  proxyProtocol: 'shardgate.proxy_protocol (for new connections)',
  tls: 'shardgate.tls (certificates re-read; established connections keep theirs)',
  backendTls: 'shardgate.backend_tls (new backend connections)',
  backendAuth: 'shardgate.backend_auth (new backend connections)',
  backendAuthServers: 'shardgate.backend_auth_servers (new backend connections)',
};

export function diffPool(a: PoolConfig | undefined, b: PoolConfig | undefined): PoolDiff {
  const name = (a ?? b)!.name;
  if (a === undefined) return { pool: name, kind: 'added', added: b!.servers.map((s) => s.label), removed: [], changed: [], listenChanged: true, settings: [] };
  if (b === undefined) return { pool: name, kind: 'removed', added: [], removed: a.servers.map((s) => s.label), changed: [], listenChanged: true, settings: [] };
  const before = new Map(a.servers.map((s) => [identityOf(s), s]));
  const after = new Map(b.servers.map((s) => [identityOf(s), s]));
  const added = b.servers.filter((s) => !before.has(identityOf(s))).map((s) => s.label);
  const removed = a.servers.filter((s) => !after.has(identityOf(s))).map((s) => s.label);
  const changed: string[] = [];
  for (const [id, s] of after) {
    const o = before.get(id);
    if (o !== undefined && (o.weight !== s.weight || o.host !== s.host || o.port !== s.port || o.path !== s.path || o.label !== s.label)) changed.push(s.label);
  }
  const settings = POOL_SETTINGS.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => FILE_KEY[k] ?? k);
  const listenChanged = listenText(a) !== listenText(b) || a.listen.mode !== b.listen.mode;
  const orderChanged = a.servers.map((s) => s.spec).join('\n') !== b.servers.map((s) => s.spec).join('\n');
  const same = added.length === 0 && removed.length === 0 && changed.length === 0 && settings.length === 0 && !listenChanged && !orderChanged;
  return { pool: name, kind: same ? 'same' : 'changed', added, removed, changed, listenChanged, settings };
}

function diffSettings(a: ShardgateSettings, b: ShardgateSettings, live: string[], restart: string[]): void {
  if (a.admin.listen !== b.admin.listen) live.push(`admin API now on ${b.admin.listen ?? 'nothing (closed)'}`);
  if (a.admin.token !== b.admin.token || a.admin.authReads !== b.admin.authReads) live.push('admin API token / auth_reads');
  if (JSON.stringify(a.admin.tls) !== JSON.stringify(b.admin.tls)) {
    live.push(b.admin.tls === null ? 'admin API TLS off (plain HTTP)' : 'shardgate.admin.tls (certificates re-read; established connections keep theirs)');
  }
  if (a.logLevel !== b.logLevel) live.push(`log_level ${b.logLevel}`);
  if (JSON.stringify(a.users) !== JSON.stringify(b.users)) live.push('users (new AUTH and every next command of a user see the new rules)');
  if (a.watch !== b.watch) live.push(`watch ${b.watch}`);
  if (a.metrics.enabled !== b.metrics.enabled) live.push(`metrics ${b.metrics.enabled ? 'enabled' : 'disabled'}`);
  if (a.metrics.infoInterval !== b.metrics.infoInterval) live.push(`metrics.info_interval ${b.metrics.infoInterval} ms`);
  if (a.slowlog.thresholdUs !== b.slowlog.thresholdUs || a.slowlog.maxLen !== b.slowlog.maxLen) {
    live.push(`slowlog threshold_us ${b.slowlog.thresholdUs}, max_len ${b.slowlog.maxLen}`);
  }
  if (a.drainTimeout !== b.drainTimeout) live.push(`drain_timeout ${b.drainTimeout} ms`);
  const sizes = (l: ShardgateSettings['limits']) => [l.maxRequestBytes, l.maxArgs, l.maxBulkBytes].join();
  if (sizes(a.limits) !== sizes(b.limits)) live.push('limits: request sizes (for new connections)');
  if (a.limits.idleTimeout !== b.limits.idleTimeout) live.push(`limits.idle_timeout ${b.limits.idleTimeout} s (every client)`);
  if (a.limits.maxClients !== b.limits.maxClients) live.push(`limits.max_clients ${b.limits.maxClients} (new connections)`);
  if (a.workers !== b.workers) restart.push(`shardgate.workers (${a.workers} -> ${b.workers}): the number of processes is fixed at start`);
  if (a.stats.listen !== b.stats.listen) restart.push('shardgate.stats.listen: the stats port opens at start');
}

export function diffConfig(a: Config, b: Config): ConfigDiff {
  const names = [...new Set([...a.pools.map((p) => p.name), ...b.pools.map((p) => p.name)])];
  const pools = names.map((n) => diffPool(a.pools.find((p) => p.name === n), b.pools.find((p) => p.name === n)));
  const live: string[] = [];
  const restart: string[] = [];
  for (const d of pools) {
    const pb = b.pools.find((p) => p.name === d.pool);
    const pa = a.pools.find((p) => p.name === d.pool);
    if (d.kind === 'added') live.push(`pool ${d.pool} added (listening on ${listenText(pb!)})`);
    else if (d.kind === 'removed') live.push(`pool ${d.pool} removed (its clients are closed once answered)`);
    else if (d.kind === 'changed') {
      if (d.added.length) live.push(`pool ${d.pool}: servers added: ${d.added.join(', ')}`);
      if (d.removed.length) live.push(`pool ${d.pool}: servers removed: ${d.removed.join(', ')} (their connections drain)`);
      if (d.changed.length) live.push(`pool ${d.pool}: servers changed: ${d.changed.join(', ')}`);
      if (d.listenChanged) live.push(`pool ${d.pool}: listens on ${listenText(pb!)} (clients of ${listenText(pa!)} stay connected)`);
      for (const k of d.settings) {
        if (k === 'backlog' && !d.listenChanged) restart.push(`pool ${d.pool}: backlog (applies when a listener opens: a restart or a listen change)`);
        else live.push(`pool ${d.pool}: ${k}`);
      }
      if (d.added.length + d.removed.length + d.changed.length + d.settings.length === 0 && !d.listenChanged) live.push(`pool ${d.pool}: server order`);
    }
  }
  diffSettings(a.shardgate, b.shardgate, live, restart);
  return { pools, live, restart };
}
