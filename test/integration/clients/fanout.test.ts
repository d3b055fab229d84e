// Keyless commands through the proxy (real CLI, 3 real redis-servers): DBSIZE,
// KEYS, SCAN over every server exactly once, RANDOMKEY, FLUSHALL/FLUSHDB, INFO
// merged, CONFIG GET, scripts and functions loaded everywhere, CLIENT for
// proxy clients, MEMORY USAGE / OBJECT by key, COMMAND. Expected values come
// from the backends themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../../fixtures/cluster.js';
import { RespClient } from '../../fixtures/resp-client.js';

let c: Cluster;
let io: Redis;
let direct: Redis[];
beforeAll(async () => {
  c = await startCluster({ servers: 3, timeout: 2000 });
  io = new Redis({ port: c.port });
  direct = c.redis.map((r) => new Redis({ port: r.port }));
});
afterAll(async () => {
  io?.disconnect();
  for (const d of direct ?? []) d.disconnect();
  await c?.stop();
});

async function fill(n: number): Promise<string[]> {
  const keys = Array.from({ length: n }, (_, i) => `fk:${i}`);
  for (let i = 0; i < n; i += 500) {
    const p = io.pipeline();
    for (const k of keys.slice(i, i + 500)) p.set(k, 'v');
    await p.exec();
  }
  return keys;
}

describe('fan-out and admin reads', () => {
  it('FLUSHALL empties every server; DBSIZE sums and KEYS concatenates what the servers hold', async () => {
    expect(await io.flushall()).toBe('OK');
    for (const d of direct) expect(await d.dbsize()).toBe(0);
    const keys = await fill(300);
    const sizes = await Promise.all(direct.map((d) => d.dbsize()));
    expect(sizes.every((s) => s > 0)).toBe(true);
    expect(await io.dbsize()).toBe(sizes.reduce((a, b) => a + b, 0));
    expect((await io.keys('fk:*')).sort()).toEqual([...keys].sort());
    expect((await io.keys('fk:1?')).sort()).toEqual(keys.filter((k) => /^fk:1\d$/.test(k)).sort());
    const info = await io.info('keyspace');
    const total = Number(/db0:keys=(\d+)/.exec(info)![1]);
    expect(total).toBe(300);
    expect(await io.flushdb()).toBe('OK');
    expect(await io.dbsize()).toBe(0);
  });

  it('walks a full SCAN of 10,000 keys over 3 servers returning each key once (MATCH, COUNT, TYPE honoured)', async () => {
    await io.flushall();
    const keys = await fill(10_000);
    await io.sadd('fk:set', 'x');
    const seen = new Map<string, number>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, batch] = await io.scan(cursor, 'COUNT', 500);
      for (const k of batch) seen.set(k, (seen.get(k) ?? 0) + 1);
      cursor = next;
      calls++;
    } while (cursor !== '0' && calls < 10_000);
    expect(cursor).toBe('0');
    expect(seen.size).toBe(10_001);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const k of keys) expect(seen.has(k)).toBe(true);
    const matched: string[] = [];
    const typed: string[] = [];
    cursor = '0';
    do { const [n, b] = await io.scan(cursor, 'MATCH', 'fk:99*', 'COUNT', 1000); matched.push(...b); cursor = n; } while (cursor !== '0');
    expect(matched.sort()).toEqual(keys.filter((k) => k.startsWith('fk:99')).sort());
    cursor = '0';
    do { const [n, b] = await io.scan(cursor, 'TYPE', 'set', 'COUNT', 1000); typed.push(...b); cursor = n; } while (cursor !== '0');
    expect(typed).toEqual(['fk:set']);
    expect(await io.scan('abc').catch((e: Error) => e.message)).toMatch(/invalid cursor/);
  });

  it('RANDOMKEY finds a key on whichever server has one, nil when none has', async () => {
    await io.flushall();
    expect(await io.randomkey()).toBeNull();
    await io.set('only-key', '1');
    for (let i = 0; i < 5; i++) expect(await io.randomkey()).toBe('only-key');
  });

  it('loads scripts and functions on every server, so EVALSHA and FCALL run wherever their keys are', async () => {
    await io.script('FLUSH');
    const sha = await io.script('LOAD', 'return redis.call("SET", KEYS[1], ARGV[1])') as string;
    for (const d of direct) expect(await d.script('EXISTS', sha)).toEqual([1]);
    expect(await io.script('EXISTS', sha, 'ffffffffffffffffffffffffffffffffffffffff')).toEqual([1, 0]);
    for (let i = 0; i < 20; i++) expect(await io.evalsha(sha, 1, `sk:${i}`, 'v')).toBe('OK');
    expect(await io.get('sk:7')).toBe('v');
    expect(await io.eval('return 1', 0).catch((e: Error) => e.message)).toMatch(/without keys/);
    await io.function('FLUSH');
    expect(await io.function('LOAD', "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return redis.call('GET', keys[1]) end)")).toBe('lib1');
    expect(await io.fcall('f1', 1, 'sk:3')).toBe('v');
    expect((await io.function('LIST')) as unknown[]).toHaveLength(1);
    expect(await io.function('DELETE', 'lib1')).toBe('OK');
    for (const d of direct) expect(await d.function('LIST')).toEqual([]);
  });

  it('answers CONFIG GET, INFO, CLIENT and COMMAND as clients read them at start-up', async () => {
    expect(await io.config('GET', 'maxmemory-policy')).toEqual(await direct[0].config('GET', 'maxmemory-policy'));
    expect(String(await io.config('SET', 'maxmemory', '1').catch((e: Error) => e.message))).toMatch(/administrative/);
    const info = await io.info('all');
    expect(info).toMatch(/# Server\r\nredis_version:/);
    expect(info).toMatch(/# Memory\r\nused_memory:\d+/);
    // What redis-py's and other clients' start-up checks read.
    expect(await io.info('cluster')).toBe((await direct[0].info('cluster')));
    expect(await io.info('replication')).toMatch(/^# Replication\r\nrole:master\r\n/);
    // Several sections in one INFO (Redis 7; redis-py's info('clients', 'server')): each of them, in order.
    const two = await io.call('INFO', 'clients', 'server') as string;
    expect(two).toMatch(/# Clients\r\nconnected_clients:\d+/);
    expect(two).toMatch(/# Server\r\nredis_version:/);
    expect(two).not.toMatch(/# Replication/);
    expect(await io.call('INFO', 'memory', 'keyspace')).toMatch(/# Memory\r\nused_memory:\d+/);
    const used = await Promise.all(direct.map(async (d) => Number(/used_memory:(\d+)/.exec(await d.info('memory'))![1])));
    expect(Number(/used_memory:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(Math.min(...used) * 3 * 0.5);
    const a = new Redis({ port: c.port, connectionName: 'victim' });
    await a.ping();
    const id = await a.client('ID') as number;
    expect(await io.client('LIST')).toMatch(new RegExp(`id=${id} .*name=victim`));
    expect(await a.client('INFO')).toMatch(new RegExp(`^id=${id} `));
    expect(await a.call('CLIENT', 'NO-EVICT', 'ON')).toBe('OK');
    expect(await a.client('INFO')).toMatch(/flags=e/);
    const sub = new Redis({ port: c.port });
    await sub.subscribe('ch');
    expect(await io.client('LIST')).toMatch(/flags=P .*sub=1/);
    // CLIENT LIST filters (redis-py's client_list(client_id=…)): ID picks those clients, TYPE pubsub the subscribed ones.
    const ids = (list: unknown) => String(list).trim().split('\n').filter(Boolean).map((l) => Number(/^id=(\d+)/.exec(l)![1])).sort((x, y) => x - y);
    const others = await Promise.all([0, 1, 2].map(async () => { const r = new Redis({ port: c.port }); return { r, id: await r.client('ID') as number }; }));
    expect(ids(await io.call('CLIENT', 'LIST', 'ID', ...others.map((o) => String(o.id))))).toEqual(others.map((o) => o.id).sort((x, y) => x - y));
    expect(ids(await io.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))).toHaveLength(1);
    expect(ids(await io.call('CLIENT', 'LIST', 'TYPE', 'normal'))).not.toContain(ids(await io.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))[0]);
    for (const bad of [['ID', 'x'], ['TYPE', 'foo'], ['FOO']]) {
      const mine = await io.call('CLIENT', 'LIST', ...bad).catch((e: Error) => e.message);
      const theirs = await direct[0].call('CLIENT', 'LIST', ...bad).catch((e: Error) => e.message);
      expect(mine).toBe(theirs);
    }
    for (const o of others) o.r.disconnect();
    sub.disconnect();
    expect(await io.client('KILL', 'ID', String(id))).toBe(1);
    const raw = await RespClient.connect(c.port);
    expect((await raw.raw(['COMMAND', 'COUNT'])).toString()).toBe((await (await RespClient.connect(c.redis[0].port)).raw(['COMMAND', 'COUNT'])).toString());
    expect(await io.command('GETKEYS', 'MSET', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
    // COMMAND LIST (with FILTERBY) and DOCS: the proxy's table is redis-server's, so a backend answers.
    for (const args of [['LIST'], ['LIST', 'FILTERBY', 'ACLCAT', 'list'], ['LIST', 'FILTERBY', 'PATTERN', 'l*'], ['DOCS', 'get']]) {
      expect(await io.call('COMMAND', ...args)).toEqual(await direct[0].call('COMMAND', ...args));
    }
    raw.close();
    a.disconnect();
  });

  it('routes MEMORY USAGE and OBJECT by key', async () => {
    await io.set('mu:key', 'x'.repeat(100));
    const owner = (await Promise.all(direct.map((d) => d.exists('mu:key')))).indexOf(1);
    expect(await io.call('MEMORY', 'USAGE', 'mu:key')).toBe(await direct[owner].call('MEMORY', 'USAGE', 'mu:key'));
    expect(await io.object('ENCODING', 'mu:key')).toBe('raw');
  });
});
