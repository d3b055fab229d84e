// The commands the proxy's key-migration walker uses, on the node and on a real
// redis-server side by side: SCAN … MATCH … COUNT visits every key exactly once
// when nothing is written, DBSIZE agrees, PTTL agrees within timing slack, and
// DUMP → RESTORE … ABSTTL REPLACE IDLETIME/FREQ moves a value of every type
// with its exact expiry (each server restores its own DUMP format).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { RespClient, pipeline, type Reply } from '../../fixtures/resp-client.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';

let redis: Proc;
let node: RunningNode;
let ports: [number, number];

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode({ port: 0 }, pino({ level: 'silent' }));
  ports = [node.port, redis.port];
});
afterAll(async () => { await node?.close(); await redis?.stop(); });

const text = (r: Reply): string => (r instanceof Error ? `-${r.message}` : Buffer.isBuffer(r) ? r.toString('latin1') : Array.isArray(r) ? `[${r.map(text).join(',')}]` : String(r));

async function fill(port: number): Promise<void> {
  const cmds: string[][] = [['FLUSHALL']];
  for (let i = 0; i < 1500; i++) cmds.push(['SET', `user:${i}`, String(i)]);
  for (let i = 0; i < 300; i++) cmds.push(['RPUSH', `list:${i}`, 'a', 'b']);
  for (let i = 0; i < 200; i++) cmds.push(['SET', `ttl:${i}`, 'x', 'PX', String(60_000 + i)]);
  await pipeline(port, cmds, 30_000);
}

async function scanAll(port: number, count: number, match: string | null): Promise<string[]> {
  const c = await RespClient.connect(port);
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const args = ['SCAN', cursor, ...(match === null ? [] : ['MATCH', match]), 'COUNT', String(count)];
      const [next, keys] = await c.call(args) as [Buffer, Buffer[]];
      cursor = String(next);
      for (const k of keys) out.push(String(k));
    } while (cursor !== '0');
  } finally { c.close(); }
  return out;
}

describe('what the migration walker relies on', () => {
  it('SCAN visits every key exactly once for any COUNT and MATCH (as KEYS lists them), DBSIZE agrees', async () => {
    await Promise.all(ports.map(fill));
    for (const [count, match] of [[1, null], [7, null], [100, 'user:1*'], [1000, null], [5000, 'list:*']] as const) {
      const [n, r] = await Promise.all(ports.map((p) => scanAll(p, count, match)));
      expect(new Set(n!).size, `duplicates with COUNT ${count}`).toBe(n!.length);
      expect([...n!].sort()).toEqual([...r!].sort());
    }
    const [dn, dr] = await Promise.all(ports.map((p) => pipeline(p, [['DBSIZE']])));
    expect(text(dn![0]!)).toBe('2000');
    expect(dn).toEqual(dr);
  });

  it('PTTL is the time left to PEXPIRETIME (within 20 ms) on both, -1 without TTL, -2 for a missing key', async () => {
    const replies = await Promise.all(ports.map(async (p) => {
      const t0 = Date.now();
      const [at, left, ...rest] = await pipeline(p, [['PEXPIRETIME', 'ttl:5'], ['PTTL', 'ttl:5'], ['PTTL', 'user:1'], ['PTTL', 'nope']]);
      expect(Math.abs(t0 + Number(left) - Number(at))).toBeLessThanOrEqual(20);
      return rest;
    }));
    expect(replies[0]).toEqual([-1, -2]);
    expect(replies[0]).toEqual(replies[1]);
  });

  it('DUMP + PEXPIRETIME → RESTORE ABSTTL REPLACE IDLETIME/FREQ recreates every type with the exact expiry', async () => {
    for (const port of ports) {
      const at = Date.now() + 50_000;
      await pipeline(port, [
        ['FLUSHALL'], ['SET', 's', 'string'], ['RPUSH', 'l', 'a', 'b', 'c'], ['HSET', 'h', 'f', '1', 'g', '2'], ['ZADD', 'z', '1', 'a', '2.5', 'b'],
        ['PEXPIREAT', 's', String(at)], ['PEXPIREAT', 'z', String(at)],
      ]);
      const reads = (k: string): string[][] => [['TYPE', k], ['PEXPIRETIME', k], k === 's' ? ['GET', k] : k === 'l' ? ['LRANGE', k, '0', '-1'] : k === 'h' ? ['HGETALL', k] : ['ZRANGE', k, '0', '-1', 'WITHSCORES']];
      for (const k of ['s', 'l', 'h', 'z']) {
        const before = (await pipeline(port, reads(k))).map(text);
        const [dump, pexp] = await pipeline(port, [['DUMP', k], ['PEXPIRETIME', k]]);
        const ttl = Number(pexp) < 0 ? '0' : String(pexp);
        const opts = k === 'h' ? ['FREQ', '7'] : ['IDLETIME', '100'];
        const [restored] = await pipeline(port, [['RESTORE', k, ttl, dump as Buffer, 'ABSTTL', 'REPLACE', ...opts]]);
        expect(text(restored!)).toBe('OK');
        expect((await pipeline(port, reads(k))).map(text)).toEqual(before);
        await pipeline(port, [['DEL', k]]);
        const [again] = await pipeline(port, [['RESTORE', k, ttl, dump as Buffer, 'ABSTTL']]);
        expect(text(again!)).toBe('OK');
        expect((await pipeline(port, reads(k))).map(text)).toEqual(before);
      }
    }
  });
});
