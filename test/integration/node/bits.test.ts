// Bitmaps, HyperLogLog, APPEND/SETRANGE beyond reply-by-reply comparison
// (differential.test.ts has those): PFCOUNT and the HLL bytes equal
// redis-server's from 0 to 100k distinct elements; in-place writes never change
// another key's value or what the write stream carries (values are often views
// of a shared argument slab); the values survive DUMP/RESTORE, BGSAVE, AOF
// replay and replication; SETBIT and APPEND keep their rate on 1 MB values.
import { describe, expect, it } from 'vitest';
import { startShardgate, tmpDir } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { commandRate } from '../../fixtures/rate.js';
import { RespClient, pipeline, type Reply } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { startNode } from '../../../src/node/index.js';
import { sideBySide, silent } from './side-by-side.js';

const env = sideBySide();

const hex = (r: Reply): string => (Buffer.isBuffer(r) ? r.toString('hex') : r instanceof Error ? `error: ${r.message}` : JSON.stringify(r));

/** Commands run on each server; every reply, HLL bytes included, as comparable strings. */
async function onBoth(cmds: (string | Buffer)[][]): Promise<[string[], string[]]> {
  const run = async (port: number): Promise<string[]> => (await pipeline(port, cmds, 60_000)).map(hex);
  return Promise.all([run(env.redis.port), run(env.node.port)]);
}

describe('HyperLogLog side by side with redis-server', () => {
  it('PFCOUNT and the stored bytes are equal from 0 to 100k distinct elements (sparse, promotion, dense)', async () => {
    const sizes = new Set([0, 1, 2, 10, 50, 100, 300, 600, 1000, 2000, 5000, 10_000, 30_000, 100_000]);
    const cmds: string[][] = [['DEL', 'hll', 'hll2', 'u'], ['PFCOUNT', 'hll'], ['GET', 'hll']];
    const batch: string[] = [];
    for (let i = 1; i <= 100_000; i++) {
      batch.push(`el:${i}:${(i * 2654435761) % 1000003}`);
      if (sizes.has(i) || batch.length === 500) {
        cmds.push(['PFADD', 'hll', ...batch]);
        batch.length = 0;
      }
      if (sizes.has(i)) cmds.push(['PFCOUNT', 'hll'], ['PFCOUNT', 'hll'], ['GET', 'hll'], ['PFADD', 'hll2', `x${i}`], ['PFCOUNT', 'hll', 'hll2'], ['PFMERGE', 'u', 'hll2', 'hll'], ['GET', 'u']);
    }
    const [want, got] = await onBoth(cmds);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect({ i, cmd: cmds[i]!.slice(0, 2), got: got[i] }).toEqual({ i, cmd: cmds[i]!.slice(0, 2), got: want[i] });
    const counts = cmds.map((c, i) => [c, got[i]] as const).filter(([c]) => c[0] === 'PFCOUNT' && c.length === 2).map(([, r]) => r);
    expect(Number(counts[counts.length - 1])).toBeGreaterThan(95_000); // a real estimate, not an echo
  }, 120_000);

  it('a dense HLL stored with SET (bytes from redis-server) counts and merges the same', async () => {
    const r = await RespClient.connect(env.redis.port);
    const els = Array.from({ length: 3000 }, (_, i) => `d${i}`);
    await r.call(['DEL', 'd']);
    await r.call(['PFADD', 'd', ...els]);
    const bytes = await r.raw(['GET', 'd']);
    r.close();
    const value = bytes.subarray(bytes.indexOf('\r\n') + 2, bytes.length - 2);
    expect(value.length).toBe(12304);
    const [want, got] = await onBoth([['SET', 'd', value], ['PFADD', 'd', 'new-1', 'new-2'], ['PFCOUNT', 'd'], ['GET', 'd'], ['PFMERGE', 'd2', 'd'], ['GET', 'd2'], ['SETRANGE', 'd', '100', 'x'], ['PFCOUNT', 'd'], ['APPEND', 'd', 'x'], ['PFCOUNT', 'd']]);
    expect(got).toEqual(want);
    expect(Number(got[2])).toBeGreaterThan(2900);
    expect(got[9]).toMatch(/^error: WRONGTYPE Key is not a valid HyperLogLog/);
  });
});

describe('from scripts', () => {
  it('redis.call runs the bitmap, HLL and COPY commands with the replies redis-server gives', async () => {
    const script = `
      redis.call('DEL', 'sb', 'sh', 'sc')
      local out = {}
      out[#out+1] = redis.call('SETBIT', 'sb', 9, 1)
      out[#out+1] = redis.call('BITCOUNT', 'sb')
      out[#out+1] = redis.call('BITPOS', 'sb', 1)
      out[#out+1] = redis.call('BITFIELD', 'sb', 'INCRBY', 'u4', 0, 3, 'GET', 'u8', 0)
      out[#out+1] = redis.call('BITFIELD_RO', 'sb', 'GET', 'i8', 8)
      out[#out+1] = redis.call('PFADD', 'sh', 'a', 'b')
      out[#out+1] = redis.call('PFCOUNT', 'sh')
      out[#out+1] = redis.call('COPY', 'sh', 'sc')
      out[#out+1] = redis.call('GET', 'sc')
      out[#out+1] = redis.pcall('SETBIT', 'sb', -1, 1)
      out[#out+1] = redis.call('APPEND', 'sb', 'xy')
      out[#out+1] = redis.call('GET', 'sb')
      return out`;
    const [want, got] = await onBoth([['EVAL', script, '0'], ['EVAL_RO', "return redis.call('BITFIELD', KEYS[1], 'GET', 'u8', 0)", '1', 'sb'], ['EVAL_RO', "return redis.call('BITFIELD_RO', KEYS[1], 'GET', 'u8', 0)", '1', 'sb']]);
    expect(got).toEqual(want);
  });
});

describe('in-place writes and ownership', () => {
  it('SETBIT, APPEND, SETRANGE, BITFIELD, PFADD on a key set by the same pipelined request leave the other keys alone', async () => {
    const cmds = [
      ['MSET', 'a', 'xxxxxxxx', 'b', 'yyyyyyyy', 'c', 'zzzzzzzz', 'h', 'HYLL'],
      ['SETBIT', 'a', '1', '0'], ['SETBIT', 'a', '100', '1'], ['APPEND', 'b', '!!'], ['SETRANGE', 'c', '0', 'ZZ'], ['BITFIELD', 'a', 'SET', 'u8', '0', '65'],
      ['SET', 'p', 'HYLL'], ['DEL', 'p'], ['PFADD', 'p', 'one'], ['SET', 'q', 'pppp'], ['APPEND', 'q', 'x'],
      ['MGET', 'a', 'b', 'c', 'h', 'q'],
    ];
    const [want, got] = await onBoth(cmds);
    expect(got).toEqual(want);
    const mget = (await pipeline(env.node.port, [['MGET', 'b', 'c', 'h']]))[0] as Buffer[];
    expect(mget.map(String)).toEqual(['yyyyyyyy!!', 'ZZzzzzzz', 'HYLL']);
  });

  it('GET inside MULTI returns the value as it was when GET ran, before later in-place writes', async () => {
    const cmds = [['DEL', 'm'], ['SETBIT', 'm', '7', '1'], ['MULTI'], ['GET', 'm'], ['SETBIT', 'm', '6', '1'], ['GET', 'm'], ['APPEND', 'm', 'zz'], ['GET', 'm'], ['EXEC']];
    const [want, got] = await onBoth(cmds);
    expect(got).toEqual(want);
  });

  it('a replica and the AOF receive the original SET bytes, then the in-place writes, and end equal', async () => {
    const dir = tmpDir();
    const m = await env.extraNode({ dir, appendonly: true, appendfsync: 'always' });
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
    await until('replica linked', async () => String((await pipeline(replica.port, [['INFO', 'replication']]))[0]).includes('master_link_status:up'), 10_000);
    const w = await pipeline(m.port, [
      ['MSET', 'a', 'aaaa', 'b', 'bbbb', 'bm', 'x'], ['SETBIT', 'a', '0', '1'], ['APPEND', 'b', '++'], ['SETRANGE', 'bm', '3', 'q'],
      ['SETBIT', 'bm', '200', '1'], ['BITFIELD', 'bm', 'INCRBY', 'i8', '#3', '7'], ['BITFIELD', 'bm', 'GET', 'u8', '0'], ['PFADD', 'hl', 'x', 'y', 'z'], ['PFCOUNT', 'hl'],
      ['BITOP', 'XOR', 'xo', 'a', 'b'], ['COPY', 'bm', 'bm2'], ['APPEND', 'bm2', '-copy'], ['SETBIT', 'a', '1', '1'],
    ]);
    expect(w.every((x) => !(x instanceof Error))).toBe(true);
    const keys = ['a', 'b', 'bm', 'hl', 'xo', 'bm2'];
    const read = async (port: number): Promise<string> => JSON.stringify((await pipeline(port, [['MGET', ...keys]]))[0]);
    const want = await read(m.port);
    await until('replica has the master values', async () => (await read(replica.port)) === want, 10_000);
    // the replica got a SET … (a key's first value) before SETBIT changed the master's copy: a = 'aaaa' with bits 0 and 1 set
    expect(((await pipeline(replica.port, [['GET', 'a']]))[0] as Buffer).toString('latin1')).toBe(`${String.fromCharCode(0x61 | 0xc0)}aaa`);
    await m.close();
    const again = await startNode({ port: 0, dir, appendonly: true }, silent);
    try { expect(await read(again.port)).toBe(want); } finally { await again.close(); }
  }, 30_000);

  it('bitmaps and HLLs survive DUMP/RESTORE and a BGSAVE snapshot taken while they change', async () => {
    const dir = tmpDir();
    const n = await env.extraNode({ dir });
    const c = await RespClient.connect(n.port);
    // 30k keys first: the snapshot walks them in several slices before it reaches the bitmap and the HLL
    for (let b = 0; b < 30; b++) await c.call(['MSET', ...Array.from({ length: 1000 }, (_, i) => [`f:${b}:${i}`, 'v']).flat()]);
    await c.call(['SETBIT', 'big', String(8 * 1024 * 1024 - 1), '1']);
    await c.call(['PFADD', 'h', ...Array.from({ length: 2000 }, (_, i) => `e${i}`)]);
    await c.call(['APPEND', 'big', 'tail']);
    const before = await pipeline(n.port, [['GET', 'big'], ['GET', 'h']]);
    const dumped = await c.raw(['DUMP', 'big']);
    expect(dumped[0]).toBe(0x24);
    // writes in the same request as BGSAVE, while the snapshot runs, must not reach it (the keyspace
    // hands the old value to the job first, once per key however often it is written)
    const during = await pipeline(n.port, [['BGSAVE'], ['SETBIT', 'big', '0', '1'], ['SETBIT', 'big', '1', '1'], ['APPEND', 'big', 'more'], ['PFADD', 'h', 'after-save'], ['PFADD', 'h', 'again'], ['INFO', 'persistence']]);
    expect(String(during[0])).toMatch(/Background saving started/);
    expect(String(during[6])).toContain('rdb_bgsave_in_progress:1');
    const restored = await pipeline(n.port, [['RESTORE', 'big-copy', '0', dumped.subarray(dumped.indexOf('\r\n') + 2, dumped.length - 2)], ['GET', 'big-copy']]);
    expect((restored[1] as Buffer).equals(before[0] as Buffer)).toBe(true);
    await until('snapshot written', async () => !String(await c.call(['INFO', 'persistence'])).includes('rdb_bgsave_in_progress:1'), 20_000);
    c.close();
    await n.close();
    const again = await startNode({ port: 0, dir }, silent);
    try {
      const after = await pipeline(again.port, [['GET', 'big'], ['GET', 'h']]);
      expect((after[0] as Buffer).equals(before[0] as Buffer)).toBe(true);
      expect((after[1] as Buffer).equals(before[1] as Buffer)).toBe(true);
      expect(Number((await pipeline(again.port, [['DBSIZE']]))[0])).toBe(30_002);
    } finally { await again.close(); }
  }, 60_000);
});

describe('rates', () => {
  it('SETBIT on a 1 MB bitmap and APPEND of 1 byte 200k times keep the rate they have on a small value', async () => {
    // its own process, so the test client's heap and GC do not weigh on the node's
    const port = await freePort();
    const proc = await startShardgate(['node', '--port', String(port), '--dir', tmpDir(), '--loglevel', 'warn'], port);
    const c = await RespClient.connect(port);
    const rate = (make: (i: number) => string[], n: number): Promise<number> => commandRate(c, make, n);
    try {
      // the 1 MB bitmap arrives as a SET argument (a buffer the node does not own): the first SETBIT copies it once
      await c.call(['SET', 'bigmap', Buffer.alloc(1024 * 1024, 0x55)]);
      await rate((i) => ['SETBIT', 'warm', String(i % 64), '1'], 20_000); // JIT warm
      await rate(() => ['APPEND', 'log', 'x'], 20_000);
      const small: number[] = []; const big: number[] = []; const appShort: number[] = []; const appLong: number[] = [];
      for (let round = 0; round < 5; round++) {
        small.push(await rate((i) => ['SETBIT', 'small', String(i % 64), String(i & 1)], 5_000));
        big.push(await rate((i) => ['SETBIT', 'bigmap', String((i * 7919) % (8 * 1024 * 1024)), String(i & 1)], 5_000));
        await c.call(['DEL', 'short']);
        appShort.push(await rate(() => ['APPEND', 'short', 'x'], 5_000));
        appLong.push(await rate(() => ['APPEND', 'log', 'x'], 40_000)); // 200k appends to 'log' in all
      }
      expect(Number(await c.call(['STRLEN', 'log']))).toBe(220_000);
      const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[2]!;
      const load = (await import('node:os')).loadavg()[0]!.toFixed(2);
      console.log(`[bit rate] SETBIT on 8 bytes ${median(small).toFixed(0)}/ms, on 1 MB ${median(big).toFixed(0)}/ms; APPEND to a short string ${median(appShort).toFixed(0)}/ms, to a growing 20k..220k string ${median(appLong).toFixed(0)}/ms (load ${load})`);
      // a copy per call would be hundreds of times slower at 1 MB / 200 KB
      expect(median(big)).toBeGreaterThan(median(small) * 0.5);
      expect(median(appLong)).toBeGreaterThan(median(appShort) * 0.5);
    } finally {
      c.close();
      await proc.stop('SIGKILL');
    }
  }, 120_000);

  it('over maxmemory (noeviction) the growing commands answer OOM and the reads still answer', async () => {
    const n = await env.extraNode({ maxmemory: 200_000, maxmemoryPolicy: 'noeviction' });
    await pipeline(n.port, [['SETBIT', 'bm', '7', '1'], ['PFADD', 'h', 'a'], ['SET', 'fill', 'x'.repeat(300_000)]]);
    const r = await pipeline(n.port, [['SETBIT', 'bm', '8', '1'], ['APPEND', 'bm', 'x'], ['SETRANGE', 'bm', '1', 'x'], ['BITFIELD', 'bm', 'SET', 'u8', '0', '1'], ['BITOP', 'NOT', 'x', 'bm'], ['PFADD', 'h', 'b'], ['PFMERGE', 'h', 'h'], ['COPY', 'bm', 'c'],
      ['GETBIT', 'bm', '7'], ['BITCOUNT', 'bm'], ['BITFIELD_RO', 'bm', 'GET', 'u8', '0'], ['PFCOUNT', 'h']]);
    const oom = "OOM command not allowed when used memory > 'maxmemory'.";
    expect(r.slice(0, 8).map((x) => (x instanceof Error ? x.message : x))).toEqual(Array(8).fill(oom));
    expect(r.slice(8).map((x) => (Array.isArray(x) ? x.map(Number) : Number(x)))).toEqual([1, 1, [1], 1]);
  });

  it('memory accounting follows in-place growth and is returned on DEL', async () => {
    const n = await env.extraNode();
    const used = (): number => n.core.keyspace.used;
    const base = used();
    const c = await RespClient.connect(n.port);
    for (let i = 0; i < 2000; i++) c.send(['APPEND', 'g', 'x'.repeat(100)]);
    for (let i = 0; i < 2000; i++) await c.nextRaw();
    const grown = used() - base;
    expect(grown).toBeGreaterThanOrEqual(200_000); // the value's bytes are counted…
    expect(grown).toBeLessThan(200_000 * 2 + 4096); // …with at most Redis's greedy spare capacity
    await c.call(['SETBIT', 'bm', String(8 * 100_000), '1']);
    expect(used() - base - grown).toBeGreaterThanOrEqual(100_000);
    await c.call(['DEL', 'g', 'bm']);
    expect(used()).toBe(base);
    c.close();
  });
});
