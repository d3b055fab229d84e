// Ring updates while the client runs: a real `shardgate proxy` watching its
// config file, one client following the proxy's admin API (/events, GET /ring)
// and one watching the same file. A server is added to the file under a
// steady write load: both clients apply the new ring (a 'ring' event with the
// proxy's servers), route every key where the proxy now puts it (written
// through the proxy, read back from each redis-server), and their writes reach
// the new server. Then the proxy restarts with a changed ring: the admin
// client's event stream drops, it polls GET /ring and reopens the stream, and
// follows the new ring. A read stuck on a node the new ring drops is sent
// again on the new ring; a write is not.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient, type RingEvent, type ShardgateClient } from '../../../src/client/index.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { until } from '../../fixtures/until.js';

let redis: Proc[] = [];
let direct: Redis[] = [];
let proxy: Proc;
let port: number;
let admin: string;
let file: string;

function writeConfig(servers: number[]): void {
  fs.writeFileSync(file, ['cache:', `  listen: 127.0.0.1:${port}`, '  hash: murmur', '  distribution: ketama', '  redis: true', '  servers:',
    ...servers.map((i) => `    - 127.0.0.1:${redis[i]!.port}:1 n${i}`),
    'shardgate:', '  watch: true', '  log_level: warn', '  admin:', `    listen: ${admin}`, ''].join('\n'));
}

async function startProxy(): Promise<Proc> {
  const p = await startShardgate(['proxy', '-c', file, '-s', '0'], port);
  await until('the admin API answers', () => fetch(`http://${admin}/healthz`).then((r) => r.ok, () => false));
  return p;
}

/** For each key: the server (n0, n1, …) the proxy writes it to, read back from the redis-servers. */
async function proxyPlacement(keys: string[]): Promise<Map<string, string>> {
  await Promise.all(direct.map((d) => d.flushall()));
  const via = new Redis({ port });
  const p = via.pipeline();
  for (const k of keys) p.set(k, '1');
  await p.exec();
  via.disconnect();
  const where = new Map<string, string>();
  for (let i = 0; i < direct.length; i++) for (const k of await direct[i]!.keys('*')) where.set(k, `n${i}`);
  return where;
}

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2].map(() => startRedis()));
  direct = redis.map((r) => new Redis({ port: r.port }));
  port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  file = path.join(tmpDir('shardgate-client-ring-'), 'proxy.yaml');
  writeConfig([0, 1]);
  proxy = await startProxy();
});
afterAll(async () => {
  for (const d of direct) d.disconnect();
  await proxy?.stop();
  await Promise.all(redis.map((r) => r.stop()));
});

describe('ring updates', () => {
  it('a server added to the proxy config: the admin-fed and the file-watching clients reroute to it, writes keep succeeding', async () => {
    const fromAdmin = await createClient({ admin: `http://${admin}`, pool: 'cache' });
    const fromFile = await createClient({ config: file, pool: 'cache', watch: true });
    const events: Record<string, RingEvent[]> = { admin: [], file: [] };
    fromAdmin.on('ring', (e) => events.admin!.push(e));
    fromFile.on('ring', (e) => events.file!.push(e));
    const keys = Array.from({ length: 3000 }, (_, i) => `key:${i}`);
    try {
      expect(fromAdmin.ring.servers.map((s) => s.name)).toEqual(['n0', 'n1']);
      // a steady write load across the change
      let writes = 0;
      const errors: unknown[] = [];
      let stop = false;
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          for (const cl of [fromAdmin, fromFile]) {
            await cl.set(`load:${i % 500}`, String(i)).then(() => { writes++; }, (e: unknown) => { errors.push(e); });
          }
        }
      })();
      await until('some writes', () => writes > 200);
      writeConfig([0, 1, 2]);
      await until('both clients applied the new ring', () => events.admin!.length > 0 && events.file!.length > 0, 15_000);
      const before = writes;
      await until('writes after the change', () => writes > before + 200);
      stop = true;
      await load;
      expect(errors).toEqual([]);

      const a = events.admin!.at(-1)!;
      expect(a.servers.map((s) => s.name)).toEqual(['n0', 'n1', 'n2']);
      expect(a.version).toBeGreaterThan(a.oldVersion);
      expect(events.file!.at(-1)!.servers.map((s) => s.name)).toEqual(['n0', 'n1', 'n2']);

      const where = await proxyPlacement(keys);
      let moved = 0;
      for (const k of keys) {
        expect(fromAdmin.serverFor(k)).toBe(where.get(k));
        expect(fromFile.serverFor(k)).toBe(where.get(k));
        if (where.get(k) === 'n2') moved++;
      }
      expect(moved).toBeGreaterThan(300);
      // the clients' own writes land on the new server
      await Promise.all(direct.map((d) => d.flushall()));
      for (const k of keys.slice(0, 500)) await fromAdmin.set(k, 'a');
      for (const k of keys.slice(500, 1000)) await fromFile.set(k, 'f');
      for (const k of keys.slice(0, 1000)) expect(await direct[Number(where.get(k)!.slice(1))]!.exists(k)).toBe(1);
      expect((await direct[2]!.dbsize())).toBeGreaterThan(100);
    } finally {
      await fromAdmin.quit();
      await fromFile.quit();
    }
  });

  it('the event stream drops (proxy restart): the client polls GET /ring, reopens the stream and follows the new ring', async () => {
    const c = await createClient({ admin: `http://${admin}`, pool: 'cache', pollMs: 200 });
    const events: RingEvent[] = [];
    const problems: Error[] = [];
    c.on('ring', (e) => events.push(e));
    c.on('error', (e) => problems.push(e));
    try {
      expect(c.ring.servers.map((s) => s.name)).toEqual(['n0', 'n1', 'n2']);
      await proxy.stop();
      writeConfig([1, 2]);
      await until('the client saw the stream drop', () => problems.length > 0, 5000);
      proxy = await startProxy();
      await until('the client follows the restarted proxy', () => events.length > 0, 10_000);
      expect(c.ring.servers.map((s) => s.name)).toEqual(['n1', 'n2']);
      // …and, with the stream open again, a later change arrives too
      writeConfig([0, 1, 2]);
      await until('the next change', () => events.length > 1 && c.ring.servers.length === 3, 10_000);
      const keys = Array.from({ length: 1000 }, (_, i) => `after:${i}`);
      const where = await proxyPlacement(keys);
      for (const k of keys) expect(c.serverFor(k)).toBe(where.get(k));
    } finally {
      await c.quit();
    }
  });

  it('a read stuck on a node the new ring drops is sent once more on the new ring; a write is not', async () => {
    const c = await createClient({ admin: `http://${admin}`, pool: 'cache', timeoutMs: 6000 });
    const events: RingEvent[] = [];
    c.on('ring', (e) => events.push(e));
    try {
      expect(c.ring.servers.map((s) => s.name)).toEqual(['n0', 'n1', 'n2']);
      const onN0 = Array.from({ length: 200 }, (_, i) => `stuck:${i}`).filter((k) => c.serverFor(k) === 'n0');
      const [readKey, writeKey] = [onN0[0]!, onN0[1]!];
      await direct[0]!.set(readKey, 'old');
      for (const d of direct.slice(1)) await d.set(readKey, 'moved');
      expect(await c.get(readKey)).toBe('old'); // the connection to n0 is up
      redis[0]!.pause();
      try {
        const read = c.get(readKey);
        const write = c.set(writeKey, 'w').catch((e: unknown) => e);
        await new Promise((r) => setTimeout(r, 100));
        writeConfig([1, 2]);
        await until('the ring without n0', () => events.length > 0, 10_000);
        expect(await read).toBe('moved');
        expect(await write).toMatchObject({ code: 'SG_ERR_TIMEOUT', server: 'n0' });
      } finally {
        redis[0]!.resume();
      }
      await until('n0 ran the write', async () => (await direct[0]!.get(writeKey)) !== null, 5000);
      // The write reached n0 before it stalled (and runs there once it resumes); it was not sent to the new owner.
      expect(await direct[1]!.exists(writeKey) + await direct[2]!.exists(writeKey)).toBe(0);
      expect(await direct[0]!.get(writeKey)).toBe('w');
    } finally {
      await c.quit();
    }
  });
});
