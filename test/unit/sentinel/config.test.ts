// The failover keys of a pool's `shardgate:` block — replicas, sentinel,
// read_from: defaults, shapes, cross-checks against the pool's servers
// (each refusal names file line and key), and the YAML round trip.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { formatConfig } from '../../../src/config/format.js';

const SERVERS = ['    - 127.0.0.1:7001:1 shard-a', '    - 127.0.0.1:7002:1 shard-b'];

function pool(block: string[]): string {
  return ['cache:', '  listen: 127.0.0.1:6380', '  redis: true', '  servers:', ...SERVERS, '  shardgate:', ...block.map((l) => `    ${l}`), ''].join('\n');
}

function refused(block: string[], key: string, msg: RegExp): void {
  let err: unknown;
  try { parseConfig(pool(block), 'f.yaml'); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(ConfigError);
  const e = err as ConfigError;
  expect(e.key).toBe(key);
  expect(e.message).toMatch(msg);
  expect(e.line).toBeGreaterThan(5);
}

describe('pool failover settings', () => {
  it('reads the issue\'s example with its defaults', () => {
    const p = parseConfig(pool(['replicas:', '  shard-a: [127.0.0.1:7011]', '  shard-b: [127.0.0.1:7012, 127.0.0.1:7022]', 'sentinel:', '  heartbeat_ms: 500'])).pools[0]!;
    expect(p.replicas).toEqual({ 'shard-a': [{ host: '127.0.0.1', port: 7011 }], 'shard-b': [{ host: '127.0.0.1', port: 7012 }, { host: '127.0.0.1', port: 7022 }] });
    expect(p.sentinel).toEqual({ heartbeatMs: 500, downAfter: 3, failover: 'local', sentinels: [], masterNames: {} });
    expect(p.readFrom).toBe('master');
  });
  it('is off when absent', () => {
    const p = parseConfig(pool(['migration: off'])).pools[0]!;
    expect(p).toMatchObject({ replicas: {}, sentinel: null, readFrom: 'master' });
  });
  it('redis-sentinel: every server gets its own name as master name unless renamed', () => {
    const p = parseConfig(pool(['sentinel:', '  failover: redis-sentinel', '  sentinels: [127.0.0.1:26379, 127.0.0.1:26380]', '  master_names:', '    shard-b: mymaster'])).pools[0]!;
    expect(p.sentinel?.sentinels).toEqual([{ host: '127.0.0.1', port: 26379 }, { host: '127.0.0.1', port: 26380 }]);
    expect(p.sentinel?.masterNames).toEqual({ 'shard-a': 'shard-a', 'shard-b': 'mymaster' });
  });
  it('refuses what nothing could act on, naming the key', () => {
    refused(['replicas:', '  shard-x: [127.0.0.1:7011]', 'sentinel:', '  failover: local'], 'cache.shardgate.replicas.shard-x', /names server 'shard-x', which is not in this pool/);
    refused(['replicas:', '  shard-a: [127.0.0.1:7011]'], 'cache.shardgate.replicas', /need 'sentinel:'/);
    refused(['replicas:', '  shard-a: [127.0.0.1:7002]', 'sentinel:', '  failover: local'], 'cache.shardgate.replicas.shard-a[0]', /is a server of this pool/);
    refused(['replicas:', '  shard-a: [127.0.0.1:7011]', '  shard-b: [127.0.0.1:7011]', 'sentinel:', '  failover: local'], 'cache.shardgate.replicas.shard-b[0]', /also a replica of 'shard-a'/);
    refused(['sentinel:', '  failover: redis-sentinel'], 'cache.shardgate.sentinel.failover', /needs 'sentinels:'/);
    refused(['sentinel:', '  failover: local', '  sentinels: [127.0.0.1:26379]'], 'cache.shardgate.sentinel.sentinels', /only read with 'failover: redis-sentinel'/);
    refused(['sentinel:', '  failover: nope'], 'cache.shardgate.sentinel.failover', /must be one of local, redis-sentinel, off/);
    refused(['sentinel:', '  heartbeat_ms: 5'], 'cache.shardgate.sentinel.heartbeat_ms', /from 10/);
    refused(['sentinel:', '  down_after: 0'], 'cache.shardgate.sentinel.down_after', /from 1/);
    refused(['read_from: replica'], 'cache.shardgate.read_from', /needs 'replicas:' and 'sentinel:'/);
    refused(['read_from: anywhere'], 'cache.shardgate.read_from', /must be one of master, prefer-replica, replica/);
    refused(['replicas:', '  shard-a: 127.0.0.1:7011', 'sentinel:', '  failover: local'], 'cache.shardgate.replicas.shard-a', /must be a list/);
    refused(['sentinel:', '  master_names: {shard-a: m}'], 'cache.shardgate.sentinel.master_names', /only read with 'failover: redis-sentinel'/);
  });
  it('round-trips through formatConfig', () => {
    const c = parseConfig(pool(['replicas:', '  shard-a: [127.0.0.1:7011]', 'sentinel:', '  heartbeat_ms: 200', '  down_after: 2', '  failover: redis-sentinel',
      '  sentinels: [127.0.0.1:26379]', '  master_names:', '    shard-a: m-a', 'read_from: prefer-replica']));
    expect(parseConfig(formatConfig(c)).pools).toEqual(c.pools);
  });
});
