// Sets in the node beyond reply-by-reply comparison (differential.test.ts has
// those): SSCAN walks a big set exactly once as redis-server's does, the random
// commands (SPOP, SRANDMEMBER) return members with the promised multiplicity,
// a replica ends up with the master's sets after SPOP/SMOVE/S*STORE (SPOP is
// propagated as SREM/DEL, not re-drawn), DUMP/RESTORE carries a set, and SADD/
// SPOP keep their rate as one set grows (O(1)).
import { describe, expect, it } from 'vitest';
import { commandRate } from '../../fixtures/rate.js';
import { RespClient, pipeline, type Reply } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { sideBySide } from './side-by-side.js';

const env = sideBySide();

const strs = (r: Reply): string[] => (r as Buffer[]).map(String);

async function sscanAll(port: number, key: string, count: number): Promise<string[]> {
  const c = await RespClient.connect(port);
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, items] = await c.call(['SSCAN', key, cursor, 'COUNT', String(count)]) as [Buffer, Buffer[]];
      cursor = String(next);
      out.push(...items.map(String));
    } while (cursor !== '0');
  } finally { c.close(); }
  return out;
}

describe('sets', () => {
  it('SSCAN returns every member of a 2000-member set exactly once, for several COUNTs and MATCH, like redis-server', async () => {
    for (const port of [env.node.port, env.redis.port]) {
      const cmds: string[][] = [['DEL', 'big']];
      for (let i = 0; i < 2000; i += 100) cmds.push(['SADD', 'big', ...Array.from({ length: 100 }, (_, j) => `m${i + j}`)]);
      await pipeline(port, cmds);
    }
    const want = strs((await pipeline(env.redis.port, [['SMEMBERS', 'big']]))[0]!).sort();
    for (const count of [1, 10, 333, 5000]) {
      const got = await sscanAll(env.node.port, 'big', count);
      expect(new Set(got).size, `duplicates at COUNT ${count}`).toBe(got.length);
      expect(got.sort()).toEqual(want);
    }
    const c = await RespClient.connect(env.node.port);
    const matched: string[] = [];
    let cursor = '0';
    do {
      const [next, items] = await c.call(['SSCAN', 'big', cursor, 'MATCH', 'm1?', 'COUNT', '50']) as [Buffer, Buffer[]];
      cursor = String(next); matched.push(...items.map(String));
    } while (cursor !== '0');
    c.close();
    expect(matched.sort()).toEqual(want.filter((m) => /^m1.$/.test(m)));
  });

  it('SPOP n pops n distinct members, SRANDMEMBER n distinct ones, SRANDMEMBER -n n members with repeats allowed', async () => {
    const members = Array.from({ length: 50 }, (_, i) => `x${i}`);
    const [, pop, rnd, neg, card] = await pipeline(env.node.port, [['SADD', 'r', ...members], ['SPOP', 'r', '10'], ['SRANDMEMBER', 'r', '20'], ['SRANDMEMBER', 'r', '-200'], ['SCARD', 'r']]);
    const popped = strs(pop!);
    expect(new Set(popped).size).toBe(10);
    expect(card).toBe(40);
    const left = new Set(members.filter((m) => !popped.includes(m)));
    expect(new Set(strs(rnd!)).size).toBe(20);
    expect(strs(rnd!).every((m) => left.has(m))).toBe(true);
    expect(strs(neg!)).toHaveLength(200);
    expect(strs(neg!).every((m) => left.has(m))).toBe(true);
    expect(new Set(strs(neg!)).size).toBeGreaterThan(20); // 200 draws from 40 cover more than half of them
  });

  it('a replica has exactly the master sets after SADD, SREM, SPOP, SMOVE and the STORE forms; DUMP/RESTORE carries a set', async () => {
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: env.node.port } });
    const cmds: string[][] = [['SADD', 'a', ...Array.from({ length: 30 }, (_, i) => `e${i}`)], ['SADD', 'b', 'e1', 'e2', 'zz'], ['SPOP', 'a'], ['SPOP', 'a', '5'],
      ['SMOVE', 'a', 'b', 'e7'], ['SREM', 'a', 'e8'], ['SINTERSTORE', 'i', 'a', 'b'], ['SUNIONSTORE', 'u', 'a', 'b'], ['SDIFFSTORE', 'd', 'a', 'b'], ['SADD', 'gone', 'x'], ['SPOP', 'gone', '3']];
    await pipeline(env.node.port, cmds);
    const read = async (port: number): Promise<string> => {
      const r = await pipeline(port, ['a', 'b', 'i', 'u', 'd', 'gone'].map((k) => ['SMEMBERS', k]));
      return JSON.stringify(r.map((x) => strs(x).sort()));
    };
    const want = await read(env.node.port);
    await until('replica has the master sets', async () => (await read(replica.port)) === want, 10_000);
    const [dump] = await pipeline(env.node.port, [['DUMP', 'u']]);
    const [ok, members] = await pipeline(env.node.port, [['RESTORE', 'u2', '0', dump as Buffer], ['SMEMBERS', 'u2']]);
    expect(ok).toBe('OK');
    expect(strs(members!).sort()).toEqual(JSON.parse(want)[3]);
  });

  it('SADD and SPOP keep their rate as one set grows to 200k members', async () => {
    const own = await env.extraNode();
    const c = await RespClient.connect(own.port);
    const rate = (make: (i: number) => string[], n: number): Promise<number> => commandRate(c, make, n);
    await rate((i) => ['SADD', 'grow', `n${i}`], 200_000);
    // a small set and the 200k one measured alternately, so a shared machine's load falls on both alike;
    // the best round of each is compared (load only lowers a rate; O(n) would be ~1000× slower every round)
    const addSmall: number[] = []; const popSmall: number[] = []; const addBig: number[] = []; const popBig: number[] = [];
    for (let round = 0; round < 5; round++) {
      addSmall.push(await rate((i) => ['SADD', 'small', `s${round}:${i}`], 5_000));
      popSmall.push(await rate(() => ['SPOP', 'small'], 5_000));
      addBig.push(await rate((i) => ['SADD', 'grow', `o${round}:${i}`], 5_000));
      popBig.push(await rate(() => ['SPOP', 'grow'], 5_000));
    }
    c.close();
    const best = (xs: number[]): number => Math.max(...xs);
    console.log(`[set rate] SADD small ${best(addSmall).toFixed(0)}/ms, on 200k ${best(addBig).toFixed(0)}/ms; SPOP small ${best(popSmall).toFixed(0)}/ms, on 200k ${best(popBig).toFixed(0)}/ms (best of 5)`);
    expect(best(addBig)).toBeGreaterThan(best(addSmall) * 0.5);
    expect(best(popBig)).toBeGreaterThan(best(popSmall) * 0.5);
  }, 60_000);
});
