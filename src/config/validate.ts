// Cross-field checks on a schema-checked file (one field at a time is the
// schema's job), and the shaping of raw pools into the PoolConfig records the
// proxy reads. Throws ConfigError naming file, line and key. Reads no file
// but the certificates and keys it checks (through security/tls-files.ts).
import path from 'node:path';
import { ConfigError } from '../errors/index.js';
import type { BackendCredentials, BackendTls, ListenerTls, PoolConfig, SentinelConfig, ServerConfig, ShardgateSettings, UserConfig } from './index.js';
import { parseListen } from './specs.js';
import { RESERVED, type RawPool, type RawShardgate } from './schema.js';
import { checkPemFiles } from '../security/tls-files.js';
import { compileRules } from '../security/acl.js';
import { sha256Hex } from '../security/users.js';
import { formatPath, hasPath, lineOfPath, type PathPart, type YNode } from './yaml-tree.js';

export interface Where {
  file: string | undefined; tree: YNode | null;
  /** where relative file paths (certificates, keys) are read from; undefined = the working directory */
  baseDir: string | undefined;
}

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
    ...buildFailover(where, name, servers, ext),
    proxyProtocol: ext?.proxy_protocol ?? false,
    tls: ext?.tls === undefined ? null : buildListenerTls(where, [name, RESERVED, 'tls'], ext.tls, ext.proxy_protocol ? [name, RESERVED, 'proxy_protocol'] : null),
    backendTls: ext?.backend_tls === undefined ? null : buildBackendTls(where, name, ext.backend_tls),
    backendAuth: ext?.backend_auth === undefined ? null : { username: ext.backend_auth.username ?? null, password: ext.backend_auth.password },
    backendAuthServers: buildServerCredentials(where, name, servers, ext?.backend_auth_servers),
  };
}

/** `backend_auth_servers:`, each entry naming a server of the pool (its name, or host:port / path when unnamed). */
function buildServerCredentials(where: Where, pool: string, servers: readonly ServerConfig[], raw: NonNullable<RawPool[typeof RESERVED]>['backend_auth_servers']): Record<string, BackendCredentials> {
  const labels = new Set(servers.map((s) => s.label));
  const out: Record<string, BackendCredentials> = {};
  for (const [label, c] of Object.entries(raw ?? {})) {
    if (!labels.has(label)) {
      fail(where, [pool, RESERVED, 'backend_auth_servers', label], `names server '${label}', which is not in this pool's servers (a server is named by its name, or by host:port when it has none)`);
    }
    out[label] = { username: c.username ?? null, password: c.password };
  }
  return out;
}

type HostPort = { host: string; port: number };
const hostPortOf = (s: string): HostPort => {
  const l = parseListen(s);
  if (typeof l === 'string') throw new Error(`unchecked address '${s}'`);
  return { host: l.host!, port: l.port };
};

/** `replicas:`, `sentinel:` and `read_from:` of a pool, checked against its servers. */
function buildFailover(where: Where, pool: string, servers: readonly ServerConfig[], ext: RawPool[typeof RESERVED]): Pick<PoolConfig, 'replicas' | 'sentinel' | 'readFrom'> {
  const at = (...p: PathPart[]): PathPart[] => [pool, RESERVED, ...p];
  const labels = new Set(servers.map((s) => s.label));
  const replicas: Record<string, HostPort[]> = {};
  const masters = new Set(servers.filter((s) => s.host !== null).map((s) => `${s.host}:${s.port}`));
  const seen = new Map<string, string>();
  for (const [label, list] of Object.entries(ext?.replicas ?? {})) {
    if (!labels.has(label)) fail(where, at('replicas', label), `names server '${label}', which is not in this pool's servers`);
    const server = servers.find((s) => s.label === label)!;
    if (server.path !== null) fail(where, at('replicas', label), 'a server on a unix socket cannot have replicas (failover changes host:port)');
    replicas[label] = list.map((a, i) => {
      const other = seen.get(a);
      if (masters.has(a)) fail(where, at('replicas', label, i), `'${a}' is a server of this pool; a replica must be another address`);
      if (other !== undefined) fail(where, at('replicas', label, i), `'${a}' is also a replica of '${other}'`);
      seen.set(a, label);
      return hostPortOf(a);
    });
  }
  const raw = ext?.sentinel;
  let sentinel: SentinelConfig | null = null;
  if (raw !== undefined) {
    const sentinels = (raw.sentinels ?? []).map(hostPortOf);
    if (raw.failover === 'redis-sentinel' && sentinels.length === 0) fail(where, at('sentinel', 'failover'), "'redis-sentinel' needs 'sentinels:', the addresses of your Redis Sentinels");
    if (raw.failover !== 'redis-sentinel' && raw.sentinels !== undefined) fail(where, at('sentinel', 'sentinels'), "is only read with 'failover: redis-sentinel'");
    if (raw.failover !== 'redis-sentinel' && raw.master_names !== undefined) fail(where, at('sentinel', 'master_names'), "is only read with 'failover: redis-sentinel'");
    const masterNames: Record<string, string> = {};
    for (const [label, n] of Object.entries(raw.master_names ?? {})) {
      if (!labels.has(label)) fail(where, at('sentinel', 'master_names', label), `names server '${label}', which is not in this pool's servers`);
      masterNames[label] = n;
    }
    if (raw.failover === 'redis-sentinel') {
      for (const s of servers) {
        if (s.path !== null) fail(where, [pool, 'servers'], `server '${s.label}' is on a unix socket; Redis Sentinel reports host:port addresses`);
        masterNames[s.label] ??= s.label;
      }
    }
    sentinel = { heartbeatMs: raw.heartbeat_ms, downAfter: raw.down_after, failover: raw.failover, sentinels, masterNames };
  } else if (Object.keys(replicas).length > 0) {
    fail(where, at('replicas'), "replicas are used for failover and reads, which need 'sentinel:' (heartbeats) in this block");
  }
  const readFrom = ext?.read_from ?? 'master';
  if (readFrom !== 'master' && (sentinel === null || Object.keys(replicas).length === 0)) {
    fail(where, at('read_from'), `'${readFrom}' needs 'replicas:' and 'sentinel:' (heartbeats tell which replicas are in sync)`);
  }
  for (const s of servers) if (s.path !== null && sentinel !== null) fail(where, [pool, 'servers'], `server '${s.label}' is on a unix socket; heartbeats and failover need host:port servers`);
  return { replicas, sentinel, readFrom };
}

/** A file path of the config: relative ones are read from the config file's folder. */
export function configPath(where: Where, p: string): string {
  return where.baseDir === undefined ? p : path.resolve(where.baseDir, p);
}

const SUBJECT = /^[A-Za-z][A-Za-z0-9.]*=[^,=]+(,[A-Za-z][A-Za-z0-9.]*=[^,=]+)*$/;

/** A listener's `tls:` block (a pool's, or the admin API's at `at`); `proxyProtocol`: where the pool turns the PROXY protocol on, if it does. */
function buildListenerTls(where: Where, at: PathPart[], t: NonNullable<NonNullable<RawPool['shardgate']>['tls']>, proxyProtocol: PathPart[] | null): ListenerTls {
  if (proxyProtocol !== null) fail(where, proxyProtocol, 'not implemented yet with tls: a PROXY header before the TLS handshake; use one or the other');
  if (t.client_certs !== 'off' && t.ca === undefined) fail(where, [...at, 'client_certs'], `'${t.client_certs}' needs tls.ca: the CA that client certificates must chain to`);
  const subjects = t.allow_subjects ?? [];
  if (subjects.length > 0 && t.client_certs === 'off') fail(where, [...at, 'allow_subjects'], "needs client_certs: optional or require (with 'off' no client certificate is asked for)");
  subjects.forEach((s, i) => {
    if (!SUBJECT.test(s.replace(/\s*,\s*/g, ','))) fail(where, [...at, 'allow_subjects', i], `must be subject attributes such as 'CN=app-1' or 'CN=app-1,O=acme' (got '${s}')`);
  });
  const files = { cert: configPath(where, t.cert), key: configPath(where, t.key), ca: t.ca === undefined ? null : configPath(where, t.ca) };
  // Every file exists, parses and the key is the certificate's: `proxy -t`, start and reload all refuse a bad one here.
  const { problems, digest } = checkPemFiles(files);
  if (problems.length > 0) fail(where, [...at, problems[0]!.key], problems[0]!.message);
  return {
    ...files,
    digest,
    clientCerts: t.client_certs,
    allowSubjects: subjects,
    minVersion: t.min_version,
  };
}

function buildBackendTls(where: Where, pool: string, t: NonNullable<NonNullable<RawPool['shardgate']>['backend_tls']>): BackendTls {
  const at = [pool, RESERVED, 'backend_tls'];
  if ((t.cert === undefined) !== (t.key === undefined)) fail(where, [...at, t.cert === undefined ? 'key' : 'cert'], 'cert and key go together: a client certificate needs its key');
  const p = (f: string | undefined) => (f === undefined ? null : configPath(where, f));
  const files = { ca: p(t.ca), cert: p(t.cert), key: p(t.key) };
  const { problems, digest } = checkPemFiles(files);
  if (problems.length > 0) fail(where, [...at, problems[0]!.key], problems[0]!.message);
  return { ...files, servername: t.servername ?? null, digest };
}

function buildUsers(where: Where, users: RawShardgate['users']): UserConfig[] {
  const seen = new Set<string>();
  return users.map((u, i) => {
    const at = [RESERVED, 'users', i];
    if (seen.has(u.name)) fail(where, [...at, 'name'], `duplicate user '${u.name}'`);
    seen.add(u.name);
    if ((u.password === undefined) === (u.password_sha256 === undefined)) {
      fail(where, at, `user '${u.name}' needs exactly one of password and password_sha256`);
    }
    if (u.password_sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(u.password_sha256)) {
      fail(where, [...at, 'password_sha256'], 'must be 64 hex digits (the SHA-256 of the password, as `echo -n pass | sha256sum` prints it)');
    }
    const rules = compileRules(u.rules);
    if (typeof rules === 'string') fail(where, [...at, 'rules'], rules);
    return { name: u.name, passwordSha256: (u.password_sha256 ?? sha256Hex(u.password!)).toLowerCase(), rules: u.rules };
  });
}

export function buildShardgate(where: Where, s: RawShardgate): ShardgateSettings {
  return {
    users: buildUsers(where, s.users),
    admin: {
      listen: s.admin.listen, token: s.admin.token, authReads: s.admin.auth_reads, readyMinLivePercent: s.admin.ready_min_live_percent,
      tls: s.admin.tls === undefined ? null : buildListenerTls(where, [RESERVED, 'admin', 'tls'], s.admin.tls, null),
    },
    logLevel: s.log_level,
    workers: s.workers,
    stats: { listen: s.stats.listen },
    watch: s.watch,
    metrics: { enabled: s.metrics.enabled, infoInterval: s.metrics.info_interval },
    slowlog: { thresholdUs: s.slowlog.threshold_us, maxLen: s.slowlog.max_len },
    drainTimeout: s.drain_timeout,
    limits: {
      maxRequestBytes: s.limits.max_request_bytes, maxArgs: s.limits.max_args, maxBulkBytes: s.limits.max_bulk_bytes,
      idleTimeout: s.limits.idle_timeout, maxClients: s.limits.max_clients,
    },
  };
}
