// Backend write batching: while requests written to a server still await their
// replies, a small batch of new ones waits for those replies and then leaves in
// one write; a batch of 2 KB or more leaves at once. Seen through the stats
// (in_queue = held, out_queue = written and awaiting) against a frozen redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startCluster, readStats, type Cluster } from '../../fixtures/cluster.js';
import { until } from '../../fixtures/until.js';

let c: Cluster;
beforeAll(async () => { c = await startCluster({ servers: 1 }); });
afterAll(async () => { c.redis[0].resume(); await c.stop(); });

async function queues(): Promise<{ in: number; out: number }> {
  const stats = await readStats(c.statsPort);
  const server = Object.values(stats.alpha as Record<string, unknown>).find((v) => typeof v === 'object') as Record<string, number>;
  return { in: server.in_queue, out: server.out_queue };
}

describe('backend write batching', () => {
  it('holds small batches while a write awaits its replies, writes large ones at once, and answers all in order', async () => {
    const clients = Array.from({ length: 6 }, () => new Redis({ port: c.port, lazyConnect: true }));
    await Promise.all(clients.map((r) => r.connect()));
    await clients[0].set('warm', '1'); // the backend connection is up
    c.redis[0].pause();
    try {
      // One request goes out at once: nothing else awaits a reply.
      const first = clients[0].set('b:first', 'one');
      await until('1 written', async () => (await queues()).out === 1, 3000);
      // Five small ones from other clients wait for it, unsent.
      const small = clients.slice(1).map((r, i) => r.set(`b:small${i}`, `v${i}`));
      await until('5 held', async () => (await queues()).in === 5, 3000);
      expect((await queues()).out).toBe(1);
      // A request that makes the held batch 2 KB or more: everything held leaves with it.
      const big = 'x'.repeat(4096);
      const large = clients[1].set('b:large', big);
      await until('the held batch written', async () => (await queues()).in === 0, 3000);
      expect((await queues()).out).toBe(7);
      c.redis[0].resume();
      expect(await first).toBe('OK');
      expect(await Promise.all(small)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
      expect(await large).toBe('OK');
      // The next request after the replies goes out and is answered.
      expect(await clients[2].mget('b:first', 'b:small0', 'b:small4', 'b:large')).toEqual(['one', 'v0', 'v4', big]);
      expect(await queues()).toEqual({ in: 0, out: 0 });
    } finally {
      c.redis[0].resume();
      for (const r of clients) r.disconnect();
    }
  });

  it('sends what was held as soon as the write before it is answered', async () => {
    const a = new Redis({ port: c.port });
    const b = new Redis({ port: c.port });
    await Promise.all([a.ping(), b.ping()]);
    c.redis[0].pause();
    try {
      const slow = a.set('h:1', 'a');
      await until('1 written', async () => (await queues()).out === 1, 3000);
      const held = b.get('h:1');
      await until('1 held', async () => (await queues()).in === 1, 3000);
      c.redis[0].resume();
      expect(await slow).toBe('OK');
      // The held GET leaves after the SET's reply, so it reads the SET's value.
      expect(await held).toBe('a');
      expect(await queues()).toEqual({ in: 0, out: 0 });
    } finally {
      c.redis[0].resume();
      a.disconnect();
      b.disconnect();
    }
  });
});
