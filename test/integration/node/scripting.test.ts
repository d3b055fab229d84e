// Scripting in the node (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT) against a
// real redis-server 7.0: every case runs on both and the raw replies must be
// equal byte for byte — conversions both ways, errors with their script and
// line suffix, the 5.1 libraries (cjson, bit, struct, unpack…), the script
// cache. Then what a client library does (ioredis defineCommand: EVALSHA,
// NOSCRIPT, EVAL fallback) with a rate limiter, binary-safe arguments,
// atomicity towards other clients, and the writes in a replica and the AOF.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startNode, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { startCluster } from '../../fixtures/cluster.js';
import { freePort } from '../../fixtures/ports.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { sideBySide } from './side-by-side.js';

const env = sideBySide();
let r: RespClient;
let n: RespClient;
beforeAll(async () => { r = await RespClient.connect(env.redis.port); n = await RespClient.connect(env.node.port); });
afterAll(() => { r?.close(); n?.close(); });

async function both(argv: (string | Buffer)[]): Promise<[string, string]> {
  const [a, b] = await Promise.all([r.raw(argv), n.raw(argv)]);
  return [a.toString('latin1'), b.toString('latin1')];
}

const ev = (body: string, ...rest: string[]): string[] => ['EVAL', body, String(rest.length > 0 ? rest[0] : 0), ...rest.slice(1)];

/** Each case: commands run in order on a flushed server and script cache; every reply compared. */
const CASES: Record<string, string[][]> = {
  'Lua → reply': [
    ev('return 1'), ev('return 100.5'), ev('return -3.9'), ev("return 'hello'"), ev('return true'), ev('return false'), ev('return nil'),
    ev("return {1, 2, 3, 'x', {4, 5}}"), ev('return {1, nil, 3}'), ev('return {1, false, 3}'), ev('return {}'),
    ev("return {ok='FINE'}"), ev("return {err='My Error'}"), ev("return {err='CODE detail here'}"),
    ev("return redis.error_reply('My Error')"), ev("return redis.error_reply('-CODE detail')"), ev("return redis.error_reply('oops')"),
    ev("return redis.status_reply('OK2')"), ev('return 2^53'), ev('return 1e15'), ev('return -0.5'), ev('return 3, 4'),
    ev("return {'a', {ok='b'}, {err='ERR c'}}"),
  ],
  'KEYS and ARGV': [
    ['EVAL', 'return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}', '2', 'k1', 'k2', 'a1', 'a2'],
    ['EVAL', 'return #ARGV', '0', 'x', 'y', 'z'],
    ['EVAL', 'return 1', '3', 'a'], ['EVAL', 'return 1', '-1'], ['EVAL', 'return 1', 'x'], ['EVAL', 'return 1', '1.5', 'a'],
    ['EVAL', 'return 1'], ['EVALSHA', 'abc'],
  ],
  'reply → Lua': [
    ev("redis.call('set', 'k', 'v') return redis.call('get', 'k')"),
    ev("return redis.call('get', 'missing')"), ev("return type(redis.call('get', 'missing'))"),
    ev("return redis.call('incr', 'n')"), ev("return type(redis.call('incr', 'n'))"), ev("return tostring(redis.call('incr', 'n'))"),
    ev("return redis.call('ping')"), ev("return redis.call('set', 'a', 'b')"), ev("local r = redis.call('ping') return r.ok"),
    ev("redis.call('rpush', 'l', 'a', 'b', 'c') return redis.call('lrange', 'l', 0, -1)"),
    ev("redis.call('hset', 'h', 'f', 'v') return redis.call('hgetall', 'h')"),
    ev("redis.call('zadd', 'z', 1.5, 'm') return redis.call('zscore', 'z', 'm')"),
    ev("return redis.call('zrange', 'z', 0, -1, 'WITHSCORES')"),
    ev("return redis.call('mget', 'k', 'nokey', 'a')"),
    ev("redis.call('set', 'f', 0.1) return redis.call('get', 'f')"), ev("redis.call('set', 'f', 10) return redis.call('get', 'f')"),
    ev("redis.call('set', 'f', 1/3) return redis.call('get', 'f')"), ev("redis.call('set', 'f', 2^60) return redis.call('get', 'f')"),
    ev("return #redis.call('time')"), ev("return redis.call('exists', 'k', 'a', 'zz')"),
    ev("return redis.call('type', 'l')"), ev("return redis.call('SET', 'up', 'x')"),
  ],
  'errors': [
    ['SET', 'str', 'abc'],
    ev("return redis.call('incr', 'str')"), ev("return redis.pcall('incr', 'str')"),
    ev("local t = redis.pcall('incr', 'str') return t['err']"), ev("return redis.call('lpush', 'str', 'x')"),
    ev("return redis.call('nosuch')"), ev("return redis.pcall('nosuch')"), ev("return redis.call('get')"),
    ev("return redis.call('multi')"), ev("return redis.call('eval', 'return 1', 0)"), ev("return redis.call('blpop', 'l', 0)"),
    ev("return redis.call('subscribe', 'c')"), ev("return redis.call('config', 'get', 'maxmemory')"),
    ev('return redis.call()'), ev("return redis.call('get', {})"), ev("return redis.call('get', nil)"),
    ev('return foo'), ev('foo = 1'), ev('return +'), ev("error('boom')"), ev("error({err='XCODE custom'})"),
    ev('local x = nil; return x.y'), ev("\n\nreturn redis.call('incr', 'str')"), ev("local a = 1\nreturn nosuch_global"),
    ev("return redis.call('set', 'x')"), ev("return redis.call('set', 'x', 'y', 'nx', 'xx')"),
    ev('error(123)'), ev("error('x', 2)"), ev("local function f() error('deep', 2) end\nf()"), ev("return error('top', 0)"),
    ev('return bit.band(nil, 1)'), ev('return bit.lshift(1)'), ev('return math.floor(nil)'), ev("return tonumber('10', 99)"),
    ev("return cjson.decode('[1,')"), ev("return cjson.decode('[1,]')"), ev("return cjson.decode('[1 2]')"), ev("return cjson.decode('{1:2}')"),
    ev("return cjson.decode('{\"a\" 2}')"), ev("return cjson.decode('[1] x')"), ev("return cjson.decode('')"), ev('return cjson.encode(function() end)'),
    ev('local t = {} t[1] = 1 t[100] = 2 return cjson.encode(t)'), ev('return cjson.encode(0/0)'),
  ],
  'read-only scripts': [
    ['SET', 'k', 'v'],
    ['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k'],
    ['EVAL_RO', "return redis.call('set', KEYS[1], 'x')", '1', 'k'],
    ['EVAL_RO', "return redis.pcall('del', KEYS[1])", '1', 'k'],
    ['GET', 'k'],
  ],
  'inside MULTI and with WATCH': [
    ['MULTI'], ev("return redis.call('incr', 'm')"), ev('return +'), ev("return redis.pcall('lpush', 'm', 'x')"), ['EXEC'],
    ['WATCH', 'w'], ev("return redis.call('set', 'w', '1')"), ['MULTI'], ['GET', 'w'], ['EXEC'],
    ['WATCH', 'w'], ev("return redis.call('get', 'w')"), ['MULTI'], ['GET', 'w'], ['EXEC'],
  ],
  'script cache': [
    ['SCRIPT', 'LOAD', 'return 42'],
    ['EVALSHA', '1fa00e76656cc152ad327c13fe365858fd7be306', '0'],
    ['EVALSHA', '1FA00E76656CC152AD327C13FE365858FD7BE306', '0'],
    ['EVALSHA_RO', '1fa00e76656cc152ad327c13fe365858fd7be306', '0'],
    ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
    ['SCRIPT', 'EXISTS', '1fa00e76656cc152ad327c13fe365858fd7be306', 'ffffffffffffffffffffffffffffffffffffffff'],
    ev('return 7'), ['SCRIPT', 'EXISTS', 'e7b9d2b3c3bc6f3e4fcdb8e8f1e5da6d0e83a1b1'],
    ['SCRIPT', 'LOAD', 'return +'], ['SCRIPT', 'FLUSH'], ['SCRIPT', 'EXISTS', '1fa00e76656cc152ad327c13fe365858fd7be306'],
    ['SCRIPT', 'FLUSH', 'ASYNC'], ['SCRIPT', 'FLUSH', 'bad'], ['SCRIPT', 'KILL'], ['SCRIPT', 'NOPE'], ['SCRIPT', 'EXISTS'], ['SCRIPT', 'LOAD'],
    ['EVALSHA', '1fa00e76656cc152ad327c13fe365858fd7be306', '0'],
  ],
  'libraries and 5.1 names': [
    ev("return cjson.encode({1, 2, 'a', {true, false}})"), ev("return cjson.encode({a = 1})"), ev("return cjson.encode({})"),
    ev("return cjson.encode('a/b\"c\\n')"), ev('return cjson.encode(0.1)'), ev('return cjson.encode(1/3)'),
    ev("return cjson.decode('[1,2,{\"a\":3}]')[3].a"), ev("return cjson.encode(cjson.decode('[true,false,null,\"x\\\\u00e9\"]'))"),
    ev("return cjson.decode('{\"x\":[1,2]}').x[2]"), ev('return cjson.decode(\'"\\\\ud83d\\\\ude00"\')'),
    ev("return type(cjson.decode('null'))"), ev("return cjson.decode('null') == cjson.null"),
    ev('return bit.band(255, 15)'), ev('return bit.bor(1, 2, 4)'), ev('return bit.bxor(5, 3)'), ev('return bit.lshift(1, 31)'),
    ev('return bit.rshift(-1, 28)'), ev('return bit.arshift(-256, 4)'), ev('return bit.bnot(0)'), ev('return bit.tobit(2^32 + 5)'),
    ev('return bit.tohex(255)'), ev('return bit.tohex(-1, -4)'), ev('return bit.rol(1, 33)'), ev('return bit.ror(1, 1)'), ev('return bit.bswap(1)'),
    ev('return unpack({1, 2, 3})'), ev('return {unpack({1, 2, 3})}'), ev('return tostring(10 / 2)'), ev('return tostring(1 / 3)'),
    ev("return tonumber('0x10')"), ev("return tostring(tonumber('10'))"), ev('return math.floor(3.7)'), ev('return tostring(math.floor(3.7))'),
    ev("return string.format('%d', 42)"), ev("return redis.sha1hex('')"), ev("return redis.sha1hex('abc')"),
    ev('return type(loadstring)'), ev('return table.getn({1, 2})'), ev('return math.pow(2, 10)'), ev('return type(os)'), ev('return type(io)'),
    ev("return struct.pack('>I2', 258)"), ev("return {struct.unpack('>I2', 'AB')}"), ev("return struct.size('>i4')"),
    ev("return tostring(tonumber('1764640000') * 1000)"), ev("return redis.call('time')[1] * 1000 > 0"),
    ev('return redis.REDIS_VERSION ~= nil'), ev("return type(redis.log)"), ev("redis.log(redis.LOG_WARNING, 'from a script') return 1"),
    ev('local t = {} for i = 1, 5 do t[#t + 1] = i * i end return t'), ev("return string.rep('ab', 3)"), ev("return ('x'):upper()"),
    ev("local s = 0 for w in string.gmatch('1 2 3', '%d+') do s = s + tonumber(w) end return s"),
    ev('return bit.tobit(1.5)'), ev('return bit.tobit(2.5)'), ev('return bit.tobit(-1.5)'), ev('return bit.tohex(-1)'), ev('return bit.tohex(1, 3)'),
    ev('return bit.rol(0x12345678, 4)'), ev('return bit.ror(0x12345678, 4)'), ev('return bit.bswap(0x12345678)'),
    ev("return tonumber('z', 36)"), ev("return tonumber(' 12 ')"), ev("return tonumber('1e2')"), ev("return tostring(tonumber('5'))"),
    ev('return tostring(math.floor(-0.5))'), ev("return tostring(redis.call('incr', 'cnt') * 1000000000)"),
    ev("return coroutine.wrap(function() coroutine.yield(5) end)()"), ev('return select("#", 1, 2, 3)'), ev('return table.concat({1, 2, 3}, ",")'),
    ev('return string.format("%5.2f", 3.14159)'), ev('return math.max(1, 5, 3)'), ev("return {double=3.5}"),
  ],
};

describe('scripting', () => {
  for (const [name, seq] of Object.entries(CASES)) {
    it(`${name}: replies equal redis-server's`, async () => {
      await both(['FLUSHALL']);
      await both(['SCRIPT', 'FLUSH']);
      for (const argv of seq) {
        const [want, got] = await both(argv);
        expect({ argv, reply: got }).toEqual({ argv, reply: want });
      }
    });
  }

  it('binary arguments and values pass through scripts unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await both(['FLUSHALL']);
    for (const argv of [
      ['EVAL', "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", '1', bytes, bytes],
      ['EVAL', 'return {KEYS[1], #ARGV[1], ARGV[1]:byte(1), ARGV[1]:byte(256)}', '1', bytes, bytes],
      ['GET', bytes],
    ] as (string | Buffer)[][]) {
      const [want, got] = await both(argv);
      expect(got).toBe(want);
    }
  });

  it('a rate limiter defined with ioredis (EVALSHA, NOSCRIPT, EVAL fallback) behaves as on redis-server', async () => {
    const lua = `
      local current = redis.call('INCR', KEYS[1])
      if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
      local ttl = redis.call('PTTL', KEYS[1])
      if current > tonumber(ARGV[2]) then return {0, current, ttl > 0 and 1 or 0} end
      return {1, current, ttl > 0 and 1 or 0}`;
    const run = async (port: number): Promise<unknown[]> => {
      const c = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await c.connect();
        await c.flushall();
        await c.script('FLUSH');
        c.defineCommand('ratelimit', { numberOfKeys: 1, lua });
        const rl = c as unknown as { ratelimit(k: string, ms: number, limit: number): Promise<unknown> };
        const out: unknown[] = [];
        for (let i = 0; i < 14; i++) out.push(await rl.ratelimit('rl:user1', 60_000, 10));
        out.push(await c.script('EXISTS', '0'.repeat(40)));
        out.push(await c.pttl('rl:user1') > 59_000);
        return out;
      } finally { c.disconnect(); }
    };
    const [want, got] = [await run(env.redis.port), await run(env.node.port)];
    expect(got).toEqual(want);
    expect((got[0] as number[])[0]).toBe(1);
    expect((got[13] as number[])[0]).toBe(0);
  });

  it('through the proxy in front of two `shardgate node` processes, a script runs where its keys live', async () => {
    const nodes: Proc[] = [await startNode(), await startNode()];
    const cluster = await startCluster({ redis: nodes });
    const c = new Redis({ port: cluster.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.connect();
      c.defineCommand('hit', { numberOfKeys: 1, lua: "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], ARGV[1]) return n" });
      const hit = c as unknown as { hit(k: string, ttl: number): Promise<number> };
      const keys = Array.from({ length: 20 }, (_, i) => `user:${i}`);
      for (const k of keys) { await hit.hit(k, 100); expect(await hit.hit(k, 100)).toBe(2); }
      // each key's counter is on the node the proxy routes the key to, with its TTL
      const direct = await Promise.all(nodes.map(async (nd) => { const d = new Redis({ port: nd.port, lazyConnect: true }); await d.connect(); const v = await d.mget(...keys); d.disconnect(); return v; }));
      keys.forEach((_, i) => expect([direct[0]![i], direct[1]![i]].filter((v) => v !== null)).toEqual(['2']));
      expect(direct[0]!.some((v) => v !== null) && direct[1]!.some((v) => v !== null)).toBe(true);
      expect(await c.ttl('user:0')).toBeGreaterThan(90);
      const sha = await c.script('LOAD', 'return 1') as string;
      expect(await c.evalsha(sha, 1, 'user:7')).toBe(1);
    } finally {
      c.disconnect();
      await cluster.stop();
      for (const nd of nodes) await nd.stop();
    }
  });

  it('a script runs with no other client in between', async () => {
    await pipeline(env.node.port, [['FLUSHALL']]);
    const [a, b] = await Promise.all([RespClient.connect(env.node.port), RespClient.connect(env.node.port)]);
    try {
      a.send(['EVAL', "for i = 1, 3000 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])", '1', 'counter']);
      for (let i = 0; i < 200; i++) b.send(['GET', 'counter']);
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) seen.add((await b.nextRaw()).toString());
      expect((await a.nextRaw(20_000)).toString()).toBe('$4\r\n3000\r\n');
      for (const v of seen) expect(['$-1\r\n', '$4\r\n3000\r\n']).toContain(v);
    } finally { a.close(); b.close(); }
  });

  it('writes reach a replica and the AOF as the commands the script ran, in MULTI … EXEC, and survive a restart', async () => {
    const dir = tmpDir();
    const m = await env.extraNode({ dir, appendonly: true, appendfsync: 'always' });
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
    const script = "redis.call('set', KEYS[1], ARGV[1]) redis.call('expire', KEYS[1], 1000) redis.call('incrbyfloat', KEYS[2], '1.5') "
      + "redis.call('rpush', KEYS[3], 'a', 'b') redis.call('spop', KEYS[4]) return redis.call('get', KEYS[1])";
    const res = await pipeline(m.port, [['SADD', 's', 'one', 'two'], ['EVAL', script, '4', 'k', 'f', 'l', 's', 'v'], ['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k']]);
    expect(res.slice(1).map(String)).toEqual(['v', 'v']);
    const read = async (port: number): Promise<string> => JSON.stringify(await pipeline(port, [['MGET', 'k', 'f'], ['LRANGE', 'l', '0', '-1'], ['EXISTS', 's'], ['TTL', 'k']]), (_k, v: unknown) => (v && typeof v === 'object' && 'type' in v && (v as { type: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString() : v));
    const want = await read(m.port);
    expect(JSON.parse(want)).toEqual([['v', '1.5'], ['a', 'b'], 1, 1000]);
    await until('replica applied the script', async () => (await read(replica.port)) === want, 10_000);
    await m.close();
    const aof = fs.readFileSync(path.join(dir, 'appendonly.aof')).toString('latin1').toUpperCase();
    expect(aof).not.toContain('EVAL');
    const multiAt = aof.indexOf('*1\r\n$5\r\nMULTI\r\n');
    expect(multiAt).toBeGreaterThan(0);
    let at = multiAt;
    for (const cmd of ['\r\nSET\r\n', 'PEXPIREAT', '\r\nSET\r\n', 'KEEPTTL', 'RPUSH', 'SREM', '*1\r\n$4\r\nEXEC\r\n']) {
      const next = aof.indexOf(cmd, at);
      expect({ cmd, after: next > at }).toEqual({ cmd, after: true });
      at = next;
    }
    const again = await env.extraNode({ dir, appendonly: true });
    expect(await read(again.port)).toBe(want);
  });

  it('on a replica a script reads, and a write in it is refused as on redis-server', async () => {
    const m = await env.extraNode();
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
    const redisReplica = await startRedis(['--replicaof', '127.0.0.1', String(env.redis.port)]);
    try {
      for (const port of [m.port, env.redis.port]) await pipeline(port, [['SET', 'rk', 'v']]);
      for (const port of [replica.port, redisReplica.port]) await until('replica has rk', async () => String((await pipeline(port, [['GET', 'rk']]))[0]) === 'v', 15_000);
      const cmds = [['EVAL', "return redis.call('get', KEYS[1])", '1', 'rk'], ['EVAL', "return redis.call('set', KEYS[1], 'x')", '1', 'rk'], ['EVAL', "return redis.pcall('set', KEYS[1], 'x')", '1', 'rk']];
      const [got, want] = await Promise.all([pipeline(replica.port, cmds), pipeline(redisReplica.port, cmds)]);
      expect(got.map(String)).toEqual(want.map(String));
    } finally { await redisReplica.stop(); }
  });
});
