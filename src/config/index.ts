// Config loading: YAML text -> positioned tree (yaml-tree.ts) -> zod schema
// (schema.ts, defaults live there) -> cross-field checks (validate.ts) ->
// deep-freeze. Accepts nutcracker (Twemproxy 0.5.0) files unchanged, plus
// shardgate's own `shardgate:` sections. Reference: docs/config.md.
// Must not open sockets, resolve names or import the ring.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { HASH_NAMES, RESERVED, poolSchema, shardgateSchema, type RawPool } from './schema.js';
import { findPendingKey } from './not-implemented.js';
import { buildPools, buildShardgate, fail, type Where } from './validate.js';
import { parseYamlTree, toPlain, type PathPart } from './yaml-tree.js';

export type HashName =
  | 'one_at_a_time' | 'md5' | 'crc16' | 'crc32' | 'crc32a' | 'fnv1_64' | 'fnv1a_64' | 'fnv1_32' | 'fnv1a_32' | 'hsieh' | 'murmur' | 'jenkins';
// compile-time check: the schema's list and this union name the same 12 hashes
const HASHES_MATCH: [HashName, (typeof HASH_NAMES)[number]] extends [(typeof HASH_NAMES)[number], HashName] ? true : never = true;
void HASHES_MATCH;
export type Distribution = 'ketama' | 'modula' | 'random';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface ServerConfig {
  host: string | null; port: number; path: string | null /* unix socket */; weight: number; name: string | null;
  /** the string shown in stats and logs: name ?? 'host:port' (the path for a unix socket) */
  label: string;
  /** the original line */
  spec: string;
}
export interface ListenConfig { host: string | null; port: number; path: string | null; mode: number | null }
export interface PoolConfig {
  name: string; listen: ListenConfig; hash: HashName; hashTag: string | null; distribution: Distribution;
  /** ms; null = wait forever (nutcracker's default) */
  timeout: number | null;
  backlog: number; preconnect: boolean; redis: true; redisAuth: string | null; redisDb: number;
  serverConnections: number; autoEjectHosts: boolean; serverRetryTimeout: number; serverFailureLimit: number;
  tcpkeepalive: boolean; servers: readonly ServerConfig[];
  /** nutcracker's `client_connections`; 0 = unlimited (nutcracker 0.5.0 parses it and ignores it) */
  clientConnections: number;
  /** what happens to keys whose owner changed in a ring change (`shardgate: migration:`) */
  migration: MigrationMode;
  /** keys per second the background walk moves at most; 0 = no limit (`shardgate: migration_rate:`) */
  migrationRate: number;
  /** replicas per server label (`shardgate: replicas:`); empty = none */
  replicas: Readonly<Record<string, readonly { host: string; port: number }[]>>;
  /** heartbeats and failover (`shardgate: sentinel:`); null = off (Twemproxy's ejection on traffic failures) */
  sentinel: SentinelConfig | null;
  /** where read-only commands go (`shardgate: read_from:`) */
  readFrom: ReadFrom;
  /** every connection starts with a PROXY protocol header (`shardgate: proxy_protocol:`) */
  proxyProtocol: boolean;
  /** TLS on the listener (`shardgate: tls:`); null = plaintext */
  tls: ListenerTls | null;
  /** TLS to the backends (`shardgate: backend_tls:`); null = plaintext */
  backendTls: BackendTls | null;
  /** what the proxy authenticates to the servers with (`shardgate: backend_auth:`); null = redis_auth, as nutcracker */
  backendAuth: BackendCredentials | null;
  /** per server label (`shardgate: backend_auth_servers:`): wins over backendAuth; empty = none */
  backendAuthServers: Readonly<Record<string, BackendCredentials>>;
}
/** AUTH password (username null) or AUTH username password, from the proxy to a server */
export interface BackendCredentials { username: string | null; password: string }
export interface BackendTls {
  /** file paths, resolved against the config file's folder; null = not given */
  ca: string | null; cert: string | null; key: string | null;
  /** the name the servers' certificates must carry; null = each server's host */
  servername: string | null;
  /** of the files' bytes when the config was read: a rotated file makes new connections */
  digest: string;
}
export type ClientCertMode = 'off' | 'optional' | 'require';
export interface ListenerTls {
  /** file paths, resolved against the config file's folder */
  cert: string; key: string; ca: string | null;
  /** of the files' bytes when the config was read: a reload sees a rotated certificate by it */
  digest: string;
  clientCerts: ClientCertMode;
  /** each a list of subject attributes that must all match; empty = any certificate the CA signed */
  allowSubjects: readonly string[];
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}
export type MigrationMode = 'off' | 'lazy' | 'background';
export type FailoverMode = 'local' | 'redis-sentinel' | 'off';
export type ReadFrom = 'master' | 'prefer-replica' | 'replica';
export interface SentinelConfig {
  heartbeatMs: number;
  downAfter: number;
  failover: FailoverMode;
  /** Redis Sentinel addresses (failover: redis-sentinel), empty otherwise */
  sentinels: readonly { host: string; port: number }[];
  /** the Sentinel master name per server label (the label itself unless renamed) */
  masterNames: Readonly<Record<string, string>>;
}
export interface AdminSettings {
  /** `host:port` of the admin HTTP API; null = none */
  listen: string | null;
  /** bearer token required for every state change (and reads with authReads); null = none */
  token: string | null;
  authReads: boolean;
  /** GET /readyz: percent of each pool's servers that must be reachable (at least one) */
  readyMinLivePercent: number;
  /** HTTPS on the admin listener (`shardgate.admin.tls`, a pool's tls settings); null = plain HTTP */
  tls: ListenerTls | null;
}
export interface UserConfig {
  name: string;
  /** hex SHA-256 of the password (a clear password in the file is hashed at load) */
  passwordSha256: string;
  /** Redis ACL rules as written */
  rules: string;
}
export interface ClientLimits {
  maxRequestBytes: number; maxArgs: number; maxBulkBytes: number;
  /** seconds without traffic before a client is closed (subscribed and blocked clients excepted); 0 = never */
  idleTimeout: number;
  /** client connections of the process (each worker under -w N), all pools; 0 = no limit */
  maxClients: number;
}
export interface ShardgateSettings {
  /** `shardgate: users:`; empty = no users (redis_auth alone, or no auth) */
  users: readonly UserConfig[];
  admin: AdminSettings;
  logLevel: LogLevel;
  workers: number;
  /** nutcracker stats listener from the file (the CLI's -s/-a win when given) */
  stats: { listen: string | null };
  /** reload the file when it changes */
  watch: boolean;
  /** `metrics:`: per-command metrics on the request path; ms between backend INFO polls (0: none) */
  metrics: { enabled: boolean; infoInterval: number };
  /** `slowlog:`: threshold in µs (0: every request, -1: none) and entries kept */
  slowlog: { thresholdUs: number; maxLen: number };
  /** ms a shutdown waits for the replies owed to clients before it closes them anyway */
  drainTimeout: number;
  /** client bounds (`shardgate: limits:`): request sizes (past one, a protocol error and the client is closed), idle timeout, max clients */
  limits: ClientLimits;
}
export interface Config { file: string | null; pools: readonly PoolConfig[]; shardgate: ShardgateSettings }

export { HASH_NAMES, DISTRIBUTIONS, MIGRATION_MODES, FAILOVER_MODES, READ_FROM } from './schema.js';

/**
 * Parses and checks a config file's text; `file` names it in errors, and its
 * folder is where relative certificate and key paths are read from unless
 * `baseDir` is given. The files named are read and checked. Throws ConfigError.
 */
export function parseConfig(text: string, file?: string, baseDir?: string): Config {
  const tree = parseYamlTree(text, file);
  const where: Where = { file, tree, baseDir: baseDir ?? (file === undefined ? undefined : path.dirname(file)) };
  if (tree === null) throw new ConfigError('has no pools (the file is empty)', { file });
  if (tree.kind !== 'map') fail(where, [], 'must be a mapping of pool names to pools');
  const pending = findPendingKey(tree, RESERVED);
  if (pending !== null) fail(where, pending.path, pending.message);
  const plain = toPlain(tree) as Record<string, unknown>;

  const raw: Array<[string, RawPool]> = [];
  for (const entry of tree.entries) {
    if (entry.key === RESERVED) continue;
    if (entry.key === '') fail(where, [entry.key], 'a pool name must not be empty');
    raw.push([entry.key, check(where, poolSchema, plain[entry.key], [entry.key])]);
  }
  if (raw.length === 0) fail(where, [], 'has no pools');
  const section = plain[RESERVED];
  if (section && typeof section === 'object' && !Array.isArray(section) && ('servers' in section || 'listen' in section)) {
    fail(where, [RESERVED], `'${RESERVED}' is reserved for shardgate's own settings and cannot be a pool name; rename this pool`);
  }
  const sgRaw = check(where, shardgateSchema, section ?? {}, [RESERVED]);
  const shardgate = buildShardgate(where, sgRaw);
  const sg = section as Record<string, unknown> | undefined;
  if (!shardgate.metrics.enabled && shardgate.slowlog.thresholdUs >= 0 && sg?.slowlog !== undefined) {
    fail(where, [RESERVED, 'slowlog'], 'the slow log times requests with the metrics: it needs metrics: { enabled: true } (or set threshold_us: -1)');
  }
  if (shardgate.admin.authReads && shardgate.admin.token === null) {
    fail(where, [RESERVED, 'admin', 'auth_reads'], 'needs shardgate.admin.token: without a token there is nothing for reads to check');
  }
  const pools = buildPools(where, raw);
  return deepFreeze({ file: file ?? null, pools, shardgate });
}

/** Reads and parses a config file, keeping its text. Throws ConfigError, also when the file cannot be read. */
export function readConfigFile(file: string): { config: Config; text: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`cannot read the config file: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { file });
  }
  return { config: parseConfig(text, file), text };
}

/** Reads and parses a config file. Throws ConfigError, also when the file cannot be read. */
export function loadConfig(file: string): Config {
  return readConfigFile(file).config;
}

function check<S extends z.ZodType>(where: Where, schema: S, value: unknown, at: PathPart[]): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = [...at, ...(issue.path as PathPart[])];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const hint = path.length === 1 ? ` (a pool accepts nutcracker's keys, plus '${RESERVED}:' for shardgate's own)` : '';
    fail(where, [...path, key], `unknown key${hint}`);
  }
  fail(where, path, issue.message);
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
