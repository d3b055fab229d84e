// Failure behaviour through the real CLI: request timeouts, auto-ejection
// with Twemproxy's semantics, and RESP errors instead of silent closes.
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startCluster, readStats, rawExchange, type Cluster } from '../../fixtures/cluster.js';
import { startProcess, startRedis, tmpDir } from '../../fixtures/procs.js';

let c: Cluster | null = null;
afterEach(async () => {
  if (c) {
    for (const r of c.redis) r.resume();
    await c.stop();
  }
  c = null;
});

async function keyOn(cl: Cluster, server: number, prefix: string): Promise<string> {
  const io = new Redis({ port: cl.port, maxRetriesPerRequest: 0 });
  const direct = new Redis({ port: cl.redis[server].port });
  try {
    for (let i = 0; i < 200; i++) {
      const k = `${prefix}:${i}`;
      await io.set(k, 'probe');
      if (await direct.exists(k)) return k;
    }
    throw new Error('no key found for server');
  } finally {
    io.disconnect();
    direct.disconnect();
  }
}

describe('proxy failures', () => {
  it('times out a request to a stalled backend with a RESP error, and serves other servers meanwhile', async () => {
    c = await startCluster({ timeout: 300 });
    const slowKey = await keyOn(c, 0, 'slow');
    const fastKey = await keyOn(c, 1, 'fast');
    const io = new Redis({ port: c.port, maxRetriesPerRequest: 0 });
    c.redis[0].pause();
    const t0 = Date.now();
    const other = new Redis({ port: c.port });
    const [slow, fast] = await Promise.allSettled([io.get(slowKey), other.get(fastKey)]);
    other.disconnect();
    const took = Date.now() - t0;
    c.redis[0].resume();
    expect(slow.status).toBe('rejected');
    expect((slow as PromiseRejectedResult).reason.message).toMatch(/^ERR timeout: backend 127\.0\.0\.1:\d+ did not reply in time/);
    expect(fast).toEqual({ status: 'fulfilled', value: 'probe' });
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    // The connection is usable again once the server answers.
    expect(await io.get(slowKey)).toBe('probe');
    const stats = await readStats(c.statsPort);
    const label = `127.0.0.1:${c.redis[0].port}`;
    expect(stats.alpha[label].server_timedout).toBeGreaterThanOrEqual(1);
    io.disconnect();
  });

  it('answers a split MGET/DEL/MSET whose fragment times out with the timeout error, and merges again afterwards', async () => {
    c = await startCluster({ timeout: 300 });
    const slowKey = await keyOn(c, 0, 'slow');
    const fastKey = await keyOn(c, 1, 'fast');
    const otherKey = await keyOn(c, 2, 'other');
    const io = new Redis({ port: c.port, maxRetriesPerRequest: 0 });
    c.redis[0].pause();
    const results = await Promise.allSettled([
      io.mget(fastKey, slowKey, otherKey),
      io.del(fastKey, slowKey),
      io.mset(otherKey, 'x', slowKey, 'y'),
    ]);
    c.redis[0].resume();
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason.message).toMatch(/^ERR (timeout: backend 127\.0\.0\.1:\d+ did not reply in time|backend 127\.0\.0\.1:\d+ )/);
    }
    // Once the server answers, the same commands merge normally, values in key order.
    expect(await io.mset(fastKey, 'f', slowKey, 's', otherKey, 'o')).toBe('OK');
    expect(await io.mget(otherKey, slowKey, 'missing:key', fastKey)).toEqual(['o', 's', null, 'f']);
    expect(await io.del(fastKey, slowKey, otherKey, 'missing:key')).toBe(3);
    io.disconnect();
  });

  it('ejects a dead server after server_failure_limit failures, remaps its keys, and takes it back after the retry timeout', async () => {
    c = await startCluster({ timeout: 500, autoEject: true, failureLimit: 2, retryTimeout: 1500 });
    const deadKey = await keyOn(c, 2, 'dead');
    const io = new Redis({ port: c.port, maxRetriesPerRequest: 0 });
    const port2 = c.redis[2].port;
    await c.redis[2].stop();
    const errors: string[] = [];
    let ok = false;
    for (let i = 0; i < 10 && !ok; i++) {
      try {
        expect(await io.set(deadKey, 'moved')).toBe('OK');
        ok = true;
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    expect(ok).toBe(true);
    // The open connection's close already counted once; then 1 or 2 refused requests reach the limit.
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);
    for (const m of errors) expect(m).toMatch(new RegExp(`^ERR backend 127\\.0\\.0\\.1:${port2} failed`));
    expect(await io.get(deadKey)).toBe('moved');
    const stats = await readStats(c.statsPort);
    expect(stats.alpha.server_ejects).toBe(1);
    expect(stats.alpha[`127.0.0.1:${port2}`].server_ejected_at).toBeGreaterThan(0);
    // Bring the server back on the same port: after the retry timeout the key maps to it again.
    const back = await startProcess('redis-server', ['--port', String(port2), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpDir()], { port: port2 });
    try {
      await new Promise((r) => setTimeout(r, 1700));
      let landed = false;
      const direct = new Redis({ port: port2 });
      for (let i = 0; i < 5 && !landed; i++) {
        try { await io.set(deadKey, 'home'); } catch { /* a retry may fail once more */ }
        landed = (await direct.get(deadKey)) === 'home';
      }
      direct.disconnect();
      expect(landed).toBe(true);
    } finally {
      await back.stop();
      io.disconnect();
    }
  });

  it('asks clients to AUTH when redis_auth is set, and authenticates to the backends', async () => {
    const redis = await Promise.all([0, 1].map(() => startRedis(['--requirepass', 's3cret'])));
    c = await startCluster({ redis, redisAuth: 's3cret' });
    const anon = await rawExchange(c.port, 'GET x\r\nAUTH wrong\r\nAUTH s3cret\r\nGET x\r\n');
    expect(anon.data).toBe('-NOAUTH Authentication required.\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n$-1\r\n');
    const io = new Redis({ port: c.port, password: 's3cret' });
    expect(await io.set('authed', '1')).toBe('OK');
    expect(await io.mget('authed', 'other')).toEqual(['1', null]);
    io.disconnect();
    await Promise.all(redis.map((r) => r.stop()));
  });
});
