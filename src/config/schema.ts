// The zod schema of one config file: nutcracker's pool keys with nutcracker's
// defaults, the per-pool `shardgate:` block and the top-level `shardgate:`
// section. Defaults live here. Cross-field checks live in validate.ts; this
// module must not look at more than one field at a time.
import { z } from 'zod';
import { bool, int, list, oneOf, section, shown, str } from './fields.js';
import { parseListen, parseServer } from './specs.js';

export const HASH_NAMES = [
  'one_at_a_time', 'md5', 'crc16', 'crc32', 'crc32a', 'fnv1_64', 'fnv1a_64', 'fnv1_32', 'fnv1a_32', 'hsieh', 'murmur', 'jenkins',
] as const;
export const DISTRIBUTIONS = ['ketama', 'modula', 'random'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The top-level key (and the per-pool key) reserved for shardgate's own settings. */
export const RESERVED = 'shardgate';

const listen = str('an address').transform((s, ctx) => {
  const r = parseListen(s);
  if (typeof r === 'string') { ctx.issues.push({ code: 'custom', message: r, input: s }); return z.NEVER; }
  return r;
});

const server = str('a server').transform((s, ctx) => {
  const r = parseServer(s);
  if (typeof r === 'string') { ctx.issues.push({ code: 'custom', message: r, input: s }); return z.NEVER; }
  return r;
});

/** `host:port` for the admin listener, sentinels and replicas. */
const hostPort = str('an address').refine((s) => typeof parseListen(s) !== 'string' && !s.startsWith('/'), {
  error: (iss) => `must be 'host:port' (got '${String(iss.input)}')`,
});

/** Redis's own bounds (proto-max-bulk-len 512 MB, 1024*1024 arguments); a whole request at most 512 MB. */
export const LIMIT_DEFAULTS = { maxRequestBytes: 512 * 1024 * 1024, maxArgs: 1024 * 1024, maxBulkBytes: 512 * 1024 * 1024 } as const;

export const MIGRATION_MODES = ['off', 'lazy', 'background'] as const;
export const CLIENT_CERT_MODES = ['off', 'optional', 'require'] as const;
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/** TLS on a pool's listener (files are checked by security/tls-files.ts, not here). */
const listenerTlsSchema = section({
  cert: str('a file path'),
  key: str('a file path'),
  /** CA bundle that client certificates must chain to */
  ca: str('a file path').optional(),
  client_certs: oneOf(CLIENT_CERT_MODES).default('off'),
  /** subjects such as "CN=app-1" or "CN=app-1,O=acme"; a client certificate must match one */
  allow_subjects: list(str('a subject'), "subject strings such as 'CN=app-1'").optional(),
  min_version: oneOf(TLS_VERSIONS).default('TLSv1.2'),
});

/** TLS from the proxy to this pool's backends (files checked by security/tls-files.ts). */
const backendTlsSchema = section({
  /** CA bundle the servers' certificates must chain to; none = the system's CAs */
  ca: str('a file path').optional(),
  /** a client certificate and key, for servers that require one (tls-auth-clients) */
  cert: str('a file path').optional(),
  key: str('a file path').optional(),
  /** the name the servers' certificates must carry (and SNI); none = each server's host */
  servername: str('a host name').optional(),
});

export const FAILOVER_MODES = ['local', 'redis-sentinel', 'off'] as const;
export const READ_FROM = ['master', 'prefer-replica', 'replica'] as const;

/** A mapping of names to values (server labels, master names): any key, checked against the pool in validate.ts. */
const byName = <T extends z.ZodType>(value: T, what: string) => z.record(z.string(), value, {
  error: (iss) => `must be a mapping of server names to ${what} (got ${iss.input === null ? 'an empty value' : Array.isArray(iss.input) ? 'a list' : `'${String(iss.input)}'`})`,
});

/** What the proxy authenticates to a server with: AUTH password, or AUTH username password (Redis 6 ACL). */
const credentials = section({ username: str('a user name').optional(), password: str('a password') });

/** Heartbeats and failover of a pool's servers: docs/failover.md. */
const sentinelSchema = section({
  /** ms between two heartbeats of a server */
  heartbeat_ms: int(10, 60_000).default(500),
  /** consecutive missed heartbeats that make a server down */
  down_after: int(1, 1000).default(3),
  failover: oneOf(FAILOVER_MODES).default('local'),
  /** Redis Sentinel addresses (failover: redis-sentinel) */
  sentinels: list(hostPort, "'host:port' strings").optional(),
  /** the Sentinel master name per server, when it is not the server's name */
  master_names: byName(str('a master name'), 'Sentinel master names').optional(),
});

/** Per-pool extensions, under `<pool>: { shardgate: { ... } }`. */
export const poolExtensionSchema = section({
  /** what happens to keys whose owner changed in a ring change: docs/operations.md "Key migration" */
  migration: oneOf(MIGRATION_MODES).default('off'),
  /** keys moved per second at most by the background walk; 0 = no limit */
  migration_rate: int(0).default(5000),
  /** replicas of each server, by server name: docs/failover.md */
  replicas: byName(list(hostPort, "'host:port' strings"), "lists of 'host:port'").optional(),
  sentinel: sentinelSchema.optional(),
  /** where read-only commands go */
  read_from: oneOf(READ_FROM).default('master'),
  /** clients arrive through a load balancer that sends a PROXY protocol (v1 or v2) header first */
  proxy_protocol: bool().default(false),
  tls: listenerTlsSchema.optional(),
  backend_tls: backendTlsSchema.optional(),
  /** credentials the proxy sends to this pool's servers (Redis 6 ACL: AUTH username password) */
  backend_auth: credentials.optional(),
  /** credentials of single servers, by server name (or host:port when unnamed): win over backend_auth */
  backend_auth_servers: byName(credentials, 'credentials ({ username, password })').optional(),
});

export const poolSchema = section({
  listen,
  hash: oneOf(HASH_NAMES).default('fnv1a_64'),
  // two bytes, as nutcracker counts them (keys are matched byte by byte)
  hash_tag: str('two characters').refine((s) => Buffer.byteLength(s, 'utf8') === 2, {
    error: (iss) => `must be exactly two characters (bytes), such as "{}" (got '${String(iss.input)}')`,
  }).optional(),
  distribution: oneOf(DISTRIBUTIONS).default('ketama'),
  timeout: int(0).optional(),
  backlog: int(0).default(512),
  client_connections: int(0).default(0),
  preconnect: bool().default(false),
  redis: bool().default(false),
  redis_auth: str('a password').optional(),
  redis_db: int(0).default(0),
  server_connections: int(1).default(1),
  auto_eject_hosts: bool().default(false),
  server_retry_timeout: int(0).default(30000),
  server_failure_limit: int(0).default(2),
  tcpkeepalive: bool().default(false),
  servers: list(server, "'host:port:weight [name]' strings").min(1, { error: 'must list at least one server' }),
  [RESERVED]: poolExtensionSchema.optional(),
});
export type RawPool = z.output<typeof poolSchema>;
export type PoolExtension = z.output<typeof poolExtensionSchema>;

/** One user (Redis ACL semantics); the password is checked and hashed by validate.ts. */
const userSchema = section({
  name: str('a user name'),
  password: str('a password').optional(),
  /** hex SHA-256 of the password, as Redis ACL stores it */
  password_sha256: str('64 hex digits').optional(),
  /** Redis ACL rules; none = no command at all */
  rules: z.string().default(''),
});

/** The top-level `shardgate:` section: settings of the whole process. */
export const shardgateSchema = section({
  users: z.array(userSchema, { error: (iss) => `must be a list of users ({ name, password, rules }) (got ${shown(iss.input)})` }).default([]),
  admin: section({
    listen: hostPort.nullable().default(null),
    /** bearer token for every state change (and for reads with auth_reads) */
    token: str('a token').nullable().default(null),
    auth_reads: bool().default(false),
    /** GET /readyz: the share (percent) of each pool's servers that must be reachable, and at least one */
    ready_min_live_percent: int(0, 100).default(1),
    /** HTTPS on the admin listener: the same settings as a pool's tls */
    tls: listenerTlsSchema.optional(),
  }).default({ listen: null, token: null, auth_reads: false, ready_min_live_percent: 1 }),
  log_level: oneOf(LOG_LEVELS).default('info'),
  workers: int(1, 256).default(1),
  stats: section({ listen: hostPort.nullable().default(null) }).default({ listen: null }),
  /** reload the file when it changes (SIGHUP reloads it either way) */
  watch: bool().default(true),
  /** per-command request metrics and the slow log's timing (docs/observability.md) */
  metrics: section({
    enabled: bool().default(true),
    /** ms between INFO polls of every backend by the controlling process; 0 = no polling */
    info_interval: int(0).default(5000),
  }).default({ enabled: true, info_interval: 5000 }),
  slowlog: section({
    /** requests at least this slow (µs) are logged; 0 = every request; -1 = none */
    threshold_us: int(-1).default(10_000),
    max_len: int(0, 1_000_000).default(128),
  }).default({ threshold_us: 10_000, max_len: 128 }),
  /** on SIGTERM/SIGINT: ms to answer what was read before exiting anyway */
  drain_timeout: int(0).default(30000),
  /** what one client may send: docs/security.md "Limits" */
  limits: section({
    max_request_bytes: int(64).default(LIMIT_DEFAULTS.maxRequestBytes),
    max_args: int(1).default(LIMIT_DEFAULTS.maxArgs),
    max_bulk_bytes: int(1).default(LIMIT_DEFAULTS.maxBulkBytes),
    /** seconds a client may send nothing before it is closed (Redis's timeout); 0 = never */
    idle_timeout: int(0, 31_536_000).default(0),
    /** client connections of this process, all pools together (Redis's maxclients); 0 = no limit */
    max_clients: int(0).default(0),
  }).default({ max_request_bytes: LIMIT_DEFAULTS.maxRequestBytes, max_args: LIMIT_DEFAULTS.maxArgs, max_bulk_bytes: LIMIT_DEFAULTS.maxBulkBytes, idle_timeout: 0, max_clients: 0 }),
});
export type RawShardgate = z.output<typeof shardgateSchema>;
