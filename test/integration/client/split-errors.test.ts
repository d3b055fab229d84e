// Multi-key commands and errors, with the real proxy as the reference: the
// same commands sent through `shardgate proxy` (ioredis) and through the
// client over the same three redis-servers must give the same replies — split
// and merged MGET/MSET/DEL/UNLINK/EXISTS/TOUCH, same-server multi-key
// commands, and the proxy's own error texts (CROSSSLOT, arity, unsupported).
// Then failures: a node down is SG_ERR_BACKEND_DOWN (and suspect), a write
// whose connection timed out is SG_ERR_TIMEOUT and is not sent again.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient, RequestError, type ShardgateClient } from '../../../src/client/index.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { until } from '../../fixtures/until.js';

let redis: Proc[] = [];
let proxy: Proc;
let viaProxy: Redis;
let c: ShardgateClient;
let file: string;

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2].map(() => startRedis()));
  const port = await freePort();
  file = path.join(tmpDir('shardgate-client-split-'), 'proxy.yaml');
  fs.writeFileSync(file, ['cache:', `  listen: 127.0.0.1:${port}`, '  hash: fnv1a_64', '  distribution: ketama', '  hash_tag: "{}"', '  redis: true', '  servers:',
    ...redis.map((r, i) => `    - 127.0.0.1:${r.port}:1 n${i}`), ''].join('\n'));
  proxy = await startShardgate(['proxy', '-c', file, '-s', '0'], port);
  viaProxy = new Redis({ port });
  c = await createClient({ config: file, pool: 'cache' });
});
afterAll(async () => {
  viaProxy?.disconnect();
  await c?.quit();
  await proxy?.stop();
  await Promise.all(redis.map((r) => r.stop()));
});

/** The proxy's reply (an error as { error: 'PREFIX message' }), in the client's value shapes. */
async function throughProxy(argv: string[]): Promise<unknown> {
  try {
    return norm(await viaProxy.callBuffer(argv[0]!, ...argv.slice(1)));
  } catch (e) {
    return { error: (e as Error).message };
  }
}
async function throughClient(argv: string[]): Promise<unknown> {
  try {
    return norm(await c.sendCommand(argv));
  } catch (e) {
    const err = e as RequestError;
    return { error: `${err.prefix} ${err.message}`, code: err.code };
  }
}
function norm(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(norm);
  return v;
}

async function flushAll(): Promise<void> {
  await Promise.all(redis.map(async (r) => { const d = new Redis({ port: r.port }); await d.flushall(); d.disconnect(); }));
}

/** Runs the script through the proxy, empties the servers, runs it through the client: both sides' replies. */
async function bothWays(script: string[][], setup: string[][] = []): Promise<[unknown[], unknown[]]> {
  const sides: unknown[][] = [];
  for (const run of [throughProxy, throughClient]) {
    await flushAll();
    for (const argv of setup) await run(argv);
    const out: unknown[] = [];
    for (const argv of script) out.push(await run(argv));
    sides.push(out);
  }
  return [sides[0]!, sides[1]!];
}

const spread = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}:${i * 7919}`);

describe('split and merge by the proxy rules', () => {
  it('MSET/MGET/EXISTS/TOUCH/DEL/UNLINK over three servers (duplicates, missing keys, other types) answer as the proxy does', async () => {
    const keys = spread('k', 60);
    expect(new Set(keys.map((k) => c.serverFor(k))).size).toBe(3);
    const pairs = keys.flatMap((k, i) => [k, `v${i}`]);
    const script: string[][] = [
      ['MSET', ...pairs, keys[0]!, 'last-wins'],
      ['MGET', ...keys, 'missing:1', keys[3]!, 'hash:1'],
      ['EXISTS', ...keys, keys[0]!, 'missing:1'],
      ['TOUCH', ...keys.slice(0, 30)],
      ['DEL', ...keys.slice(0, 20), keys[1]!, 'missing:2'],
      ['UNLINK', ...keys.slice(10, 40)],
      ['EXISTS', ...keys],
      ['MGET', ...keys.slice(30)],
    ];
    const [proxySide, clientSide] = await bothWays(script, [['HSET', 'hash:1', 'f', 'v']]);
    expect(clientSide).toEqual(proxySide);
    expect(proxySide[2]).toBe(61);
  });

  it('same-server multi-key commands: allowed with a shared hash tag, else the proxy\'s CROSSSLOT text and code', async () => {
    const [a, b] = spread('x', 40).filter((k, _, all) => c.serverFor(k) !== c.serverFor(all[0]!) || k === all[0]).slice(0, 2);
    expect(c.serverFor(a!)).not.toBe(c.serverFor(b!));
    const cases = [
      ['SINTERSTORE', 'dst', a!, b!],
      ['RENAME', a!, b!],
      ['SADD', '{u1}s1', 'm1', 'm2'],
      ['SADD', '{u1}s2', 'm2', 'm3'],
      ['SINTERSTORE', '{u1}dst', '{u1}s1', '{u1}s2'],
      ['SMEMBERS', '{u1}dst'],
    ];
    const [proxySide, clientSide] = await bothWays(cases);
    clientSide.forEach((mine, i) => {
      const p = proxySide[i];
      if (typeof p === 'object' && p !== null && 'error' in p) expect(mine).toMatchObject(p);
      else expect(mine).toEqual(p);
    });
    expect(proxySide[5]).toEqual(['m2']);
    expect(proxySide[0]).toMatchObject({ error: expect.stringMatching(/^CROSSSLOT /) });
    const err = await c.sendCommand(['RENAME', a!, b!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: 'SG_ERR_CROSSSLOT', prefix: 'CROSSSLOT' });
  });

  it('arity and unsupported commands fail before anything is sent, with the proxy\'s words', async () => {
    for (const argv of [['GET'], ['MOVE', 'k', '1'], ['COPY', 'a', 'b', 'DB', '1']]) {
      const p = await throughProxy(argv) as { error: string };
      const mine = await throughClient(argv) as { error: string; code: string };
      expect(mine.error).toBe(p.error);
      expect(mine.code).toMatch(/^SG_ERR_(ARITY|UNSUPPORTED)$/);
    }
    // what the proxy fans out, scans or runs as a transaction, the client refuses for now, saying so
    for (const argv of [['KEYS', '*'], ['WATCH', 'k'], ['SCAN', '0']]) {
      const mine = await throughClient(argv) as { error: string; code: string };
      expect(mine.code).toBe('SG_ERR_UNSUPPORTED');
      expect(mine.error).toMatch(/the client does not run (fanout|transaction|scan) commands yet/);
    }
  });

  it('blocking commands run on a dedicated connection and do not stall the node', async () => {
    const blocked = c.sendCommand(['BLPOP', 'queue:1', '5']);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    expect(await c.set('queue:other', '1')).toBe('OK');
    expect(await c.sendCommand(['RPUSH', 'queue:1', 'job'])).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(norm(await blocked)).toEqual(['queue:1', 'job']);
  });
});

describe('failures are typed; writes are never resent', () => {
  it('a write whose node stalls past the timeout is SG_ERR_TIMEOUT and executes once', async () => {
    const lines = redis.map((r, i) => `127.0.0.1:${r.port}:1 n${i}`);
    const t = await createClient({ servers: lines, hashTag: '{}', timeoutMs: 1000, backoffMs: 50 });
    try {
      const key = 'counter:1';
      const owner = redis[Number(t.serverFor(key)!.slice(1))]!;
      const direct = new Redis({ port: owner.port });
      await direct.del(key);
      expect(await t.get(key)).toBeNull(); // the connection is up: the INCR below is written, not held behind a handshake
      owner.pause();
      const err = await t.sendCommand(['INCR', key]).catch((e: unknown) => e);
      owner.resume();
      expect(err).toMatchObject({ code: 'SG_ERR_TIMEOUT', server: t.serverFor(key) });
      await until('the INCR ran', async () => (await direct.get(key)) !== null, 5000);
      // The INCR reached the server before it stalled: it ran once, and the client did not send it again.
      expect(await direct.get(key)).toBe('1');
      await new Promise((r) => setTimeout(r, 200)); // past the 50 ms backoff the timeout put the node in
      expect(await t.sendCommand(['INCR', key])).toBe(2);
      direct.disconnect();
    } finally {
      await t.quit();
    }
  });

  it('a stopped node is SG_ERR_BACKEND_DOWN, then suspect (failing at once); the other nodes serve', async () => {
    const spare = await startRedis();
    const other = redis[0]!;
    const t = await createClient({ servers: [`127.0.0.1:${spare.port}:1 dead`, `127.0.0.1:${other.port}:1 live`], backoffMs: 5000 });
    try {
      const keys = spread('d', 50);
      const onDead = keys.find((k) => t.serverFor(k) === 'dead')!;
      const onLive = keys.find((k) => t.serverFor(k) === 'live')!;
      expect(await t.set(onDead, 'x')).toBe('OK');
      await spare.stop();
      const first = await t.get(onDead).catch((e: unknown) => e);
      expect(first).toMatchObject({ code: expect.stringMatching(/^SG_ERR_BACKEND_(CLOSED|DOWN)$/), server: 'dead' });
      const t0 = Date.now();
      const second = await t.get(onDead).catch((e: unknown) => e);
      expect(second).toMatchObject({ code: 'SG_ERR_BACKEND_DOWN', server: 'dead' });
      expect(Date.now() - t0).toBeLessThan(1000); // at once: no connection attempt (the backoff is 5 s)
      expect(await t.set(onLive, 'y')).toBe('OK');
      // a split request with a part on the dead node fails as a whole, with that node's error
      await expect(t.mget(onLive, onDead)).rejects.toMatchObject({ code: 'SG_ERR_BACKEND_DOWN', server: 'dead' });
    } finally {
      await t.quit();
    }
  });
});
