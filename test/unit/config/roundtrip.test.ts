// Property: a random valid config, written out as YAML by formatConfig and read
// back by parseConfig, gives the same pools and settings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DISTRIBUTIONS, HASH_NAMES, parseConfig, type PoolConfig, type ServerConfig, type ShardgateSettings } from '../../../src/config/index.js';
import { formatConfig } from '../../../src/config/format.js';

const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
const host = fc.oneof(fc.constantFrom('127.0.0.1', '10.1.2.3', 'redis-a.internal', 'localhost', '::1', 'fe80::1'), word);
const text = fc.string({ minLength: 1, maxLength: 20 });
const int = (min: number, max: number) => fc.integer({ min, max });

const server: fc.Arbitrary<ServerConfig> = fc.oneof(
  fc.record({ host, port: int(1, 65535), weight: int(1, 10000), name: fc.option(word, { nil: null }) }).map(({ host, port, weight, name }) => {
    const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return { host, port, path: null, weight, name, label: name ?? addr, spec: `${addr}:${weight}${name !== null ? ` ${name}` : ''}` };
  }),
  fc.record({ file: word, weight: int(1, 10000), name: fc.option(word, { nil: null }) }).map(({ file, weight, name }) => {
    const path = `/tmp/${file}.sock`;
    return { host: null, port: 0, path, weight, name, label: name ?? path, spec: `${path}:${weight}${name !== null ? ` ${name}` : ''}` };
  }),
);

const listen = fc.oneof(
  fc.record({ host, port: int(0, 65535), path: fc.constant(null), mode: fc.constant(null) }),
  fc.record({ host: fc.constant(null), port: fc.constant(0), path: word.map((w) => `/tmp/${w}.sock`), mode: fc.option(int(0, 0o777), { nil: null }) }),
);

const pool = (name: string): fc.Arbitrary<PoolConfig> => fc.record({
  listen,
  hash: fc.constantFrom(...HASH_NAMES),
  hashTag: fc.option(fc.string({ minLength: 2, maxLength: 2, unit: 'binary-ascii' }).filter((s) => !/[\x00-\x08\x0b-\x1f\x7f]/.test(s)), { nil: null }),
  distribution: fc.constantFrom(...DISTRIBUTIONS),
  timeout: fc.option(int(0, 2147483647), { nil: null }),
  backlog: int(0, 65535), clientConnections: int(0, 100000), preconnect: fc.boolean(),
  redisAuth: fc.option(text, { nil: null }), redisDb: int(0, 15), serverConnections: int(1, 64), autoEjectHosts: fc.boolean(),
  serverRetryTimeout: int(0, 600000), serverFailureLimit: int(0, 100), tcpkeepalive: fc.boolean(),
  servers: fc.uniqueArray(server, { minLength: 1, maxLength: 6, selector: (s) => s.label }),
  migration: fc.constantFrom('off' as const, 'lazy' as const, 'background' as const), migrationRate: int(0, 1000000), proxyProtocol: fc.boolean(), tls: fc.constant(null), backendTls: fc.constant(null), backendAuth: fc.option(fc.record({ username: fc.option(word, { nil: null }), password: text }), { nil: null }),
  perServerAuth: fc.array(fc.record({ username: fc.option(word, { nil: null }), password: text }), { maxLength: 6 }),
}).map(({ perServerAuth, ...p }) => ({
  ...p, name, redis: true as const, replicas: {}, sentinel: null, readFrom: 'master' as const,
  // credentials for some of the pool's servers, by label
  backendAuthServers: Object.fromEntries(perServerAuth.slice(0, p.servers.length).map((c, i) => [p.servers[i]!.label, c])),
}));

const pools: fc.Arbitrary<PoolConfig[]> = fc.uniqueArray(word.filter((w) => w !== 'shardgate'), { minLength: 1, maxLength: 4 })
  .chain((names) => fc.tuple(...names.map(pool)))
  .filter((ps) => {
    const seen = new Set<string>();
    for (const p of ps) {
      if (p.listen.path === null && p.listen.port === 0) continue;
      const a = p.listen.path ?? `${p.listen.host}:${p.listen.port}`;
      if (seen.has(a)) return false;
      seen.add(a);
    }
    return true;
  });

const settings: fc.Arbitrary<ShardgateSettings> = fc.record({
  users: fc.uniqueArray(fc.record({
    name: word, passwordSha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    rules: fc.constantFrom('', '~* +@read', '~app:* +@read +@write -@dangerous', 'allkeys +@all', 'off ~t:[a-c]?* +get -@all +config|get'),
  }), { maxLength: 3, selector: (u) => u.name }),
  admin: fc.record({
    listen: fc.option(int(1, 65535).map((p) => `127.0.0.1:${p}`), { nil: null }), token: fc.option(text, { nil: null }), authReads: fc.boolean(),
    readyMinLivePercent: int(0, 100), tls: fc.constant(null),
  }).map((a) => ({ ...a, authReads: a.authReads && a.token !== null })),
  logLevel: fc.constantFrom('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
  workers: int(1, 256),
  stats: fc.record({ listen: fc.option(fc.constant('127.0.0.1:22222'), { nil: null }) }),
  watch: fc.boolean(),
  metrics: fc.record({ enabled: fc.constant(true), infoInterval: int(0, 60_000) }),
  slowlog: fc.record({ thresholdUs: int(-1, 1_000_000), maxLen: int(0, 1000) }),
  drainTimeout: int(0, 600000),
  limits: fc.record({ maxRequestBytes: int(64, 2147483647), maxArgs: int(1, 2147483647), maxBulkBytes: int(1, 2147483647), idleTimeout: int(0, 31_536_000), maxClients: int(0, 2147483647) }),
});

describe('formatConfig -> parseConfig round trip', () => {
  it('gives back the same pools (plain nutcracker files)', () => {
    fc.assert(fc.property(pools, (ps) => {
      expect(parseConfig(formatConfig({ pools: ps })).pools).toEqual(ps);
    }), { numRuns: 200 });
  });
  it('gives back the same pools and shardgate settings', () => {
    const all = fc.tuple(pools, settings);
    fc.assert(fc.property(all, ([ps, sg]) => {
      const c = parseConfig(formatConfig({ pools: ps, shardgate: sg }));
      expect(c.pools).toEqual(ps);
      expect(c.shardgate).toEqual(sg);
    }), { numRuns: 200 });
  });
});
