// RESP3 through the proxy (its real CLI, 3 real redis-servers): HELLO 3 with
// AUTH/SETNAME answered as redis-server answers it, and RESP3 replies for every
// kind of command, compared byte for byte with what redis-server itself sends a
// RESP3 connection. node-redis 6 and ioredis with default options, redis-cli -3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../../fixtures/cluster.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { startRedis } from '../../fixtures/procs.js';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ servers: 3, timeout: 2000 });
});
afterAll(async () => {
  await c?.stop();
});

/** A raw connection that said HELLO 3; its reply to HELLO is returned too. */
async function resp3(port: number, extra: string[] = []): Promise<{ conn: RespClient; hello: string }> {
  const conn = await RespClient.connect(port);
  const hello = (await conn.raw(['HELLO', '3', ...extra])).toString('latin1');
  return { conn, hello };
}

describe('RESP3', () => {
  it('answers HELLO 3 with the map redis-server sends (id aside), and HELLO with bad versions as it does', async () => {
    const proxy = await resp3(c.port, ['SETNAME', 'app1']);
    const direct = await resp3(c.redis[0].port, ['SETNAME', 'app1']);
    const strip = (s: string) => s.replace(/:\d+\r\n\$4\r\nmode/, ':N\r\n$4\r\nmode').replace(/\$5\r\n7\.[^\r]*\r\n/, '$5\r\nV\r\n');
    expect(proxy.hello.startsWith('%7\r\n')).toBe(true);
    expect(strip(proxy.hello)).toBe(strip(direct.hello));
    expect((await proxy.conn.raw(['CLIENT', 'GETNAME'])).toString()).toBe('$4\r\napp1\r\n');
    for (const bad of [['HELLO', '4'], ['HELLO', 'x'], ['HELLO', '3', 'BOGUS']]) {
      expect((await proxy.conn.raw(bad)).toString()).toBe((await direct.conn.raw(bad)).toString());
    }
    proxy.conn.close();
    direct.conn.close();
  });

  it('sends RESP3 replies byte for byte as redis-server does, for forwarded, split and local commands', async () => {
    const proxy = await resp3(c.port);
    const direct = await resp3(c.redis[0].port);
    const setup: string[][] = [
      ['DEL', 'r3:h', 'r3:s', 'r3:z', 'r3:str', 'r3:missing'],
      ['HSET', 'r3:h', 'a', '1', 'b', '2'], ['SADD', 'r3:s', 'x'] /* one member: a set's order differs between servers */, ['ZADD', 'r3:z', '1.5', 'm'], ['SET', 'r3:str', 'v'],
    ];
    for (const cmd of setup) { await proxy.conn.raw(cmd); await direct.conn.raw(cmd); }
    const checks: string[][] = [
      ['HGETALL', 'r3:h'], ['SMEMBERS', 'r3:s'], ['ZSCORE', 'r3:z', 'm'], ['ZRANGE', 'r3:z', '0', '-1', 'WITHSCORES'],
      ['GET', 'r3:missing'], ['GET', 'r3:str'], ['MGET', 'r3:str', 'r3:missing', 'r3:h'], ['EXISTS', 'r3:str', 'r3:missing'],
      ['HRANDFIELD', 'r3:missing'], ['PING'], ['ECHO', 'e'], ['CLIENT', 'GETNAME'], ['COMMAND', 'INFO', 'nosuchcmd'],
      ['SMISMEMBER', 'r3:s', 'x', 'q'], ['OBJECT', 'FREQ', 'r3:missing'],
    ];
    for (const cmd of checks) {
      const want = (await direct.conn.raw(cmd)).toString('latin1');
      expect({ cmd, reply: (await proxy.conn.raw(cmd)).toString('latin1') }).toEqual({ cmd, reply: want });
    }
    // A RESP2 client at the same time keeps RESP2.
    const two = await RespClient.connect(c.port);
    expect((await two.raw(['HGETALL', 'r3:h'])).toString()[0]).toBe('*');
    expect((await two.raw(['GET', 'r3:missing'])).toString()).toBe('$-1\r\n');
    two.close();
    // RESET goes back to RESP2.
    expect((await proxy.conn.raw(['RESET'])).toString()).toBe('+RESET\r\n');
    expect((await proxy.conn.raw(['GET', 'r3:missing'])).toString()).toBe('$-1\r\n');
    proxy.conn.close();
    direct.conn.close();
  });

  it('authenticates in HELLO 3 AUTH on a pool with redis_auth, as redis-server does', async () => {
    const servers = await Promise.all([startRedis(['--requirepass', 'sekret']), startRedis(['--requirepass', 'sekret'])]);
    const pw = await startCluster({ redis: servers, redisAuth: 'sekret', timeout: 2000 });
    try {
      const conn = await RespClient.connect(pw.port);
      expect((await conn.raw(['GET', 'x'])).toString()).toMatch(/^-NOAUTH/);
      expect((await conn.raw(['HELLO', '3'])).toString()).toMatch(/^-NOAUTH/);
      expect((await conn.raw(['HELLO', '3', 'AUTH', 'default', 'wrong'])).toString()).toMatch(/^-WRONGPASS/);
      expect((await conn.raw(['HELLO', '3', 'AUTH', 'default', 'sekret', 'SETNAME', 'n1'])).toString()).toMatch(/^%7\r\n/);
      expect((await conn.raw(['GET', 'x'])).toString()).toBe('_\r\n');
      conn.close();
    } finally {
      await pw.stop();
      await Promise.all(servers.map((r) => r.stop()));
    }
  });

  it('works with node-redis 6 createClient({ url }) and default options (RESP3): strings and hashes', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${c.port}` });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.set('nr6:s', 'hello');
      expect(await client.get('nr6:s')).toBe('hello');
      expect(await client.incr('nr6:n')).toBeGreaterThan(0);
      await client.hSet('nr6:h', { a: '1', b: '2' });
      expect(await client.hGetAll('nr6:h')).toEqual({ a: '1', b: '2' });
      expect(await client.mGet(['nr6:s', 'nr6:missing', 'nr6:n'])).toEqual(['hello', null, expect.any(String)]);
      expect(await client.get('nr6:missing')).toBeNull();
      expect(await client.sendCommand(['HELLO'])).toMatchObject({ proto: 3 });
    } finally {
      client.destroy();
    }
  });

  it('works with ioredis default options and with redis-cli -3', async () => {
    const io = new Redis({ port: c.port, host: '127.0.0.1' });
    await io.hset('io:h', 'f', 'v');
    expect(await io.hgetall('io:h')).toEqual({ f: 'v' });
    io.disconnect();
    const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-3', '-p', String(port), ...args]).toString();
    for (const port of [c.port, c.redis[0].port]) cli(port, 'HSET', 'cli3:h', 'k', 'v');
    for (const cmd of [['HGETALL', 'cli3:h'], ['GET', 'cli3:missing'], ['HELLO', '3'], ['SMISMEMBER', 'cli3:none', 'a']]) {
      const mask = (s: string) => s.replace(/\nid \d+\n/, '\nid N\n');
      expect(mask(cli(c.port, ...cmd))).toBe(mask(cli(c.redis[0].port, ...cmd)));
    }
  });
});
