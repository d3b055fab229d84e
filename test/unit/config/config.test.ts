// parseConfig / loadConfig: every nutcracker key with its default, the
// shardgate sections, and every error naming file, line and key.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { HASH_NAMES, loadConfig, parseConfig } from '../../../src/config/index.js';

/** A one-pool file; `keys` are extra `key: value` lines (line 4 onwards). */
function pool(keys: string[] = [], servers = ['127.0.0.1:7001:1']): string {
  return ['alpha:', '  listen: 127.0.0.1:22121', '  redis: true', ...keys.map((k) => `  ${k}`), '  servers:', ...servers.map((s) => `    - ${s}`), ''].join('\n');
}

/** Runs parseConfig expecting a ConfigError; checks file, line and key are in the message. */
function fails(text: string, line: number | undefined, key: string | undefined, msg?: RegExp): ConfigError {
  let err: unknown;
  try { parseConfig(text, 'proxy.yaml'); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(ConfigError);
  const e = err as ConfigError;
  expect(e.code).toBe('SG_ERR_CONFIG');
  expect(e.file).toBe('proxy.yaml');
  expect(e.message).toContain('proxy.yaml');
  expect(e.line).toBe(line);
  if (line !== undefined) expect(e.message).toContain(`line ${line}`);
  expect(e.key).toBe(key);
  if (key !== undefined) expect(e.message).toContain(`key '${key}'`);
  if (msg) expect(e.message).toMatch(msg);
  return e;
}

describe('defaults (nutcracker 0.5.0 values)', () => {
  it('fills every key a minimal pool leaves out', () => {
    const p = parseConfig(pool()).pools[0]!;
    expect(p).toMatchObject({
      name: 'alpha', hash: 'fnv1a_64', hashTag: null, distribution: 'ketama', timeout: null, backlog: 512,
      clientConnections: 0, preconnect: false, redis: true, redisAuth: null, redisDb: 0, serverConnections: 1,
      autoEjectHosts: false, serverRetryTimeout: 30000, serverFailureLimit: 2, tcpkeepalive: false,
      migration: 'off', migrationRate: 5000, proxyProtocol: false, tls: null, backendTls: null, backendAuth: null, backendAuthServers: {},
    });
  });
  it('fills the shardgate section when absent', () => {
    const c = parseConfig(pool());
    expect(c.file).toBeNull();
    expect(c.shardgate).toEqual({
      users: [], admin: { listen: null, token: null, authReads: false, readyMinLivePercent: 1, tls: null }, logLevel: 'info', workers: 1,
      stats: { listen: null }, watch: true, drainTimeout: 30000, limits: { maxRequestBytes: 536870912, maxArgs: 1048576, maxBulkBytes: 536870912, idleTimeout: 0, maxClients: 0 }, metrics: { enabled: true, infoInterval: 5000 }, slowlog: { thresholdUs: 10_000, maxLen: 128 },
    });
  });
  it('returns a deeply frozen config', () => {
    const c = parseConfig(pool());
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.pools[0]!.servers[0])).toBe(true);
    expect(Object.isFrozen(c.shardgate.admin)).toBe(true);
    expect(() => { (c.pools[0] as { backlog: number }).backlog = 1; }).toThrow(TypeError);
  });
});

describe('every nutcracker key', () => {
  it('reads each key', () => {
    const p = parseConfig(pool([
      'hash: murmur', 'hash_tag: "$$"', 'distribution: modula', 'timeout: 400', 'backlog: 1024', 'client_connections: 100',
      'preconnect: true', 'redis_auth: s3cret', 'redis_db: 3', 'server_connections: 4', 'auto_eject_hosts: true',
      'server_retry_timeout: 2000', 'server_failure_limit: 5', 'tcpkeepalive: true',
    ])).pools[0]!;
    expect(p).toMatchObject({
      hash: 'murmur', hashTag: '$$', distribution: 'modula', timeout: 400, backlog: 1024, clientConnections: 100,
      preconnect: true, redisAuth: 's3cret', redisDb: 3, serverConnections: 4, autoEjectHosts: true,
      serverRetryTimeout: 2000, serverFailureLimit: 5, tcpkeepalive: true,
    });
  });
  it.each(HASH_NAMES)('accepts hash %s', (h) => {
    expect(parseConfig(pool([`hash: ${h}`])).pools[0]!.hash).toBe(h);
  });
  it.each(['ketama', 'modula', 'random'])('accepts distribution %s', (d) => {
    expect(parseConfig(pool([`distribution: ${d}`])).pools[0]!.distribution).toBe(d);
  });
  it('reads quoted scalars the same as plain ones (nutcracker reads every value as text)', () => {
    const p = parseConfig(pool(['timeout: "400"', "preconnect: 'true'", 'redis_auth: 123'])).pools[0]!;
    expect(p.timeout).toBe(400);
    expect(p.preconnect).toBe(true);
    expect(p.redisAuth).toBe('123');
  });
  it('takes timeout 0 literally', () => {
    expect(parseConfig(pool(['timeout: 0'])).pools[0]!.timeout).toBe(0);
  });
});

describe('listen', () => {
  const listen = (v: string) => parseConfig(pool().replace('127.0.0.1:22121', v)).pools[0]!.listen;
  it('host:port and name:port', () => {
    expect(listen('127.0.0.1:22121')).toEqual({ host: '127.0.0.1', port: 22121, path: null, mode: null });
    expect(listen('localhost:6000')).toEqual({ host: 'localhost', port: 6000, path: null, mode: null });
  });
  it('[ipv6]:port', () => {
    expect(listen('"[::1]:22121"')).toEqual({ host: '::1', port: 22121, path: null, mode: null });
  });
  it('port 0 (ephemeral, a shardgate extension)', () => {
    expect(listen('127.0.0.1:0').port).toBe(0);
  });
  it('unix socket with and without permissions', () => {
    expect(listen('/tmp/sg.sock')).toEqual({ host: null, port: 0, path: '/tmp/sg.sock', mode: null });
    expect(listen('/tmp/sg.sock 0666')).toEqual({ host: null, port: 0, path: '/tmp/sg.sock', mode: 0o666 });
  });
  it.each([
    ['127.0.0.1', /host:port/], ['127.0.0.1:65536', /invalid port/], ['127.0.0.1:x', /invalid port/],
    [':22121', /empty host/], ['"/tmp/s 0888"', /permission/], ['"/tmp/s 1777"', /permission/],
  ])('rejects %s', (v, msg) => {
    fails(pool().replace('127.0.0.1:22121', v), 2, 'alpha.listen', msg);
  });
});

describe('servers', () => {
  const servers = (...s: string[]) => parseConfig(pool([], s)).pools[0]!.servers;
  it('host:port:weight [name]', () => {
    expect(servers('127.0.0.1:7001:1', '10.0.0.2:7002:3 beta')).toEqual([
      { host: '127.0.0.1', port: 7001, path: null, weight: 1, name: null, label: '127.0.0.1:7001', spec: '127.0.0.1:7001:1' },
      { host: '10.0.0.2', port: 7002, path: null, weight: 3, name: 'beta', label: 'beta', spec: '10.0.0.2:7002:3 beta' },
    ]);
  });
  it('unix socket servers', () => {
    expect(servers('/tmp/r1.sock:1', '/tmp/r2.sock:2 two')).toEqual([
      { host: null, port: 0, path: '/tmp/r1.sock', weight: 1, name: null, label: '/tmp/r1.sock', spec: '/tmp/r1.sock:1' },
      { host: null, port: 0, path: '/tmp/r2.sock', weight: 2, name: 'two', label: 'two', spec: '/tmp/r2.sock:2 two' },
    ]);
  });
  it('bracketed ipv6 hosts', () => {
    expect(servers('"[::1]:7001:1"')[0]).toMatchObject({ host: '::1', port: 7001, label: '[::1]:7001' });
  });
  it.each([
    ['127.0.0.1:7001', /host:port:weight/], ['127.0.0.1:7001:0', /zero weight/], ['127.0.0.1:7001:x', /invalid weight/],
    ['127.0.0.1:0:1', /invalid port/], ['127.0.0.1:70000:1', /invalid port/], [':7001:1', /empty host/],
    ['/tmp/a:b:1', /no ':'/], ['"127.0.0.1:7001:1 "', /empty name/],
  ])('rejects %s', (s, msg) => {
    fails(pool([], ['127.0.0.1:7009:1', s]), 6, 'alpha.servers[1]', msg);
  });
  it('rejects duplicate server names, as nutcracker does', () => {
    fails(pool([], ['127.0.0.1:7001:1', '127.0.0.1:7001:2']), 6, 'alpha.servers[1]', /duplicate server name '127.0.0.1:7001'/);
    fails(pool([], ['127.0.0.1:7001:1 a', '127.0.0.1:7002:1 a']), 6, 'alpha.servers[1]', /duplicate server name 'a'/);
    expect(servers('127.0.0.1:7001:1 a', '127.0.0.1:7001:1 b')).toHaveLength(2);
  });
  it('rejects a missing, empty or non-list servers key', () => {
    fails('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n', 1, 'alpha.servers', /is required/);
    fails('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n', 4, 'alpha.servers', /must be a list/);
    fails('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers: []\n', 4, 'alpha.servers', /at least one/);
    fails('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers: 127.0.0.1:7001:1\n', 4, 'alpha.servers', /must be a list/);
  });
});

describe('errors name file, line and key', () => {
  it('bad enum values', () => {
    const e = fails(pool(['distribution: ketamaa']), 4, 'alpha.distribution');
    expect(e.message).toBe("proxy.yaml, line 4, key 'alpha.distribution': must be one of ketama, modula, random (got 'ketamaa')");
    fails(pool(['hash: fnv']), 4, 'alpha.hash', /one_at_a_time, md5/);
  });
  it.each(['timeout', 'backlog', 'redis_db', 'server_retry_timeout', 'server_failure_limit', 'client_connections'])('%s must be a non-negative integer', (k) => {
    for (const bad of ['-1', '1.5', 'abc', '99999999999']) fails(pool([`${k}: ${bad}`]), 4, `alpha.${k}`, /integer/);
  });
  it('server_connections must be at least 1', () => {
    fails(pool(['server_connections: 0']), 4, 'alpha.server_connections', /from 1/);
  });
  it.each(['preconnect', 'auto_eject_hosts', 'tcpkeepalive', 'redis'])('%s accepts only true or false', (k) => {
    const text = k === 'redis' ? pool().replace('redis: true', 'redis: yes') : pool([`${k}: True`]);
    fails(text, k === 'redis' ? 3 : 4, `alpha.${k}`, /true or false/);
  });
  it('hash_tag must be two bytes', () => {
    fails(pool(['hash_tag: "{"']), 4, 'alpha.hash_tag', /two/);
    fails(pool(['hash_tag: "{}}"']), 4, 'alpha.hash_tag', /two/);
    fails(pool(['hash_tag: "«»"']), 4, 'alpha.hash_tag', /two/);
  });
  it('empty values', () => {
    fails(pool(['redis_auth: ""']), 4, 'alpha.redis_auth', /empty/);
    fails(pool(['timeout:']), 4, 'alpha.timeout', /empty value/);
  });
  it('unknown keys, in a pool and in the shardgate section', () => {
    fails(pool(['distrbution: ketama']), 4, 'alpha.distrbution', /unknown key/);
    fails(`${pool()}shardgate:\n  log_level: info\n  wrokers: 2\n`, 8, 'shardgate.wrokers', /unknown key/);
    fails(pool(['shardgate:', '  migration_rat: 5']), 5, 'alpha.shardgate.migration_rat', /unknown key/);
  });
  it('redis: false or absent is rejected: shardgate speaks only Redis', () => {
    fails(pool().replace('redis: true', 'redis: false'), 3, 'alpha.redis', /only the Redis protocol.*redis: true/);
    fails(pool().replace('  redis: true\n', ''), 1, 'alpha', /only the Redis protocol.*redis: true/);
  });
  it('duplicate keys', () => {
    fails(pool(['timeout: 1', 'timeout: 2']), 5, 'alpha.timeout', /duplicate key \(first set on line 4\)/);
  });
  it('duplicate listen addresses across pools', () => {
    const two = pool() + pool().replace('alpha:', 'beta:').replace('7001', '7002');
    fails(two, 7, 'beta.listen', /pools 'alpha' and 'beta' have the same listen address '127.0.0.1:22121'/);
    const zeros = two.replaceAll('127.0.0.1:22121', '127.0.0.1:0');
    expect(parseConfig(zeros).pools).toHaveLength(2);
  });
  it('YAML syntax errors, anchors, aliases, tags, several documents', () => {
    fails('alpha:\n  listen: [\n', 3, undefined, /YAML syntax error/);
    fails(`${pool()}beta: &b\n  listen: x\n`, 6, 'beta', /anchors/);
    fails(pool(['timeout: !!int 5']), 4, 'alpha.timeout', /tags/);
    fails(`${pool()}---\n${pool()}`, undefined, undefined, /exactly one YAML document/);
  });
  it('empty file, no pools, not a mapping', () => {
    fails('', undefined, undefined, /no pools/);
    fails('# nothing\n', undefined, undefined, /no pools/);
    fails('shardgate:\n  workers: 2\n', 1, undefined, /no pools/);
    fails('- a\n- b\n', 1, undefined, /mapping of pool names/);
    fails('alpha: 3\n', 1, 'alpha', /must be a mapping/);
  });
  it('ConfigError without a file name', () => {
    expect(() => parseConfig(pool(['hash: x']))).toThrow(/^line 4, key 'alpha.hash'/);
  });
});

describe('several pools', () => {
  it('keeps file order and per-pool settings', () => {
    const text = pool(['hash: md5']) + pool(['distribution: random'], ['/tmp/r.sock:1']).replace('alpha:', 'beta:').replace('22121', '22122')
      + pool([], ['127.0.0.1:7003:1']).replace('alpha:', 'gamma:').replace('127.0.0.1:22121', '/tmp/gamma.sock 0600');
    const c = parseConfig(text, 'x.yml');
    expect(c.pools.map((p) => p.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(c.pools.map((p) => p.hash)).toEqual(['md5', 'fnv1a_64', 'fnv1a_64']);
    expect(c.pools[1]!.distribution).toBe('random');
    expect(c.pools[2]!.listen).toEqual({ host: null, port: 0, path: '/tmp/gamma.sock', mode: 0o600 });
  });
  it('an error in the second pool names that pool', () => {
    fails(pool() + pool(['backlog: x']).replace('alpha:', 'beta:').replace('22121', '22122'), 9, 'beta.backlog', /integer/);
  });
});

describe('shardgate extensions', () => {
  it('reads the top-level section', () => {
    const c = parseConfig(`${pool()}shardgate:
  admin:
    listen: 127.0.0.1:22300
    token: t0ken
    auth_reads: true
    ready_min_live_percent: 50
  log_level: debug
  workers: 2
  stats:
    listen: 127.0.0.1:22222
  watch: false
  drain_timeout: 5000
  metrics:
    enabled: true
    info_interval: 1000
  slowlog:
    threshold_us: 0
    max_len: 10
`);
    expect(c.shardgate).toEqual({
      users: [], admin: { listen: '127.0.0.1:22300', token: 't0ken', authReads: true, readyMinLivePercent: 50, tls: null }, logLevel: 'debug', workers: 2,
      stats: { listen: '127.0.0.1:22222' }, watch: false, drainTimeout: 5000, limits: { maxRequestBytes: 536870912, maxArgs: 1048576, maxBulkBytes: 536870912, idleTimeout: 0, maxClients: 0 }, metrics: { enabled: true, infoInterval: 1000 }, slowlog: { thresholdUs: 0, maxLen: 10 },
    });
  });
  it('reads the per-pool block', () => {
    const p = parseConfig(pool(['shardgate:', '  migration: background', '  migration_rate: 200'])).pools[0]!;
    expect(p).toMatchObject({ migration: 'background', migrationRate: 200 });
    fails(pool(['shardgate:', '  migration: eager']), 5, 'alpha.shardgate.migration', /one of off, lazy, background/);
  });
  it('reads users: a clear password is kept only as its SHA-256; bad rules, both passwords, a bad hash and duplicates are errors', () => {
    const users = (lines: string[]) => `${pool()}shardgate:\n  users:\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
    const c = parseConfig(users(['- name: app', '  password: s3cret', '  rules: "~app:* +@read"']));
    expect(c.shardgate.users).toEqual([{ name: 'app', passwordSha256: createHash('sha256').update('s3cret').digest('hex'), rules: '~app:* +@read' }]);
    fails(users(['- name: app', '  password: s3cret', '  rules: "~app:* +@reed"']), 10, 'shardgate.users[0].rules', /unknown ACL category 'reed'/);
    fails(users(['- name: app', '  password: s3cret', '  rules: "+getx"']), 10, 'shardgate.users[0].rules', /unknown command 'getx'/);
    fails(users(['- name: app', '  password: s3cret', '  rules: "%R~x"']), 10, 'shardgate.users[0].rules', /is not a rule shardgate takes/);
    fails(users(['- name: app', '  password: a', '  password_sha256: abc']), 8, 'shardgate.users[0]', /exactly one of password and password_sha256/);
    fails(users(['- name: app', '  password_sha256: abc']), 9, 'shardgate.users[0].password_sha256', /64 hex digits/);
    fails(users(['- name: app', '  password: a', '- name: app', '  password: b']), 10, 'shardgate.users[1].name', /duplicate user 'app'/);
  });
  it('refuses every setting that is not built yet, naming file, line and key', () => {
    const cases: Array<[string, number, string]> = [
      [`${pool()}shardgate:\n  tls:\n    enabled: true\n    cert: a.pem\n`, 7, 'shardgate.tls'],
      [`${pool()}shardgate:\n  sentinel:\n    addresses: [127.0.0.1:26379]\n`, 7, 'shardgate.sentinel'],
    ];
    for (const [text, line, key] of cases) {
      const e = fails(text, line, key, /not implemented yet/);
      expect(e.message).toContain('remove this key');
    }
  });
  it('client_auth (dropped: users and redis_auth cover it) is an unknown key', () => {
    fails(pool(['shardgate:', '  client_auth: pw']), 5, 'alpha.shardgate.client_auth', /unknown key/);
  });
  it('a pool named shardgate is refused with a clear message', () => {
    fails(`${pool()}${pool().replace('alpha:', 'shardgate:').replace('22121', '22122')}`, 6, 'shardgate', /reserved.*cannot be a pool name/);
  });
  it('checks cross references', () => {
    fails(`${pool()}shardgate:\n  admin:\n    listen: /tmp/x\n`, 8, 'shardgate.admin.listen', /host:port/);
    fails(`${pool()}shardgate:\n  workers: 0\n`, 7, 'shardgate.workers', /from 1/);
  });
});

describe('loadConfig', () => {
  it('reads a file and names it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-config-'));
    const f = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(f, pool(['hash: crc32']));
    const c = loadConfig(f);
    expect(c.file).toBe(f);
    expect(c.pools[0]!.hash).toBe('crc32');
    fs.writeFileSync(f, pool(['hash: crc']));
    expect(() => loadConfig(f)).toThrow(`${f}, line 4, key 'alpha.hash'`);
    fs.rmSync(dir, { recursive: true });
  });
  it('throws ConfigError for a missing file', () => {
    expect(() => loadConfig('/nonexistent/proxy.yaml')).toThrow(ConfigError);
    expect(() => loadConfig('/nonexistent/proxy.yaml')).toThrow(/\/nonexistent\/proxy.yaml: cannot read the config file: no such file/);
  });
  it('loads the example proxy.yaml at the repo root', () => {
    const c = loadConfig(path.resolve(import.meta.dirname, '../../../proxy.yaml'));
    expect(c.pools).toHaveLength(1);
    expect(c.pools[0]).toMatchObject({
      name: 'alpha', listen: { host: '127.0.0.1', port: 22121 }, hash: 'hsieh', hashTag: '{}', distribution: 'ketama',
      timeout: 400, autoEjectHosts: true, serverRetryTimeout: 2000, serverFailureLimit: 3,
    });
    expect(c.pools[0]!.servers.map((s) => s.label)).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
  });
});

describe('admin settings', () => {
  it('auth_reads without a token is refused (nothing would act on it)', () => {
    const text = `${['alpha:', '  listen: 127.0.0.1:22121', '  redis: true', '  servers:', '    - 127.0.0.1:7001:1', ''].join('\n')}shardgate:\n  admin:\n    listen: 127.0.0.1:9100\n    auth_reads: true\n`;
    let err: unknown;
    try { parseConfig(text, 'proxy.yaml'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe("proxy.yaml, line 9, key 'shardgate.admin.auth_reads': needs shardgate.admin.token: without a token there is nothing for reads to check");
  });
});
