// Transactions through the proxy (real CLI, 3 real redis-servers): pinned to
// the server of the first keyed command or WATCH, MULTI/EXEC success,
// -EXECABORT after a command for another server, WATCH conflicts, DISCARD, and
// node-redis 6 (RESP3) / ioredis transactions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startCluster, type Cluster } from '../../fixtures/cluster.js';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { RespClient, decode } from '../../fixtures/resp-client.js';

let c: Cluster;
let io: Redis;
/** a redis-server outside the pool: what the same commands answer without a proxy */
let ref: Proc;
beforeAll(async () => {
  c = await startCluster({ servers: 3, timeout: 1000 });
  io = new Redis({ port: c.port });
  ref = await startRedis();
});
afterAll(async () => {
  io?.disconnect();
  await c?.stop();
  await ref?.stop();
});

/** Two keys the ring puts on different servers (found by asking the backends). */
async function keysOnTwoServers(): Promise<[string, string]> {
  const where = async (k: string) => {
    await io.set(k, '1');
    for (let i = 0; i < c.redis.length; i++) {
      const d = new Redis({ port: c.redis[i].port });
      const has = await d.exists(k);
      d.disconnect();
      if (has) return i;
    }
    return -1;
  };
  const first = await where('tx:k0');
  for (let i = 1; i < 100; i++) if ((await where(`tx:k${i}`)) !== first) return ['tx:k0', `tx:k${i}`];
  throw new Error('keys all on one server');
}

describe('transactions', () => {
  it('runs MULTI/EXEC on the server of its keys, as redis-server does', async () => {
    const script = [['MULTI'], ['SET', '{u1}a', '5'], ['INCR', '{u1}a'], ['LPUSH', '{u1}l', 'x'], ['PING'], ['EXEC']];
    const proxy = await RespClient.connect(c.port);
    const direct = await RespClient.connect(ref.port);
    for (const cmd of script) expect((await proxy.raw(cmd)).toString()).toBe((await direct.raw(cmd)).toString());
    expect(await io.get('{u1}a')).toBe('6');
    // An empty transaction, DISCARD, and the errors outside one.
    for (const cmd of [['MULTI'], ['EXEC'], ['MULTI'], ['SET', '{u1}b', '1'], ['DISCARD'], ['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['DISCARD']]) {
      expect({ cmd, r: (await proxy.raw(cmd)).toString() }).toEqual({ cmd, r: (await direct.raw(cmd)).toString() });
    }
    expect(await io.exists('{u1}b')).toBe(0);
    proxy.close(); direct.close();
  });

  it('refuses a command for another server inside MULTI, and EXEC then answers -EXECABORT (nothing ran)', async () => {
    const [k1, k2] = await keysOnTwoServers();
    const p = await RespClient.connect(c.port);
    expect((await p.raw(['MULTI'])).toString()).toBe('+OK\r\n');
    expect((await p.raw(['SET', k1, 'changed'])).toString()).toBe('+QUEUED\r\n');
    expect((await p.raw(['SET', k2, 'changed'])).toString()).toMatch(/^-CROSSSLOT /);
    expect((await p.raw(['EXEC'])).toString()).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(await io.get(k1)).toBe('1');
    expect(await io.get(k2)).toBe('1');
    // A keyless command the proxy cannot queue aborts too.
    await p.raw(['MULTI']);
    expect((await p.raw(['KEYS', '*'])).toString()).toMatch(/^-ERR 'keys' cannot be queued/);
    expect((await p.raw(['EXEC'])).toString()).toMatch(/^-EXECABORT/);
    p.close();
  });

  it('WATCH pins the server: EXEC answers nil after another client changed the key, and runs otherwise', async () => {
    const a = await RespClient.connect(c.port);
    await io.set('{w}k', '1');
    expect((await a.raw(['WATCH', '{w}k'])).toString()).toBe('+OK\r\n');
    await io.set('{w}k', '2');
    await a.raw(['MULTI']);
    await a.raw(['SET', '{w}k', 'mine']);
    expect((await a.raw(['EXEC'])).toString()).toBe('*-1\r\n');
    expect(await io.get('{w}k')).toBe('2');
    await a.raw(['WATCH', '{w}k']);
    await a.raw(['MULTI']);
    await a.raw(['SET', '{w}k', 'mine']);
    expect(decode(await a.raw(['EXEC']))).toEqual(['OK']);
    expect(await io.get('{w}k')).toBe('mine');
    a.close();
  });

  it('works with ioredis multi() and node-redis 6 multi() (RESP3, default options)', async () => {
    expect(await io.multi().set('{io}a', '1').incr('{io}a').get('{io}a').exec()).toEqual([[null, 'OK'], [null, 2], [null, '2']]);
    const nr = createClient({ url: `redis://127.0.0.1:${c.port}` });
    nr.on('error', () => {});
    await nr.connect();
    expect(await nr.multi().set('{nr}a', '1').incr('{nr}a').hSet('{nr}h', 'f', 'v').hGetAll('{nr}h').exec()).toEqual(['OK', 2, 1, { f: 'v' }]);
    nr.destroy();
  });
});
