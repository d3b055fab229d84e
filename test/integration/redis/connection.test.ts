// RedisConnection against real redis-server processes: pipelining order,
// decoded values, error replies as values, AUTH / SELECT / SETNAME, unix
// sockets, timeouts against a frozen server, refused and dropped connections.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection, RedisConnectionError, RespError } from '../../../src/redis/connection.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, tmpDir, type Proc } from '../../fixtures/procs.js';

async function open(port: number, opts: ConstructorParameters<typeof RedisConnection>[1] = {}): Promise<RedisConnection> {
  const c = new RedisConnection({ host: '127.0.0.1', port }, opts);
  await c.connect();
  return c;
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<RedisConnectionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RedisConnectionError);
    return err as RedisConnectionError;
  }
  throw new Error('expected a rejection');
}

describe('RedisConnection', () => {
  let redis: Proc;
  beforeAll(async () => { redis = await startRedis(); });
  afterAll(async () => { await redis.stop(); });

  it('pipelines many commands and resolves them in order', async () => {
    const c = await open(redis.port);
    await c.command(['DEL', 'ctr']);
    const replies = await Promise.all(Array.from({ length: 2000 }, () => c.command(['INCR', 'ctr'])));
    expect(replies).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(c.inFlight).toBe(0);
    await c.close();
  });

  it('decodes every RESP2 type; error replies are RespError values, not rejections', async () => {
    const c = await open(redis.port);
    const bin = Buffer.from([0, 13, 10, 255, 1]);
    const [set, get, missing, list, wrong, unknown] = await Promise.all([
      c.command(['SET', 'bin', bin]),
      c.command(['GET', 'bin']),
      c.command(['GET', 'no-such-key']),
      (async () => { await c.command(['DEL', 'l']); await c.command(['RPUSH', 'l', 'a', 'b', 7]); return c.command(['LRANGE', 'l', 0, -1]); })(),
      c.command(['LPUSH', 'bin', 'x']),
      c.command(['NOSUCHCOMMAND']),
    ]);
    expect(set).toBe('OK');
    expect(get).toEqual(bin);
    expect(missing).toBeNull();
    expect(list).toEqual([Buffer.from('a'), Buffer.from('b'), Buffer.from('7')]);
    expect(wrong).toBeInstanceOf(RespError);
    expect((wrong as RespError).code).toBe('WRONGTYPE');
    expect((unknown as RespError).message).toMatch(/^ERR unknown command/);
    // The connection is still usable after error replies.
    expect(await c.command(['PING'])).toBe('PONG');
    await c.close();
  });

  it('SELECTs the db and names itself with CLIENT SETNAME', async () => {
    const c3 = await open(redis.port, { db: 3, name: 'sg-test-conn' });
    const c0 = await open(redis.port);
    await c3.command(['SET', 'only-in-3', 'v']);
    expect(await c0.command(['EXISTS', 'only-in-3'])).toBe(0);
    expect(await c3.command(['EXISTS', 'only-in-3'])).toBe(1);
    const list = (await c0.command(['CLIENT', 'LIST'])) as Buffer;
    expect(list.toString()).toMatch(/name=sg-test-conn .*db=3/);
    await c3.close();
    await c0.close();
  });

  it('a command sent before connect() resolves is queued behind the handshake', async () => {
    const c = new RedisConnection({ host: '127.0.0.1', port: redis.port }, { db: 5 });
    const ready = c.connect();
    const reply = c.command(['SET', 'early', 'x']);
    await ready;
    expect(await reply).toBe('OK');
    const check = await open(redis.port, { db: 5 });
    expect(await check.command(['GET', 'early'])).toEqual(Buffer.from('x'));
    await check.close();
    await c.close();
  });

  it('command() before connect() and after close() rejects with ENOTCONNECTED / ECLOSED', async () => {
    const c = new RedisConnection({ host: '127.0.0.1', port: redis.port });
    expect((await rejection(c.command(['PING']))).code).toBe('ENOTCONNECTED');
    await c.connect();
    const closes: (RedisConnectionError | null)[] = [];
    c.on('close', (e) => closes.push(e));
    const blocked = rejection(c.command(['BLPOP', 'never-pushed', 0]));
    await c.close();
    expect((await blocked).code).toBe('ECLOSED');
    expect((await rejection(c.command(['PING']))).code).toBe('ECLOSED');
    expect(closes).toEqual([null]);
  });

  it('a refused connection rejects with ECONNREFUSED', async () => {
    const port = await freePort();
    const c = new RedisConnection({ host: '127.0.0.1', port });
    const closes: (RedisConnectionError | null)[] = [];
    c.on('close', (e) => closes.push(e));
    const err = await rejection(c.connect());
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(closes.map((e) => e?.code)).toEqual(['ECONNREFUSED']);
  });

  it('a server that dies with commands in flight fails each of them with a coded error', async () => {
    const r = await startRedis();
    const c = await open(r.port);
    const outcomes = Promise.all([c.command(['BLPOP', 'x', 0]), c.command(['PING'])].map(rejection));
    await r.stop('SIGKILL');
    for (const e of await outcomes) expect(['ECLOSED', 'ECONNRESET']).toContain(e.code);
  });

  it('connects over a unix socket', async () => {
    const sockPath = path.join(tmpDir('sg-conn-'), 'redis.sock');
    const r = await startRedis(['--unixsocket', sockPath, '--unixsocketperm', '700']);
    const c = new RedisConnection({ path: sockPath });
    await c.connect();
    expect(await c.command(['SET', 'u', 1])).toBe('OK');
    expect(await c.command(['GET', 'u'])).toEqual(Buffer.from('1'));
    await c.close();
    await r.stop();
  });
});

describe('RedisConnection with requirepass', () => {
  let redis: Proc;
  beforeAll(async () => { redis = await startRedis(['--requirepass', 's3cret']); });
  afterAll(async () => { await redis.stop(); });

  it('without AUTH, connect() rejects with EAUTH (its PING was answered NOAUTH)', async () => {
    const err = await rejection(new RedisConnection({ host: '127.0.0.1', port: redis.port }).connect());
    expect(err.code).toBe('EAUTH');
    expect(err.message).toMatch(/NOAUTH/);
  });

  it('a SELECT the server refuses rejects connect() with ESETUP', async () => {
    const err = await rejection(new RedisConnection({ host: '127.0.0.1', port: redis.port }, { auth: { password: 's3cret' }, db: 99 }).connect());
    expect(err.code).toBe('ESETUP');
    expect(err.message).toMatch(/DB index is out of range/);
  });

  it('AUTH with the password, and AUTH with the ACL user "default", work', async () => {
    const a = await open(redis.port, { auth: { password: 's3cret' } });
    expect(await a.command(['SET', 'k', 'v'])).toBe('OK');
    const b = await open(redis.port, { auth: { username: 'default', password: 's3cret' }, db: 1 });
    expect(await b.command(['PING'])).toBe('PONG');
    await a.close();
    await b.close();
  });

  it('a wrong password rejects connect() with EAUTH and closes', async () => {
    const c = new RedisConnection({ host: '127.0.0.1', port: redis.port }, { auth: { password: 'nope' }, db: 2, name: 'x' });
    const closes: (string | undefined)[] = [];
    c.on('close', (e) => closes.push(e?.code));
    const err = await rejection(c.connect());
    expect(err.code).toBe('EAUTH');
    expect(err.message).toMatch(/WRONGPASS/);
    expect(closes).toEqual(['EAUTH']);
  });
});

describe('RedisConnection timeouts against a frozen (SIGSTOPped) server', () => {
  it('a command timeout fails every pending command with ETIMEDOUT and closes', async () => {
    const r = await startRedis();
    const c = await open(r.port, { commandTimeoutMs: 300 });
    const closes: (string | undefined)[] = [];
    c.on('close', (e) => closes.push(e?.code));
    r.pause();
    try {
      const t0 = Date.now();
      const pending = [c.command(['PING']), c.command(['GET', 'a']), c.command(['PING'], { timeoutMs: 5000 })];
      for (const e of await Promise.all(pending.map(rejection))) expect(e.code).toBe('ETIMEDOUT');
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2000);
      expect(closes).toEqual(['ETIMEDOUT']);
    } finally {
      r.resume();
    }
    await r.stop();
  });

  it('connect() against a frozen server rejects with ETIMEDOUT after connectTimeoutMs', async () => {
    const r = await startRedis();
    r.pause();
    try {
      const c = new RedisConnection({ host: '127.0.0.1', port: r.port }, { connectTimeoutMs: 400 });
      const t0 = Date.now();
      const err = await rejection(c.connect());
      expect(err.code).toBe('ETIMEDOUT');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    } finally {
      r.resume();
    }
    await r.stop();
  });
});
