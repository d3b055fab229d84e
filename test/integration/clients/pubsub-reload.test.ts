// Subscriptions across a topology change (real CLI, real redis-servers): a
// server added by a config reload while clients are subscribed; every channel
// moves to its owner on the new ring (subscribed there once, nowhere else),
// patterns cover the new server, and messages keep arriving once each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { poolYaml, startCluster, type Cluster } from '../../fixtures/cluster.js';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { until } from '../../fixtures/until.js';

let c: Cluster;
let extra: Proc;
beforeAll(async () => {
  c = await startCluster({ servers: 2, timeout: 1000 });
  extra = await startRedis();
});
afterAll(async () => {
  await c?.stop();
  await extra?.stop();
});

async function channelsOn(ports: number[]): Promise<string[][]> {
  return Promise.all(ports.map(async (p) => {
    const io = new Redis({ port: p });
    try { return ((await io.pubsub('CHANNELS')) as string[]).sort(); } finally { io.disconnect(); }
  }));
}

describe('pub/sub across a reload', () => {
  it('moves channels to their new owner and keeps delivering each message once', async () => {
    const sub = new Redis({ port: c.port });
    const psub = new Redis({ port: c.port });
    const pub = new Redis({ port: c.port });
    const got: string[] = [];
    const pgot: string[] = [];
    sub.on('message', (ch, m) => got.push(`${ch}=${m}`));
    psub.on('pmessage', (_p, ch, m) => pgot.push(`${ch}=${m}`));
    const channels = Array.from({ length: 30 }, (_, i) => `rl:${i}`);
    await sub.subscribe(...channels);
    await psub.psubscribe('rl:*');
    const ports = [...c.redis.map((r) => r.port), extra.port];
    expect((await channelsOn(ports))[2]).toEqual([]);

    // Add the third server: the file is replaced, the proxy reloads it.
    const tmp = path.join(path.dirname(c.confFile), '.next.yaml');
    fs.writeFileSync(tmp, poolYaml(c.port, ports, { timeout: 1000 }));
    fs.renameSync(tmp, c.confFile);
    const moved = async () => (await channelsOn(ports))[2]!.length > 0;
    await until('some channels moved to the new server', moved, 10_000);
    await until('each channel subscribed on exactly one server', async () => {
      const all = (await channelsOn(ports)).flat();
      return all.length === channels.length && new Set(all).size === channels.length;
    }, 5000);
    // Patterns now cover the new server too.
    const numpat = await Promise.all(ports.map(async (p) => { const io = new Redis({ port: p }); try { return await io.pubsub('NUMPAT'); } finally { io.disconnect(); } }));
    expect(numpat).toEqual([1, 1, 1]);

    for (const ch of channels) await pub.publish(ch, 'after');
    await until('all delivered', () => got.length === 30 && pgot.length === 30, 5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(got.sort()).toEqual(channels.map((ch) => `${ch}=after`).sort());
    expect(pgot.sort()).toEqual(channels.map((ch) => `${ch}=after`).sort());
    sub.disconnect(); psub.disconnect(); pub.disconnect();
  });
});
