// Blocking commands through the proxy (real CLI, 3 real redis-servers, pool
// timeout 300 ms): a dedicated backend connection for the block, the command's
// own timeout honoured past the pool's, other clients not stalled, the backend
// connection released at once when the client disconnects mid-block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../../fixtures/cluster.js';
import { RespClient, decode } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

let c: Cluster;
let io: Redis;
beforeAll(async () => {
  c = await startCluster({ servers: 3, timeout: 300 });
  io = new Redis({ port: c.port });
});
afterAll(async () => {
  io?.disconnect();
  await c?.stop();
});

/** blocked_clients summed over the backends (asked of each directly). */
async function blockedOnBackends(): Promise<number> {
  let n = 0;
  for (const r of c.redis) {
    const d = new Redis({ port: r.port });
    n += Number(/blocked_clients:(\d+)/.exec(await d.info('clients'))![1]);
    d.disconnect();
  }
  return n;
}

describe('blocking commands', () => {
  it('BLPOP waits past the pool timeout for its own, then answers nil; a push from another client wakes it', async () => {
    const b = await RespClient.connect(c.port);
    const t0 = Date.now();
    expect((await b.raw(['BLPOP', 'bq:1', '1'], 5000)).toString()).toBe('*-1\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    b.send(['BLPOP', 'bq:2', '0']);
    await until('blocked on a backend', async () => (await blockedOnBackends()) === 1, 3000);
    // Other clients go on meanwhile, on every server.
    for (let i = 0; i < 30; i++) expect(await io.set(`bk:${i}`, 'v')).toBe('OK');
    await io.rpush('bq:2', 'job');
    expect(decode(await b.nextRaw())).toEqual(['bq:2', 'job']);
    b.close();
  });

  it('releases the backend connection at once when the client disconnects mid-BLPOP', async () => {
    const clientsOn = async () => {
      let n = 0;
      for (const r of c.redis) { const d = new Redis({ port: r.port }); n += Number(/connected_clients:(\d+)/.exec(await d.info('clients'))![1]); d.disconnect(); }
      return n;
    };
    const base = await clientsOn();
    const b = await RespClient.connect(c.port);
    b.send(['BLPOP', 'bq:gone', '0']);
    await until('blocked', async () => (await blockedOnBackends()) === 1, 3000);
    b.close();
    await until('unblocked on the backend', async () => (await blockedOnBackends()) === 0, 1000);
    await until('backend connection closed', async () => (await clientsOn()) <= base, 1000);
    // Nothing was popped by the abandoned block.
    await io.rpush('bq:gone', 'x');
    expect(await io.lpop('bq:gone')).toBe('x');
  });

  it('BRPOPLPUSH, BLMOVE, BZPOPMIN, BLMPOP and XREAD BLOCK work on one server and refuse keys on several', async () => {
    await io.rpush('{b}src', 'a', 'b');
    expect(await io.brpoplpush('{b}src', '{b}dst', 1)).toBe('b');
    expect(await io.blmove('{b}src', '{b}dst', 'LEFT', 'RIGHT', 1)).toBe('a');
    await io.zadd('{b}z', 1, 'm');
    expect(await io.bzpopmin('{b}z', 1)).toEqual(['{b}z', 'm', '1']);
    expect(await io.call('BLMPOP', '1', '2', '{b}none', '{b}dst', 'LEFT')).toEqual(['{b}dst', ['b']]);
    const r = new Redis({ port: c.port });
    const read = r.xread('BLOCK', 2000, 'STREAMS', '{b}s', '$');
    await until('xread blocked', async () => (await blockedOnBackends()) === 1, 3000);
    await io.xadd('{b}s', '*', 'f', 'v');
    const got = await read;
    expect(got![0]![0]).toBe('{b}s');
    r.disconnect();
    // Keys on different servers: the cross-server error, as for any multi-key command.
    let keys: string[] = [];
    for (let i = 0; keys.length < 2 && i < 100; i++) {
      keys = [`bx:a`, `bx:${i}`];
      const err = await io.blpop(...keys, 1).catch((e: Error) => e.message);
      if (typeof err === 'string' && err.startsWith('CROSSSLOT')) return;
      keys = [];
    }
    throw new Error('no pair of keys on different servers refused');
  });
});
