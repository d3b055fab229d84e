// The client's API against three real redis-servers: each key is read back
// from the server serverFor() names (and from no other), EX reaches the
// server, MGET/MSET/DEL split and merge, sendCommand, error replies as typed
// errors, quit closes every connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient, ReplyError, type ShardgateClient } from '../../../src/client/index.js';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { until } from '../../fixtures/until.js';

let servers: Proc[] = [];
let direct: Record<string, Redis> = {};
let c: ShardgateClient;

beforeAll(async () => {
  servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
  const names = ['alpha', 'beta', 'gamma'];
  direct = Object.fromEntries(servers.map((s, i) => [names[i]!, new Redis({ port: s.port, lazyConnect: false })]));
  c = await createClient({ servers: servers.map((s, i) => `127.0.0.1:${s.port}:1 ${names[i]}`), hash: 'fnv1a_64', distribution: 'ketama', hashTag: '{}' });
});
afterAll(async () => {
  await c?.quit();
  for (const r of Object.values(direct)) r.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

describe('shardgate/client API', () => {
  it('set/get: each key is stored on the server serverFor names, and only there', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `user:${i}`);
    for (const k of keys) expect(await c.set(k, `v-${k}`)).toBe('OK');
    const seen = new Set<string>();
    for (const k of keys) {
      const owner = c.serverFor(k)!;
      seen.add(owner);
      for (const [name, r] of Object.entries(direct)) expect(await r.get(k)).toBe(name === owner ? `v-${k}` : null);
      expect(await c.get(k)).toBe(`v-${k}`);
    }
    expect(seen.size).toBe(3);
  });

  it('set with EX / NX reaches the server; get of a missing key is null', async () => {
    expect(await c.set('ttl:1', 'x', { EX: 60 })).toBe('OK');
    const ttl = await direct[c.serverFor('ttl:1')!]!.ttl('ttl:1');
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await c.set('ttl:1', 'y', { NX: true })).toBeNull();
    expect(await c.get('no-such-key')).toBeNull();
  });

  it('mget/mset/del/exists/touch/unlink over several servers merge like the proxy', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `m:${i * 7919}:${i}`);
    expect(new Set(keys.map((k) => c.serverFor(k))).size).toBe(3);
    expect(await c.mset(keys.map((k) => [k, `mv${k}`] as const))).toBe('OK');
    for (const k of keys) expect(await direct[c.serverFor(k)!]!.get(k)).toBe(`mv${k}`);
    const withMissing = [...keys.slice(0, 10), 'm:missing', ...keys.slice(10)];
    expect(await c.mget(withMissing)).toEqual(withMissing.map((k) => (k === 'm:missing' ? null : `mv${k}`)));
    expect(await c.exists(...keys, 'm:missing')).toBe(40);
    expect(await c.touch(keys)).toBe(40);
    expect(await c.del(keys.slice(0, 20))).toBe(20);
    expect(await c.unlink(keys)).toBe(20);
    expect(await c.exists(keys)).toBe(0);
  });

  it('sendCommand routes any single-key command and returns decoded RESP', async () => {
    expect(await c.sendCommand(['HSET', 'h:1', 'f', 'v', 'g', 'w'])).toBe(2);
    expect(await direct[c.serverFor('h:1')!]!.hget('h:1', 'g')).toBe('w');
    const all = await c.sendCommand(['HGETALL', 'h:1']) as Buffer[];
    expect(all.map(String)).toEqual(['f', 'v', 'g', 'w']);
    expect(await c.sendCommand(['PING'])).toBe('PONG');
  });

  it('binary keys and values go through unchanged', async () => {
    const key = Buffer.from([0, 255, 13, 10, 0x7b, 0x7d, 200]);
    const value = Buffer.from([1, 2, 0, 13, 10, 3]);
    await c.set(key, value);
    expect(Buffer.compare((await c.getBuffer(key))!, value)).toBe(0);
    expect(Buffer.compare((await direct[c.serverFor(key)!]!.getBuffer(key))!, value)).toBe(0);
  });

  it('an error reply rejects with ReplyError carrying the code and the server', async () => {
    await c.set('str:1', 'x');
    const err = await c.sendCommand(['LPUSH', 'str:1', 'a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect(err).toMatchObject({ code: 'SG_ERR_REPLY', redisCode: 'WRONGTYPE', server: c.serverFor('str:1') });
  });

  it('bad options fail at createClient with a ConfigError', async () => {
    await expect(createClient({ servers: ['127.0.0.1:1:1'], hash: 'sha1' as never })).rejects.toMatchObject({ code: 'SG_ERR_CONFIG' });
    await expect(createClient({ servers: ['nonsense'] })).rejects.toMatchObject({ code: 'SG_ERR_CONFIG' });
    await expect(createClient({ servers: [], pool: 'x' })).rejects.toMatchObject({ code: 'SG_ERR_CONFIG' });
    await expect(createClient({ pool: 'x' } as never)).rejects.toThrow(/exactly one of config, admin or servers/);
  });

  it('quit closes its connections (the servers see them go) and later calls are refused', async () => {
    const extra = await createClient({ servers: servers.map((s) => `127.0.0.1:${s.port}:1`) });
    const qs = Array.from({ length: 60 }, (_, i) => `q:${i * 7919}:${i}`);
    const touched = new Set(qs.map((k) => extra.serverFor(k))).size;
    await extra.mget(qs);
    const count = async () => {
      let n = 0;
      for (const r of Object.values(direct)) n += String(await r.client('LIST')).trim().split('\n').length;
      return n;
    };
    const before = await count();
    await extra.quit();
    expect(touched).toBe(3);
    await until('the servers saw the connections close', async () => (await count()) === before - touched, 10_000);
    await expect(extra.get('x')).rejects.toMatchObject({ code: 'SG_ERR_BACKEND_CLOSED' });
  });
});
