// The zod schema of one config file: nutcracker's pool keys with nutcracker's
// defaults, the per-pool `shardgate:` block and the top-level `shardgate:`
// section. Defaults live here. Cross-field checks live in validate.ts; this
// module must not look at more than one field at a time.
import { z } from 'zod';
import { bool, int, list, oneOf, section, str } from './fields.js';
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

const tlsFiles = section({
  enabled: bool().default(false),
  ca: str('a file path').nullable().default(null),
  cert: str('a file path').nullable().default(null),
  key: str('a file path').nullable().default(null),
  servername: str('a host name').nullable().default(null),
  verify: bool().default(true),
});
export type TlsSettings = z.output<typeof tlsFiles>;
const TLS_OFF: TlsSettings = { enabled: false, ca: null, cert: null, key: null, servername: null, verify: true };

/** Per-pool extensions, under `<pool>: { shardgate: { ... } }`. */
export const poolExtensionSchema = section({
  /** primary server label -> its replicas as `host:port` */
  replicas: z.record(z.string(), list(hostPort, "'host:port' addresses")).default({}),
  /** backend TLS */
  tls: tlsFiles.default(TLS_OFF),
  /** password a client must send with AUTH before using this pool */
  client_auth: str('a password').nullable().default(null),
  /** sentinel master name this pool follows (failover) */
  sentinel_master: str('a master name').nullable().default(null),
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

const userSchema = section({
  name: str('a user name'),
  password: str('a password'),
  pools: list(str('a pool name'), 'pool names').default(['*']),
  readonly: bool().default(false),
});

/** The top-level `shardgate:` section: settings of the whole process. */
export const shardgateSchema = section({
  admin: section({ listen: hostPort.nullable().default(null) }).default({ listen: null }),
  metrics: section({ enabled: bool().default(false), path: str('a URL path').default('/metrics') })
    .default({ enabled: false, path: '/metrics' }),
  log_level: oneOf(LOG_LEVELS).default('info'),
  workers: int(1, 256).default(1),
  stats: section({ listen: hostPort.nullable().default(null), interval: int(1).default(30000) })
    .default({ listen: null, interval: 30000 }),
  sentinel: section({
    addresses: list(hostPort, "'host:port' addresses").default([]),
    password: str('a password').nullable().default(null),
  }).default({ addresses: [], password: null }),
  tls: tlsFiles.default(TLS_OFF),
  users: list(userSchema, 'users').default([]),
  watch: bool().default(false),
});
export type RawShardgate = z.output<typeof shardgateSchema>;
