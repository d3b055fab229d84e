// Differential tests: the same command sequences against a real redis-server
// and our node (in-process, startNode on port 0); every reply is compared
// byte for byte. Scripted cases live in differential-cases.ts; a fast-check
// property runs random sequences over a small key space. Skipped on purpose:
// INFO text, OBJECT ENCODING, DUMP payload bytes, SCAN cursor values and
// PTTL values (inherently different or timing-dependent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { RespClient, decodeBinary } from '../../fixtures/resp-client.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';
import { CASES } from './differential-cases.js';
import { pino } from 'pino';

let redis: Proc;
let node: RunningNode;
let r: RespClient;
let n: RespClient;

beforeAll(async () => {
  redis = await startRedis();
  node = await startNode({ port: 0 }, pino({ level: 'silent' }));
  r = await RespClient.connect(redis.port);
  n = await RespClient.connect(node.port);
}, 30_000);

afterAll(async () => {
  r?.close(); n?.close();
  await node?.close();
  await redis?.stop();
});

async function both(argv: string[]): Promise<[string, string]> {
  const [a, b] = await Promise.all([r.raw(argv), n.raw(argv)]);
  return [a.toString('latin1'), b.toString('latin1')];
}

/** Commands whose array reply lists set members in the server's own order: compared sorted. */
const UNORDERED = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop', 'srandmember', 'zrandmember', 'hrandfield']);
/** SSCAN lists set members in the server's own order too: its page is compared sorted */

function normalize(argv: string[], raw: string): string {
  if ((argv[0] === 'scan' || argv[0] === 'sscan') && raw[0] === '*') {
    const v = decodeBinary(Buffer.from(raw, 'latin1')) as [Buffer, Buffer[]];
    return `scan:${String(v[0])}:${v[1].map(String).sort().join(',')}`;
  }
  if (!UNORDERED.has(argv[0]!.toLowerCase()) || (raw[0] !== '*' && raw[0] !== '~')) return raw;
  const v = decodeBinary(Buffer.from(raw, 'latin1'));
  return Array.isArray(v) ? `${raw[0]}sorted:${v.map(String).sort().join(',')}` : raw;
}

async function runSequence(seq: string[][]): Promise<void> {
  await both(['discard']); // a generated sequence may have ended inside MULTI
  await both(['unwatch']);
  await both(['flushall']);
  for (const argv of seq) {
    const [want, got] = (await both(argv)).map((x) => normalize(argv, x));
    expect({ argv, reply: got }).toEqual({ argv, reply: want });
  }
}

describe('node vs redis-server: scripted cases', () => {
  for (const [name, seq] of Object.entries(CASES)) {
    it(`${name}: identical replies`, async () => { await runSequence(seq); });
  }

  it('RESP3 (HELLO 3): doubles, maps, nulls and pairs are identical', async () => {
    const seq = [['hset', 'h', 'a', '1'], ['hgetall', 'h'], ['zadd', 'z', '1.5', 'a', '2', 'b'], ['zscore', 'z', 'a'], ['zrange', 'z', '0', '-1', 'withscores'],
      ['zpopmin', 'z'], ['zpopmax', 'z', '1'], ['get', 'nokey'], ['lpop', 'nokey', '1'], ['zmscore', 'z', 'a', 'x'], ['zincrby', 'z', '1', 'q'], ['config', 'get', 'maxmemory-policy'],
      ['sadd', 's', 'a'], ['smembers', 's'], ['sinter', 's'], ['sunion', 's', 'nokey'], ['sdiff', 'nokey'], ['srandmember', 's', '5'], ['smismember', 's', 'a', 'b'], ['spop', 's', '5'], ['spop', 'nokey', '1'], ['sscan', 'nokey', '0']];
    const [a, b] = await Promise.all([RespClient.connect(redis.port), RespClient.connect(node.port)]);
    try {
      await Promise.all([a.raw(['hello', '3']), b.raw(['hello', '3'])]);
      await Promise.all([a.raw(['flushall']), b.raw(['flushall'])]);
      for (const argv of seq) {
        const [x, y] = await Promise.all([a.raw(argv), b.raw(argv)]);
        expect({ argv, reply: y.toString('latin1') }).toEqual({ argv, reply: x.toString('latin1') });
      }
    } finally { a.close(); b.close(); }
  });

  it('SCAN returns every key exactly as KEYS does (cursor values differ by design)', async () => {
    await both(['flushall']);
    for (let i = 0; i < 150; i++) await both(['set', `k:${i}`, 'v']);
    await both(['rpush', 'alist', 'x']);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const res = await n.call(['scan', cursor, 'match', 'k:*', 'count', '17', 'type', 'string']) as [string, string[]];
      cursor = String(res[0]);
      for (const k of res[1]) seen.add(String(k));
    } while (cursor !== '0');
    const keys = (await r.call(['keys', 'k:*']) as string[]).map(String);
    expect([...seen].sort()).toEqual(keys.sort());
  });
});

describe('node vs redis-server: generated sequences (fast-check)', () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const AT_SOON = String(nowSec + 50); // before any `expire … 100` set while the test runs (60 s)
  const AT_LATER = String(nowSec + 1000); // after any `expire … 200`
  const key = fc.constantFrom('k1', 'k2', 'k3');
  const val = fc.constantFrom('0', '1', '-7', 'abc', '2.5', '');
  const int = fc.constantFrom('0', '1', '-1', '2', '-3', '10', 'x');
  const score = fc.constantFrom('0', '1', '-1.5', '3', 'inf', '-inf', 'nan', 'q');
  const cmd = fc.oneof(
    fc.tuple(fc.constant('set'), key, val), fc.tuple(fc.constant('get'), key), fc.tuple(fc.constant('del'), key),
    fc.tuple(fc.constant('incr'), key), fc.tuple(fc.constant('incrby'), key, int), fc.tuple(fc.constant('append'), key, val),
    fc.tuple(fc.constant('strlen'), key), fc.tuple(fc.constant('getrange'), key, int, int), fc.tuple(fc.constant('type'), key),
    fc.tuple(fc.constant('exists'), key, key), fc.tuple(fc.constant('lpush'), key, val, val), fc.tuple(fc.constant('rpush'), key, val),
    fc.tuple(fc.constant('lpop'), key), fc.tuple(fc.constant('rpop'), key, int), fc.tuple(fc.constant('lrange'), key, int, int),
    fc.tuple(fc.constant('llen'), key), fc.tuple(fc.constant('lindex'), key, int), fc.tuple(fc.constant('lrem'), key, int, val),
    fc.tuple(fc.constant('ltrim'), key, int, int), fc.tuple(fc.constant('lset'), key, int, val),
    fc.tuple(fc.constant('hset'), key, val, val), fc.tuple(fc.constant('hget'), key, val), fc.tuple(fc.constant('hdel'), key, val),
    fc.tuple(fc.constant('hgetall'), key), fc.tuple(fc.constant('hincrby'), key, val, int), fc.tuple(fc.constant('hlen'), key),
    fc.tuple(fc.constant('zadd'), key, score, val), fc.tuple(fc.constant('zincrby'), key, score, val), fc.tuple(fc.constant('zrem'), key, val),
    fc.tuple(fc.constant('zrange'), key, int, int, fc.constantFrom('withscores', 'rev')), fc.tuple(fc.constant('zrangebyscore'), key, score, score),
    fc.tuple(fc.constant('zrank'), key, val), fc.tuple(fc.constant('zcard'), key), fc.tuple(fc.constant('zscore'), key, val),
    fc.tuple(fc.constant('zpopmin'), key), fc.tuple(fc.constant('zcount'), key, score, score),
    fc.tuple(fc.constant('expire'), key, fc.constantFrom('100', '-1', '0', 'x')), fc.tuple(fc.constant('ttl'), key), fc.tuple(fc.constant('persist'), key),
    fc.tuple(fc.constant('rename'), key, key), fc.tuple(fc.constant('getdel'), key), fc.tuple(fc.constant('mget'), key, key),
    fc.tuple(fc.constant('set'), key, val, fc.constantFrom('nx', 'xx', 'get', 'keepttl')), fc.tuple(fc.constant('set'), key, val, fc.constantFrom('ex'), fc.constantFrom('100', '0', 'x')),
    // PX in thousands: a key that expires within a sequence would be read before its expiry by one server and after it by the other.
    fc.tuple(fc.constant('set'), key, val, fc.constantFrom('px'), fc.constantFrom('100000', '0', 'x')),
    fc.tuple(fc.constant('zadd'), key, fc.constantFrom('nx', 'xx', 'gt', 'lt', 'ch', 'incr'), score, val),
    fc.tuple(fc.constant('zrange'), key, score, score, fc.constantFrom('byscore', 'bylex', 'rev'), fc.constantFrom('limit'), int, int),
    fc.tuple(fc.constant('zrange'), key, fc.constantFrom('-', '+', '[a', '(1', 'x'), fc.constantFrom('+', '[2', '(abc'), fc.constant('bylex')),
    fc.tuple(fc.constant('lpop'), key, int), fc.tuple(fc.constant('zpopmax'), key, int), fc.tuple(fc.constant('lpos'), key, val, fc.constantFrom('rank', 'count', 'maxlen'), int),
    fc.tuple(fc.constant('incrbyfloat'), key, fc.constantFrom('1.5', '-0.25', 'x', '1e2')), fc.tuple(fc.constant('hincrbyfloat'), key, val, fc.constantFrom('1.5', 'x')),
    fc.tuple(fc.constant('expire'), key, fc.constantFrom('100', '200'), fc.constantFrom('nx', 'xx')), fc.tuple(fc.constant('getex'), key, fc.constantFrom('persist', 'ex')),
    // GT/LT compare absolute expiry times: with relative seconds, two EXPIREs of the same TTL tie
    // or not depending on whether a millisecond passed between them (in each server separately).
    // Absolute times well before and well after any relative TTL above keep every comparison decided.
    fc.tuple(fc.constant('expireat'), key, fc.constantFrom(AT_SOON, AT_LATER), fc.constantFrom('nx', 'xx', 'gt', 'lt')),
    fc.tuple(fc.constant('linsert'), key, fc.constantFrom('before', 'after'), val, val), fc.tuple(fc.constant('setrange'), key, int, val),
    fc.tuple(fc.constant('hmget'), key, val, val), fc.tuple(fc.constant('zmscore'), key, val, val), fc.tuple(fc.constant('zrevrank'), key, val),
    fc.tuple(fc.constant('sadd'), key, val, val), fc.tuple(fc.constant('srem'), key, val), fc.tuple(fc.constant('smembers'), key), fc.tuple(fc.constant('scard'), key),
    fc.tuple(fc.constant('sismember'), key, val), fc.tuple(fc.constant('smismember'), key, val, val), fc.tuple(fc.constant('smove'), key, key, val),
    fc.tuple(fc.constantFrom('sinter', 'sunion', 'sdiff'), key, key), fc.tuple(fc.constantFrom('sinterstore', 'sunionstore', 'sdiffstore'), key, key, key),
    fc.tuple(fc.constant('sintercard'), fc.constantFrom('1', '2', '0', 'x'), key, key), fc.tuple(fc.constant('spop'), key, fc.constantFrom('100', '0', '-1', 'x')),
    fc.tuple(fc.constant('srandmember'), key, fc.constantFrom('100', '0', 'x')),
    fc.tuple(fc.constantFrom('zunionstore', 'zinterstore', 'zdiffstore'), key, fc.constant('2'), key, key), fc.tuple(fc.constantFrom('zunion', 'zinter', 'zdiff'), fc.constant('2'), key, key, fc.constant('withscores')),
    fc.tuple(fc.constant('zrangestore'), key, key, int, int), fc.tuple(fc.constant('zremrangebyscore'), key, score, score), fc.tuple(fc.constant('zlexcount'), key, fc.constantFrom('-', '[a', '(1'), fc.constantFrom('+', '[z')),
    fc.tuple(fc.constantFrom('zrandmember', 'hrandfield'), key, fc.constantFrom('100', '0', 'x')), fc.tuple(fc.constantFrom('zscan', 'hscan', 'sscan'), key, fc.constant('0'), fc.constant('count'), fc.constant('1000')),
    fc.constant(['multi']), fc.constant(['exec']), fc.constant(['discard']), fc.tuple(fc.constant('watch'), key), fc.constant(['unwatch']),
    fc.tuple(fc.constant('renamenx'), key, key), fc.tuple(fc.constant('hsetnx'), key, val, val), fc.tuple(fc.constant('msetnx'), key, val, key, val),
    fc.tuple(fc.constant('setbit'), key, fc.constantFrom('0', '7', '9', '63', '100'), fc.constantFrom('0', '1')), fc.tuple(fc.constant('getbit'), key, fc.constantFrom('0', '7', '9', '100')),
    fc.tuple(fc.constant('bitcount'), key, int, int, fc.constantFrom('bit', 'byte')), fc.tuple(fc.constant('bitpos'), key, fc.constantFrom('0', '1'), int, int, fc.constantFrom('bit', 'byte')),
    fc.tuple(fc.constant('bitop'), fc.constantFrom('and', 'or', 'xor', 'not'), key, key), fc.tuple(fc.constant('bitop'), fc.constantFrom('and', 'or', 'xor'), key, key, key),
    fc.tuple(fc.constant('bitfield'), key, fc.constantFrom('overflow'), fc.constantFrom('wrap', 'sat', 'fail'), fc.constantFrom('incrby', 'set'), fc.constantFrom('u8', 'i8', 'u3', 'i5', 'i64', 'u63'), fc.constantFrom('0', '#1', '5'), fc.constantFrom('1', '-1', '200', '-200', '9223372036854775807')),
    fc.tuple(fc.constantFrom('bitfield', 'bitfield_ro'), key, fc.constant('get'), fc.constantFrom('u8', 'i16', 'i64'), fc.constantFrom('0', '#1', '3')),
    fc.tuple(fc.constant('pfadd'), key, val, val), fc.tuple(fc.constant('pfcount'), key), fc.tuple(fc.constant('pfcount'), key, key), fc.tuple(fc.constant('pfmerge'), key, key),
    fc.tuple(fc.constant('copy'), key, key), fc.tuple(fc.constant('copy'), key, key, fc.constant('replace')),
  );

  // Time, count and index arguments at the edges: 64-bit boundaries, overflow by unit
  // conversion or by adding now, negative, non-numeric, ±inf, nan. Values that would
  // be accepted as a TTL beyond 2^53 ms are left out (the node keeps expiry times as
  // doubles, so TTL replies could differ in the last digit), and so are sizes that make
  // redis-server allocate gigabytes (SETRANGE far offsets, SRANDMEMBER huge negative).
  const BOUND = ['9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '18446744073709551616'];
  const JUNK = ['inf', '-inf', '+inf', 'nan', '1e3', ' 1', '1 ', '', '0x10', '1.5', 'abc', '-0', '+1', '01'];
  const SMALL = ['0', '1', '-1', '2', '-2', '100', '-100', '2147483648', '-2147483649', '4294967296'];
  const anyInt = fc.constantFrom(...BOUND, ...JUNK, ...SMALL);
  const relSeconds = fc.constantFrom(...BOUND, ...JUNK, '9223372036854776', '-9223372036854776', '9223372036854775', '-9223372036854775', '0', '-1', '100');
  const relMs = fc.constantFrom(...BOUND, ...JUNK, '-9223372036854776', '-9223372036854775', '0', '-1', '100000');
  const absSeconds = fc.constantFrom(...BOUND, ...JUNK, '9223372036854776', '-9223372036854776', '-9223372036854775', '0', '-1', '1', AT_LATER);
  const absMs = fc.constantFrom(...BOUND, ...JUNK, '-9223372036854776', '0', '-1', '1', `${AT_LATER}000`);
  const setExp = fc.oneof(fc.tuple(fc.constantFrom('ex'), fc.constantFrom(...BOUND, ...JUNK, '9223372036854776', '9223372036854775', '0', '-1', '100')),
    fc.tuple(fc.constantFrom('px'), fc.constantFrom(...BOUND, ...JUNK, '9223372036854776', '0', '-1', '100000')),
    fc.tuple(fc.constantFrom('exat'), absSeconds), fc.tuple(fc.constantFrom('pxat'), absMs));
  const setup = fc.constantFrom(
    ['set', 'k1', '10'], ['rpush', 'k1', 'a', 'b', 'c', 'd'], ['sadd', 'k1', 'a', 'b', 'c'], ['zadd', 'k1', '1', 'a', '2', 'b'], ['hset', 'k1', 'f', '5'],
    ['set', 'k2', '9223372036854775806'], ['rpush', 'k2', 'x', 'y'], ['setbit', 'k3', '17', '1'], ['set', 'k3', '\xff\x00\x0f'], ['pfadd', 'k1', 'a', 'b'],
  );
  const edgeCmd = fc.oneof(
    setup.map((a) => a),
    fc.tuple(fc.constantFrom('expire', 'expire', 'ttl'), key, relSeconds).map(([c, k, v]) => (c === 'ttl' ? [c, k] : [c, k, v])),
    fc.tuple(fc.constant('pexpire'), key, relMs), fc.tuple(fc.constant('expireat'), key, absSeconds), fc.tuple(fc.constant('pexpireat'), key, absMs),
    fc.tuple(fc.constant('set'), key, val, setExp).map(([c, k, v, [o, t]]) => [c, k, v, o, t]),
    fc.tuple(fc.constant('getex'), key, setExp).map(([c, k, [o, t]]) => [c, k, o, t]),
    fc.tuple(fc.constantFrom('incrby', 'decrby'), key, anyInt), fc.tuple(fc.constant('hincrby'), key, fc.constant('f'), anyInt),
    fc.tuple(fc.constantFrom('lpop', 'rpop', 'spop', 'zpopmin', 'zpopmax'), key, anyInt), fc.tuple(fc.constant('srandmember'), key, fc.constantFrom(...BOUND.filter((b) => !b.startsWith('-')), ...JUNK, ...SMALL)),
    fc.tuple(fc.constantFrom('lrange', 'ltrim', 'getrange', 'zrange', 'zremrangebyrank'), key, anyInt, anyInt),
    fc.tuple(fc.constantFrom('zrandmember', 'hrandfield'), key, fc.constantFrom(...BOUND.filter((b) => !b.startsWith('-')), ...JUNK, ...SMALL.filter((x) => !x.startsWith('-')))),
    fc.tuple(fc.constantFrom('lindex'), key, anyInt), fc.tuple(fc.constant('lset'), key, anyInt, val),
    fc.tuple(fc.constant('lpos'), key, val, fc.constantFrom('count', 'maxlen'), anyInt), fc.tuple(fc.constant('lpos'), key, val, fc.constant('rank'), fc.constantFrom(...JUNK, ...SMALL, '9223372036854775807', '9223372036854775808')),
    fc.tuple(fc.constant('lmpop'), anyInt, key, fc.constant('left')), fc.tuple(fc.constant('lmpop'), fc.constant('1'), key, fc.constant('right'), fc.constant('count'), anyInt),
    fc.tuple(fc.constant('sintercard'), anyInt, key), fc.tuple(fc.constant('sintercard'), fc.constant('1'), key, fc.constant('limit'), anyInt),
    fc.tuple(fc.constant('setrange'), key, fc.constantFrom(...JUNK, ...SMALL.filter((x) => x.length < 4), '-9223372036854775808', '9223372036854775808'), val),
    // (valid counts only huge ones: a partial SCAN's cursor and keys are each server's own)
    fc.tuple(fc.constant('scan'), fc.constantFrom('0', ...JUNK.slice(0, 4), '9223372036854775808'), fc.constant('count'), fc.constantFrom(...BOUND, ...JUNK, '0', '-1', '-100')).map((t) => [...t]),
    fc.tuple(fc.constantFrom('blpop', 'brpop'), key, fc.constantFrom(...BOUND, ...JUNK, '9223372036854775', '-1')),
    fc.tuple(fc.constant('zadd'), key, fc.constantFrom(...BOUND, ...JUNK), val), fc.tuple(fc.constant('zincrby'), key, fc.constantFrom('inf', '-inf', 'nan', '1e308', '-1e308'), fc.constant('a')),
    // (no huge or tiny increments: redis-server adds and prints in 80-bit long double, the node in double)
    fc.tuple(fc.constant('incrbyfloat'), fc.constant('k3'), fc.constantFrom('inf', '-inf', 'nan', '1e3', '-2.5', ...JUNK)),
    // bitmaps: offsets at 2^32 bits and past, negative, '#' typed offsets, ±inf / junk, BIT/BYTE
    // ranges, overflow modes. No write offsets far out (both servers would allocate up to 512 MB).
    fc.tuple(fc.constantFrom('getbit'), key, fc.constantFrom(...BOUND, ...JUNK, ...SMALL, '4294967295', '#1')),
    fc.tuple(fc.constant('setbit'), key, fc.constantFrom(...JUNK, '-1', '4294967296', '9223372036854775807', '0', '15', '#1'), fc.constantFrom('0', '1', '2', '-1', 'x', '01', ' 1')),
    fc.tuple(fc.constant('bitcount'), key, anyInt, anyInt, fc.constantFrom('bit', 'byte', 'BIT', 'x')), fc.tuple(fc.constant('bitcount'), key, anyInt, anyInt),
    fc.tuple(fc.constant('bitpos'), key, fc.constantFrom('0', '1', '2', 'x'), anyInt, anyInt, fc.constantFrom('bit', 'byte')), fc.tuple(fc.constant('bitpos'), key, fc.constantFrom('0', '1'), anyInt),
    fc.tuple(fc.constantFrom('bitfield', 'bitfield_ro'), key, fc.constant('get'), fc.constantFrom('u1', 'i1', 'u63', 'i64', 'u64', 'i65', 'u0', 'i', 'x8', 'i8 '), fc.constantFrom(...BOUND, ...JUNK, '4294967295', '4294967296', '#536870911', '#536870912', '#-1', '#9223372036854775807')),
    fc.tuple(fc.constant('bitfield'), key, fc.constant('overflow'), fc.constantFrom('wrap', 'sat', 'fail', 'x'), fc.constantFrom('set', 'incrby'), fc.constantFrom('u1', 'i1', 'u63', 'i64', 'u7', 'i9'), fc.constantFrom('0', '#1', '13'), anyInt),
    fc.tuple(fc.constant('pfadd'), key, val), fc.tuple(fc.constant('pfcount'), key), // (not DB 1…15: redis-server has them, the node one database)
    fc.tuple(fc.constant('copy'), key, key, fc.constant('db'), anyInt.filter((x) => x !== '1' && x !== '2')),
    fc.tuple(fc.constant('object'), fc.constant('freq'), key), fc.tuple(fc.constant('get'), key), fc.tuple(fc.constant('type'), key), fc.tuple(fc.constant('exists'), key),
  );

  it('time, count and index arguments at their edges give identical replies', async () => {
    await fc.assert(fc.asyncProperty(fc.array(edgeCmd, { minLength: 1, maxLength: 20 }), async (seq) => {
      // a BLPOP/BRPOP whose timeout is accepted would block on a missing key: give it a list
      await runSequence(seq.flatMap((t) => {
        const a = [...t] as string[];
        return a[0] === 'blpop' || a[0] === 'brpop' ? [['del', a[1]!], ['rpush', a[1]!, 'w'], a] : [a];
      }));
    }), { numRuns: Number(process.env.NODE_DIFF_RUNS ?? 150) });
  }, 60_000);

  it('random command sequences over 3 keys give identical replies', async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 25 }), async (seq) => {
      await runSequence(seq.map((t) => [...t] as string[]));
    }), { numRuns: Number(process.env.NODE_DIFF_RUNS ?? 120) });
  }, 60_000);
});

describe('node vs redis-server: raw connection behaviour', () => {
  const net = import('node:net');
  async function exchange(port: number, bytes: string): Promise<string> {
    const { connect } = await net;
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(bytes));
      let out = '';
      s.on('data', (d) => { out += d.toString('latin1'); });
      const t = setTimeout(() => { s.destroy(); resolve(`${out}<open>`); }, 500);
      s.on('close', () => { clearTimeout(t); resolve(`${out}<closed>`); });
      s.on('error', () => {});
    });
  }
  it('inline commands, QUIT, and protocol errors (reply then close) match', async () => {
    for (const bytes of ['PING\r\nECHO hi\r\nQUIT\r\nPING\r\n', '*1\r\n$x\r\n', '*2\r\n$3\r\nGET\r\n$1\r\na\r\n*x\r\n', 'SET "a b" c\r\nGET "a b"\r\n']) {
      const [want, got] = await Promise.all([exchange(redis.port, bytes), exchange(node.port, bytes)]);
      expect({ bytes, got }).toEqual({ bytes, got: want });
    }
  });
});
