// Pub/sub and blocking commands in the smart client, against a real
// `shardgate proxy` and its three real redis-servers: channels and shard
// channels land on the server where the proxy puts them (compared with the
// proxy's own placement, asked of each redis-server), messages cross between
// the client and the proxy both ways, a pattern is subscribed on every server
// and each match is delivered once, unsubscribe stops delivery and clears the
// servers, a killed pub/sub connection is renewed. Blocking commands run on a
// connection of their own: the client's timeoutMs never cuts a longer block,
// a push wakes one, the shared connection keeps serving meanwhile, and quit()
// ends a block at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient, NodeError, type PubSubMessage, type ShardgateClient } from '../../../src/client/index.js';
import { startCluster, type Cluster } from '../../fixtures/cluster.js';
import { until } from '../../fixtures/until.js';

let cl: Cluster;
let direct: Redis[] = [];
let viaProxy: Redis;
let c: ShardgateClient;
const TIMEOUT_MS = 300;

beforeAll(async () => {
  cl = await startCluster({ servers: 3, timeout: 500 });
  direct = cl.redis.map((r) => new Redis({ port: r.port }));
  viaProxy = new Redis({ port: cl.port });
  c = await createClient({ config: cl.confFile, pool: 'alpha', timeoutMs: TIMEOUT_MS });
}, 30_000);
afterAll(async () => {
  await c?.quit();
  viaProxy?.disconnect();
  for (const d of direct) d.disconnect();
  await cl?.stop();
});

/** What each redis-server has subscribers for: PUBSUB CHANNELS / SHARDCHANNELS / NUMPAT asked of each directly. */
const onServers = {
  channels: () => Promise.all(direct.map(async (d) => ((await d.call('PUBSUB', 'CHANNELS')) as string[]).sort())),
  shard: () => Promise.all(direct.map(async (d) => ((await d.call('PUBSUB', 'SHARDCHANNELS')) as string[]).sort())),
  numpat: () => Promise.all(direct.map(async (d) => Number(await d.call('PUBSUB', 'NUMPAT')))),
};

const collector = () => {
  const got: PubSubMessage[] = [];
  return { got, listener: (m: PubSubMessage) => { got.push(m); } };
};

describe('client pub/sub', () => {
  const channels = Array.from({ length: 12 }, (_, i) => `news:${i}`);

  it('channels land where the proxy subscribes them; messages cross between client and proxy both ways, each once', async () => {
    // the proxy's placement, as the redis-servers see it
    const proxySub = new Redis({ port: cl.port });
    await proxySub.subscribe(...channels);
    const byProxy = await onServers.channels();
    expect(byProxy.flat().sort()).toEqual([...channels].sort());
    expect(byProxy.filter((x) => x.length > 0).length).toBeGreaterThan(1);
    await proxySub.unsubscribe();
    await until('the proxy left its channels', async () => (await onServers.channels()).flat().length === 0);

    const { got, listener } = collector();
    await c.subscribe(channels, listener);
    expect(await onServers.channels()).toEqual(byProxy);
    expect(c.subscriptions.channels.sort()).toEqual([...channels].sort());
    // published through the proxy (ioredis), received by the client
    for (const ch of channels) expect(await viaProxy.publish(ch, `p:${ch}`)).toBe(1);
    await until('every message', () => got.length >= channels.length, 5000);
    // one message per channel (the servers deliver on separate connections, so the order across channels is theirs)
    expect(got.map((m) => [m.kind, m.channel, m.message, m.pattern]).sort()).toEqual(channels.map((ch) => ['message', ch, `p:${ch}`, null]).sort());
    // published by the client, received through the proxy
    await proxySub.subscribe(...channels);
    const proxyGot: string[] = [];
    proxySub.on('message', (ch: string, m: string) => proxyGot.push(`${ch}=${m}`));
    for (const ch of channels) expect(await c.publish(ch, `c:${ch}`)).toBe(2);
    await until('the proxy subscriber got every message', () => proxyGot.length >= channels.length, 5000);
    expect(proxyGot.sort()).toEqual(channels.map((ch) => `${ch}=c:${ch}`).sort());
    proxySub.disconnect();
    await c.unsubscribe(channels);
    await until('the servers dropped the channels', async () => (await onServers.channels()).flat().length === 0);
    // after unsubscribe nothing more is delivered
    const before = got.length;
    await c.publish(channels[0]!, 'late');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(before);
    expect(c.subscriptions.channels).toEqual([]);
  });

  it('a pattern is subscribed on every server and each matching message arrives once', async () => {
    const { got, listener } = collector();
    await c.psubscribe('pat:*', listener);
    expect(await onServers.numpat()).toEqual([1, 1, 1]);
    const names = Array.from({ length: 15 }, (_, i) => `pat:${i}`);
    for (const ch of names) await viaProxy.publish(ch, ch);
    await viaProxy.publish('other:1', 'x');
    await until('every match', () => got.length >= names.length, 5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((m) => [m.kind, m.pattern, m.channel, m.message]).sort()).toEqual(names.map((n) => ['pmessage', 'pat:*', n, n]).sort());
    await c.punsubscribe();
    await until('no pattern left on the servers', async () => (await onServers.numpat()).every((n) => n === 0));
  });

  it('shard channels land where the proxy puts them and get SPUBLISH; a listener removed alone leaves the others', async () => {
    const proxySub = new Redis({ port: cl.port });
    await proxySub.ssubscribe(...channels);
    const byProxy = await onServers.shard();
    await proxySub.quit();
    await until('the proxy left its shard channels', async () => (await onServers.shard()).flat().length === 0);
    const a = collector();
    const b = collector();
    await c.ssubscribe(channels, a.listener);
    await c.ssubscribe(channels[0]!, b.listener);
    expect(await onServers.shard()).toEqual(byProxy);
    await viaProxy.call('SPUBLISH', channels[0]!, 'one');
    await c.spublish(channels[1]!, 'two');
    await until('both messages', () => a.got.length >= 2 && b.got.length >= 1, 5000);
    expect(a.got.map((m) => [m.kind, m.channel, m.message]).sort()).toEqual([['smessage', channels[0], 'one'], ['smessage', channels[1], 'two']].sort());
    await c.sunsubscribe(channels[0]!, a.listener);
    await c.spublish(channels[0]!, 'three');
    await until('b got the third', () => b.got.length >= 2, 5000);
    expect(a.got).toHaveLength(2);
    await c.sunsubscribe();
    await until('no shard channel left', async () => (await onServers.shard()).flat().length === 0);
  });

  it('a pub/sub connection killed on the server is renewed: reported on error, later messages delivered', async () => {
    const { got, listener } = collector();
    const errors: Error[] = [];
    const onError = (e: Error) => errors.push(e);
    c.on('error', onError);
    try {
      await c.subscribe('renew:1', listener);
      const at = c.ring.servers.find((s) => s.name === c.serverFor('renew:1'))!.address;
      const i = cl.redis.findIndex((r) => at === `127.0.0.1:${r.port}`);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(Number(await direct[i]!.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(1);
      await until('reported', () => errors.length > 0, 5000);
      expect(errors[0]).toBeInstanceOf(NodeError);
      await until('subscribed again on its server', async () => ((await direct[i]!.call('PUBSUB', 'CHANNELS')) as string[]).includes('renew:1'), 10_000);
      await c.publish('renew:1', 'after');
      await until('the message after the renewal', () => got.some((m) => m.message === 'after'), 5000);
    } finally {
      c.off('error', onError);
      await c.unsubscribe();
    }
  });

  it('the proxy\'s own channels, an empty list and a name that is not a string are refused', async () => {
    await expect(c.subscribe('__shardgate__:events', () => {})).rejects.toMatchObject({ code: 'SG_ERR_UNSUPPORTED' });
    await expect(c.subscribe([], () => {})).rejects.toMatchObject({ code: 'SG_ERR_ARITY' });
    await expect(c.subscribe(undefined as unknown as string, () => {})).rejects.toMatchObject({ code: 'SG_ERR_SYNTAX' });
    await expect(c.sendCommand(['SUBSCRIBE', 'x'])).rejects.toMatchObject({ code: 'SG_ERR_UNSUPPORTED' });
  });
});

/** blocked_clients of every redis-server, summed. */
async function blocked(): Promise<number> {
  let n = 0;
  for (const d of direct) n += Number(/blocked_clients:(\d+)/.exec(await d.info('clients'))![1]);
  return n;
}

describe('client blocking commands', () => {
  it(`a block longer than timeoutMs (${TIMEOUT_MS} ms) runs to its own end and answers nil`, async () => {
    const t0 = Date.now();
    expect(await c.blpop('bk:none', 1)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    const t1 = Date.now();
    expect(await c.sendCommand(['XREAD', 'BLOCK', '800', 'STREAMS', 'bk:stream', '$'])).toBeNull();
    expect(Date.now() - t1).toBeGreaterThanOrEqual(750);
    const t2 = Date.now();
    expect(await c.bzpopmin('bk:z', 0.6)).toBeNull();
    expect(Date.now() - t2).toBeGreaterThanOrEqual(550);
  });

  it('a push wakes a block with no end; each block has its own connection and the shared one keeps serving', async () => {
    const keys = ['{bk1}:a', '{bk1}:b'];
    const p1 = c.blpop(keys, 0);
    const p2 = c.brpop('{bk1}:c', 0);
    await until('two blocked on the servers', async () => (await blocked()) === 2, 5000);
    // the shared connection of the same server answers while both block
    const t0 = Date.now();
    expect(await c.set('{bk1}:plain', 'v')).toBe('OK');
    expect(await c.get('{bk1}:plain')).toBe('v');
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 200));
    await viaProxy.rpush('{bk1}:b', 'x');
    await viaProxy.rpush('{bk1}:c', 'y');
    expect(await p1).toEqual(['{bk1}:b', 'x']);
    expect(await p2).toEqual(['{bk1}:c', 'y']);
    // typed helpers over the other shapes
    await viaProxy.rpush('{bk1}:src', 'm');
    expect(await c.blmove('{bk1}:src', '{bk1}:dst', 'LEFT', 'RIGHT', 1)).toBe('m');
    expect(await viaProxy.lrange('{bk1}:dst', 0, -1)).toEqual(['m']);
    await viaProxy.zadd('{bk1}:z', 2, 'two', 1, 'one');
    expect(await c.bzpopmin('{bk1}:z', 1)).toEqual(['{bk1}:z', 'one', 1]);
    expect(await c.bzpopmax('{bk1}:z', 1)).toEqual(['{bk1}:z', 'two', 2]);
    expect(await c.sendCommand(['BLMPOP', '1', '1', '{bk1}:none', 'LEFT'])).toBeNull();
    // XREAD without BLOCK is an ordinary command
    expect(await c.sendCommand(['XREAD', 'STREAMS', '{bk1}:nostream', '0'])).toBeNull();
  });

  it('keys of a blocking command on several servers: the proxy\'s CROSSSLOT error', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `cross:${i}`);
    expect(new Set(keys.map((k) => c.serverFor(k))).size).toBeGreaterThan(1);
    const fromProxy = await viaProxy.blpop(...keys, 1).catch((e: Error) => e.message);
    await expect(c.blpop(keys, 1)).rejects.toMatchObject({ code: 'SG_ERR_CROSSSLOT', message: String(fromProxy).replace(/^CROSSSLOT /, '') });
  });

  it('quit() ends a block at once: SG_ERR_BACKEND_CLOSED, and the server no longer blocks', async () => {
    const q = await createClient({ config: cl.confFile, pool: 'alpha' });
    const p = q.blpop('bk:forever', 0);
    await until('blocked', async () => (await blocked()) === 1, 5000);
    const t0 = Date.now();
    await q.quit();
    await expect(p).rejects.toMatchObject({ code: 'SG_ERR_BACKEND_CLOSED' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await until('nothing blocked', async () => (await blocked()) === 0, 5000);
  });
});
