// Pub/sub through the proxy (real CLI, 3 real redis-servers): channels placed
// by name so PUBLISH and SUBSCRIBE meet, patterns on every server delivered
// once, RESP2 subscribe-mode rules, RESP3 push messages (node-redis 6), PUBSUB
// introspection, and the shared subscriber fan-out measured with 1,000 subscribers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { startCluster, type Cluster } from '../../fixtures/cluster.js';
import { RespClient, decode } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ servers: 3, timeout: 500 });
});
afterAll(async () => {
  await c?.stop();
});

/** The channels each backend has subscribers for (PUBSUB CHANNELS asked of each directly). */
async function backendChannels(): Promise<string[][]> {
  return Promise.all(c.redis.map(async (r) => {
    const io = new Redis({ port: r.port });
    try { return (await io.pubsub('CHANNELS')) as string[]; } finally { io.disconnect(); }
  }));
}

const ROUNDS = 20;

/** Publish ROUNDS messages on fan:1 through `port`; every subscriber must get each once, in order. Returns the ms it took. */
async function publishTo(subs: RespClient[], port: number): Promise<number> {
  const pub = new Redis({ port });
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await pub.publish('fan:1', `msg${i}`);
  const all = await Promise.all(subs.map(async (s) => {
    const out: string[] = [];
    for (let i = 0; i < ROUNDS; i++) out.push(String((decode(await s.nextRaw(10_000)) as string[])[2]));
    return out;
  }));
  const ms = performance.now() - t0;
  pub.disconnect();
  for (const got of all) expect(got).toEqual(Array.from({ length: ROUNDS }, (_, i) => `msg${i}`));
  return ms;
}

describe('pub/sub', () => {
  it('delivers messages published on another proxy connection, by channel and by pattern, each once', async () => {
    const sub = new Redis({ port: c.port });
    const psub = new Redis({ port: c.port });
    const pub = new Redis({ port: c.port });
    const got: string[] = [];
    const pgot: string[] = [];
    sub.on('message', (ch, m) => got.push(`${ch}=${m}`));
    psub.on('pmessage', (p, ch, m) => pgot.push(`${p}|${ch}=${m}`));
    const channels = Array.from({ length: 12 }, (_, i) => `news:${i}`);
    await sub.subscribe(...channels);
    await psub.psubscribe('news:*');
    // The channels are spread over the servers by name (each subscribed on exactly one).
    const placed = await backendChannels();
    expect(placed.flat().filter((x) => x.startsWith('news:')).sort()).toEqual([...channels].sort());
    expect(placed.filter((l) => l.length > 0).length).toBeGreaterThan(1);
    for (const ch of channels) await pub.publish(ch, `m-${ch}`);
    await until('all messages', () => got.length === 12 && pgot.length === 12, 5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.sort()).toEqual(channels.map((ch) => `${ch}=m-${ch}`).sort());
    expect(pgot.sort()).toEqual(channels.map((ch) => `news:*|${ch}=m-${ch}`).sort());
    sub.disconnect(); psub.disconnect(); pub.disconnect();
  });

  it('keeps RESP2 subscribe-mode rules and replies like redis-server, and cleans up on UNSUBSCRIBE', async () => {
    const proxy = await RespClient.connect(c.port);
    const direct = await RespClient.connect(c.redis[0].port);
    const script: string[][] = [
      ['SUBSCRIBE', 'r2a', 'r2b'], ['PING'], ['PING', 'hi'], ['GET', 'k'], ['PSUBSCRIBE', 'p*'],
      ['UNSUBSCRIBE', 'r2a'], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE'], ['UNSUBSCRIBE'], ['GET', 'nokey'],
    ];
    for (const cmd of script) {
      const n = cmd[0] === 'SUBSCRIBE' ? 2 : 1;
      for (let i = 0; i < n; i++) {
        const want = (await (i === 0 ? direct.raw(cmd) : direct.nextRaw())).toString();
        const got = (await (i === 0 ? proxy.raw(cmd) : proxy.nextRaw())).toString();
        expect({ cmd, got }).toEqual({ cmd, got: want });
      }
    }
    proxy.close(); direct.close();
    await until('backend subscriptions gone', async () => (await backendChannels()).flat().every((x) => !x.startsWith('r2')), 3000);
  });

  it('sends RESP3 push messages to node-redis 6 (default options) while it runs other commands', async () => {
    const sub = createClient({ url: `redis://127.0.0.1:${c.port}` });
    const pub = createClient({ url: `redis://127.0.0.1:${c.port}` });
    sub.on('error', () => {}); pub.on('error', () => {});
    await sub.connect(); await pub.connect();
    const got: string[] = [];
    const pgot: string[] = [];
    await sub.subscribe('nr:chan', (m, ch) => got.push(`${ch}=${m}`));
    await sub.pSubscribe('nr:*', (m, ch) => pgot.push(`${ch}=${m}`));
    await sub.set('nr:key', 'v'); // RESP3: a subscribed connection still runs commands
    expect(await sub.get('nr:key')).toBe('v');
    expect(await pub.publish('nr:chan', 'one')).toBeGreaterThan(0);
    await pub.publish('nr:other', 'two');
    await until('messages', () => got.length === 1 && pgot.length === 2, 5000);
    expect(got).toEqual(['nr:chan=one']);
    expect(pgot.sort()).toEqual(['nr:chan=one', 'nr:other=two']);
    const raw = await RespClient.connect(c.port);
    await raw.raw(['HELLO', '3']);
    expect((await raw.raw(['SUBSCRIBE', 'nr:chan'])).toString()).toBe('>3\r\n$9\r\nsubscribe\r\n$7\r\nnr:chan\r\n:1\r\n');
    await pub.publish('nr:chan', 'three');
    expect((await raw.nextRaw()).toString()).toBe('>3\r\n$7\r\nmessage\r\n$7\r\nnr:chan\r\n$5\r\nthree\r\n');
    raw.close();
    await sub.unsubscribe(); await sub.pUnsubscribe();
    sub.destroy(); pub.destroy();
  });

  it('answers PUBSUB NUMSUB / CHANNELS / NUMPAT for the proxy\'s subscribers, SSUBSCRIBE/SPUBLISH meet, and refuses publishing on the proxy\'s own channels', async () => {
    const a = new Redis({ port: c.port });
    const b = new Redis({ port: c.port });
    const q = new Redis({ port: c.port });
    await a.subscribe('ps:x', 'ps:y');
    await b.subscribe('ps:x');
    await b.psubscribe('ps:*');
    expect(await q.pubsub('NUMSUB', 'ps:x', 'ps:y', 'ps:none')).toEqual(['ps:x', 2, 'ps:y', 1, 'ps:none', 0]);
    expect(((await q.pubsub('CHANNELS', 'ps:*')) as string[]).sort()).toEqual(['ps:x', 'ps:y']);
    expect(await q.pubsub('NUMPAT')).toBe(1);
    const s = await RespClient.connect(c.port);
    expect(decode(await s.raw(['SSUBSCRIBE', 'sh:1']))).toEqual(['ssubscribe', 'sh:1', 1]);
    expect(await q.call('SPUBLISH', 'sh:1', 'hello')).toBe(1);
    expect(decode(await s.nextRaw())).toEqual(['smessage', 'sh:1', 'hello']);
    expect(String(await q.publish('__shardgate__:events', 'x').catch((e: Error) => e.message))).toMatch(/proxy's own/);
    a.disconnect(); b.disconnect(); q.disconnect(); s.close();
  });

  it('serves 1,000 subscribers of one channel through one backend connection, each getting every message once', async () => {
    const n = 1000;
    const before = await Promise.all(c.redis.map(async (r) => {
      const io = new Redis({ port: r.port });
      try { return Number(/connected_clients:(\d+)/.exec(await io.info('clients'))![1]); } finally { io.disconnect(); }
    }));
    const subs = await Promise.all(Array.from({ length: n }, () => RespClient.connect(c.port)));
    await Promise.all(subs.map((s) => s.raw(['SUBSCRIBE', 'fan:1'])));
    const after = await Promise.all(c.redis.map(async (r) => {
      const io = new Redis({ port: r.port });
      try { return Number(/connected_clients:(\d+)/.exec(await io.info('clients'))![1]); } finally { io.disconnect(); }
    }));
    // One subscriber connection (on the channel's server), not one per client.
    expect(after.reduce((x, y) => x + y, 0) - before.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(1);
    const proxyMs = await publishTo(subs, c.port);
    for (const s of subs) s.close();
    // The same load straight against one redis-server, for scale.
    const direct = await Promise.all(Array.from({ length: n }, () => RespClient.connect(c.redis[0].port)));
    await Promise.all(direct.map((s) => s.raw(['SUBSCRIBE', 'fan:1'])));
    const directMs = await publishTo(direct, c.redis[0].port);
    for (const s of direct) s.close();
    console.log(`pub/sub fan-out, ${n} subscribers x ${ROUNDS} messages: proxy ${proxyMs.toFixed(0)} ms, redis-server direct ${directMs.toFixed(0)} ms`);
  }, 60_000);
});
