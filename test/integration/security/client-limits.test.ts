// Process-wide client limits (`shardgate: limits: idle_timeout, max_clients`),
// through the real CLI in front of a real redis-server. idle_timeout follows
// Redis's `timeout`: a client that sends nothing is closed after that many
// seconds; one that keeps talking, one with subscriptions and one blocked in
// BLPOP stay (the blocked one gets its reply). max_clients counts the clients
// of every pool: past it a new connection gets Redis's own error text
// (compared with a redis-server started with --maxclients) and is closed;
// refusals and idle closes are counted in INFO and /metrics; a reload changes
// both.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForAdmin } from '../../fixtures/admin.js';
import { metric, readMetrics } from '../../fixtures/metrics.js';
import { freePort } from '../../fixtures/ports.js';
import { until } from '../../fixtures/until.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';

let redis: Proc;
let proxy: Proc;
let conf = '';
const port = { a: 0, b: 0 };
let admin = '';

function yaml(limits: { idle: number; max: number }): string {
  const pool = (name: string, p: number) => [`${name}:`, `  listen: 127.0.0.1:${p}`, '  redis: true', '  servers:', `    - 127.0.0.1:${redis.port}:1`];
  return [
    ...pool('a', port.a), ...pool('b', port.b),
    'shardgate:', '  admin:', `    listen: ${admin}`, '  limits:', `    idle_timeout: ${limits.idle}`, `    max_clients: ${limits.max}`,
  ].join('\n') + '\n';
}

/** Connect and read what the server sends until it closes (or `ms` pass): a refused connection's whole answer. */
function connectAndRead(p: number, ms = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ port: p, host: '127.0.0.1' });
    let data = '';
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('error', () => { /* close follows */ });
    const t = setTimeout(() => { s.destroy(); resolve({ data, closed: false }); }, ms);
    s.on('close', () => { clearTimeout(t); resolve({ data, closed: true }); });
  });
}

/** Client connections open now, all pools (the admin API's gauge: no client connection of its own). */
const connected = async (): Promise<number> => metric(await readMetrics(admin), 'shardgate_client_connections');

const info = async (p: number, field: string): Promise<number> => {
  const c = await RespClient.connect(p);
  const text = String(await c.call(['INFO', 'stats']));
  c.close();
  return Number(new RegExp(`${field}:(\\d+)`).exec(text)?.[1] ?? NaN);
};

beforeAll(async () => {
  redis = await startRedis();
  port.a = await freePort();
  port.b = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  conf = path.join(tmpDir('shardgate-limits-'), 'proxy.yaml');
  fs.writeFileSync(conf, yaml({ idle: 2, max: 0 }));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port.a);
  await waitForAdmin(admin);
}, 60_000);
afterAll(async () => { await proxy?.stop(); await redis?.stop(); });

describe('limits.idle_timeout', () => {
  it('closes a silent client after the timeout; a talking, a subscribed and a blocked client stay', async () => {
    const silent = await RespClient.connect(port.a);
    const neverSpoke = await RespClient.connect(port.b);
    const talker = await RespClient.connect(port.a);
    const subscriber = await RespClient.connect(port.a);
    expect(await subscriber.call(['SUBSCRIBE', 'idle:ch'])).toEqual(['subscribe', 'idle:ch', 1]);
    const blocked = await RespClient.connect(port.b);
    blocked.send(['BLPOP', 'idle:list', '0']);
    expect(await silent.call(['PING'])).toBe('PONG');
    const t0 = Date.now();
    const talking = setInterval(() => { void talker.call(['PING']); }, 400);
    try {
      await until('the silent clients are closed', () => silent.closed && neverSpoke.closed, 10_000, 50);
      const after = Date.now() - t0;
      expect(after).toBeGreaterThanOrEqual(1500); // 2 s, seen by a sweep of one second
      // well past the timeout the others are still there
      await new Promise((r) => setTimeout(r, 2500));
      expect(talker.closed).toBe(false);
      expect(subscriber.closed).toBe(false);
      expect(blocked.closed).toBe(false);
    } finally {
      clearInterval(talking);
    }
    const pusher = await RespClient.connect(port.a);
    expect(await pusher.call(['RPUSH', 'idle:list', 'x'])).toBe(1);
    expect(await pusher.call(['PUBLISH', 'idle:ch', 'hello'])).toBe(1);
    pusher.close();
    expect(String(await blocked.nextRaw(5000))).toContain('idle:list');
    expect(String(await subscriber.nextRaw(5000))).toContain('hello');
    expect(await info(port.a, 'client_idle_timeouts')).toBeGreaterThanOrEqual(2);
    for (const x of [talker, subscriber, blocked]) x.close();
  });

  it('a client whose reply takes longer than the timeout is not closed while it waits, nor right after', async () => {
    const c = await RespClient.connect(port.a);
    // DEBUG SLEEP is refused by the proxy: the wait comes from a blocking command the server ends itself
    const reply = await c.raw(['BLPOP', 'idle:none', '3'], 8000);
    expect(reply.toString()).toMatch(/^\*-1\r\n$/);
    expect(await c.call(['PING'])).toBe('PONG');
    c.close();
  });
});

describe('limits.max_clients', () => {
  beforeAll(async () => {
    fs.writeFileSync(conf, yaml({ idle: 0, max: 3 }));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput('limits.max_clients 3 (new connections)');
  });

  it('counts the clients of every pool; past the limit Redis\'s own error, then the connection is closed', async () => {
    const reference = await startRedis(['--maxclients', '1']);
    // the fixture's port probe may still hold the one slot for a moment
    let hold = await RespClient.connect(reference.port);
    await until('a client of the reference server is served', async () => {
      if ((await hold.call(['PING'])) === 'PONG') return true;
      hold.close();
      hold = await RespClient.connect(reference.port);
      return false;
    }, 5000, 50);
    const theirs = await connectAndRead(reference.port);
    hold.close();
    await reference.stop();

    const before = await info(port.a, 'rejected_connections');
    const held = [await RespClient.connect(port.a), await RespClient.connect(port.b), await RespClient.connect(port.b)];
    for (const h of held) expect(await h.call(['PING'])).toBe('PONG');
    const ours = await connectAndRead(port.a);
    expect(ours).toEqual(theirs);
    expect(ours.data).toBe('-ERR max number of clients reached\r\n');
    expect((await connectAndRead(port.b)).data).toBe('-ERR max number of clients reached\r\n');
    held[0]!.close();
    await until('a slot is free again', async () => (await connected()) === 2, 5000, 50);
    const c = await RespClient.connect(port.a);
    expect(await c.call(['PING'])).toBe('PONG');
    c.close();
    for (const h of held) h.close();
    await until('the held clients are gone', async () => (await connected()) === 0, 5000, 50);
    expect(await info(port.a, 'rejected_connections')).toBeGreaterThanOrEqual(before + 2);
    const m = await readMetrics(admin);
    expect(metric(m, 'shardgate_rejected_connections_total')).toBeGreaterThanOrEqual(2);
    expect(metric(m, 'shardgate_client_idle_timeouts_total')).toBeGreaterThanOrEqual(2);
  });

  it('a crowd of 1000 silent connections is closed by idle_timeout; the others past max_clients are refused; a client that talks stays', async () => {
    fs.writeFileSync(conf, yaml({ idle: 1, max: 600 }));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput('limits.max_clients 600 (new connections)');
    const talker = await RespClient.connect(port.a);
    const talking = setInterval(() => { void talker.call(['PING']); }, 300);
    const crowd = await Promise.all(Array.from({ length: 1000 }, (_, i) => connectAndRead(i % 2 === 0 ? port.a : port.b, 15_000)));
    clearInterval(talking);
    const refused = crowd.filter((c) => c.data === '-ERR max number of clients reached\r\n').length;
    const idled = crowd.filter((c) => c.closed && c.data === '').length;
    console.log(`crowd of 1000: ${refused} refused by max_clients, ${idled} closed silent by idle_timeout, ${crowd.length - refused - idled} other`);
    expect(refused + idled).toBe(1000);
    // the talker holds one slot; on a slow machine slots that idle out early admit more of the crowd
    expect(refused).toBeGreaterThan(0);
    expect(idled).toBeGreaterThanOrEqual(599);
    expect(talker.closed).toBe(false);
    expect(await talker.call(['PING'])).toBe('PONG');
    talker.close();
  }, 30_000);

  it('a reload to 0 lifts the limit', async () => {
    fs.writeFileSync(conf, yaml({ idle: 0, max: 0 }));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput('limits.max_clients 0 (new connections)');
    const many = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port.a)));
    for (const m of many) expect(await m.call(['PING'])).toBe('PONG');
    for (const m of many) m.close();
  });
});
