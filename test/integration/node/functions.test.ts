// Redis 7 functions in the node (FUNCTION …, FCALL, FCALL_RO) against a real
// redis-server 7.0: every case runs on both and the raw replies must be equal
// byte for byte — libraries good and bad with Redis's errors, the load-time
// API, calls with their (keys, args), conversions and errors with the function
// and line, LIST in RESP2 and RESP3, DELETE/FLUSH/STATS, DUMP → RESTORE on the
// same server with each policy, a busy function and FUNCTION KILL, a read-only
// replica. Then what only the node can show: restart from the AOF and from a
// snapshot, a replica by full sync and by the stream, the function's writes in
// MULTI … EXEC, and FCALL through the proxy in front of two `shardgate node`s.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startNode, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { startCluster } from '../../fixtures/cluster.js';
import { freePort } from '../../fixtures/ports.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { spinLua } from '../../fixtures/lua.js';
import { sideBySide } from './side-by-side.js';

const env = sideBySide();
let r: RespClient;
let n: RespClient;
beforeAll(async () => { r = await RespClient.connect(env.redis.port); n = await RespClient.connect(env.node.port); });
afterAll(() => { r?.close(); n?.close(); });

const text = (b: Buffer): string => b.toString('latin1');
/** the bytes of a raw bulk string reply */
const bulk = (raw: Buffer): Buffer => { const nl = raw.indexOf('\r\n'); return raw.subarray(nl + 2, nl + 2 + Number(text(raw.subarray(1, nl)))); };
async function both(argv: (string | Buffer)[], a = r, b = n): Promise<[string, string]> {
  const [x, y] = await Promise.all([a.raw(argv), b.raw(argv)]);
  return [text(x), text(y)];
}

/** FUNCTION LOAD of a library named `name` with this body after the shebang line */
const lib = (name: string, body: string, replace = false): string[] => ['FUNCTION', 'LOAD', ...(replace ? ['REPLACE'] : []), `#!lua name=${name}\n${body}`];
const load = (code: string): string[] => ['FUNCTION', 'LOAD', code];

/** Each case: run in order on both servers after FUNCTION FLUSH + FLUSHALL; every reply compared. */
const CASES: Record<string, (string | Buffer)[][]> = {
  'bad library metadata': [
    load('return 1'), load('#!lua'), load('#!lua name=a b=c\n'), load('#!foo name=x\n'), load('#!lua name=x'), load('#!lua name=x\n'),
    load('#!lua\n'), load('#!lua name=x y\n'), load('#!lua name=x name=z\nredis.register_function("g", function() end)'),
    load("#!lua name=x-y\nredis.register_function('f', function() end)"), load('#!LUA name=up\nredis.register_function("up", function() return 1 end)'),
    ['FUNCTION', 'LOAD'], ['FUNCTION', 'LOAD', 'x', 'y'], ['FUNCTION', 'LOAD', 'REPLACE'],
  ],
  'bad library code': [
    lib('x', "redis.register_function('f-1', function() end)"),
    lib('x', "redis.register_function('f', function() end) redis.register_function('f', function() end)"),
    lib('x', "redis.call('set','a','b')"), lib('x', "string.format('a')"), lib('x', 'return +'), lib('x', "error('boom')"),
    lib('x', 'redis.register_function()'), lib('x', 'redis.register_function(1, 2)'), lib('x', 'redis.register_function({})'),
    lib('x', "redis.register_function({function_name='a'})"), lib('x', 'redis.register_function({callback=function() end})'),
    lib('x', "redis.register_function({function_name='a', callback=1})"), lib('x', "redis.register_function({function_name='a', callback=function() end, foo=1})"),
    lib('x', "redis.register_function({function_name='a', callback=function() end, flags='no-writes'})"),
    lib('x', "redis.register_function({function_name='a', callback=function() end, flags={'no-writes', 'bad'}})"),
    lib('x', "redis.register_function({function_name={}, callback=function() end})"),
    lib('x', "redis.register_function('a')"), lib('x', 'x = 1'), lib('x', 'while true do end'),
    ['FUNCTION', 'LIST'],
  ],
  'libraries and name clashes': [
    lib('x', "redis.register_function('f', function(k, a) return {k, a} end)"),
    lib('x', "redis.register_function('g', function() return 1 end)"),
    lib('y', "redis.register_function('f', function() return 2 end)"),
    lib('x', "redis.register_function('g', function() return 3 end)", true),
    ['FCALL', 'f', '0'], ['FCALL', 'g', '0'],
    lib('y', "redis.register_function('y1', function() return 'y' end) redis.log(redis.LOG_WARNING, 'loading y') return redis.REDIS_VERSION_NUM"),
    ['FCALL', 'y1', '0'], ['FUNCTION', 'DELETE', 'x'], ['FUNCTION', 'DELETE', 'x'], ['FCALL', 'g', '0'], ['FUNCTION', 'DELETE'],
    ['FUNCTION', 'LIST', 'WITHCODE'],
  ],
  'FCALL and FCALL_RO': [
    lib('m', [
      "redis.register_function('kv', function(k, a) return {k, a, #k, #a} end)",
      "redis.register_function{function_name='ro', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}, description='reads'}",
      "redis.register_function{function_name='rw', callback=function(k, a) return redis.call('set', k[1], a[1]) end, flags={'allow-oom', 'NO-CLUSTER'}}",
      "redis.register_function('e1', function() return nosuch end)",
      "redis.register_function('e2', function() x = 1 end)",
      "redis.register_function('e3', function(k) return redis.call('incr', k[1]) end)",
      "redis.register_function('e4', function() error('bad') end)",
      "redis.register_function('e5', function() return redis.register_function('z', function() end) end)",
      "redis.register_function{function_name='e6', callback=function(k) return redis.call('set', k[1], 'v') end, flags={'no-writes'}}",
      "redis.register_function('e7', function() return KEYS end)",
      "redis.register_function('e8', function(k, a) return string.format('%d-%s', #k, a[1]) end)",
      "redis.register_function('e9', function(k) return redis.pcall('incr', k[1]) end)",
      "redis.register_function('conv', function() return {1, 2.5, 'x', true, false, nil, {ok='FINE'}, {err='MY err'}} end)",
      "redis.register_function('st', function() return redis.status_reply('DONE') end)",
      "redis.register_function('er', function() return redis.error_reply('CODE custom') end)",
      "redis.register_function('js', function(k, a) return cjson.encode({a = a[1]}) end)",
    ].join('\n')),
    ['SET', 's', 'abc'],
    ['FCALL', 'kv', '2', 'a', 'b', 'c', 'd'], ['FCALL', 'kv', '0'], ['FCALL', 'nosuch', '0'], ['FCALL', 'kv', 'x'], ['FCALL', 'kv', '3', 'a'],
    ['FCALL', 'kv', '-1'], ['FCALL', 'kv'], ['FCALL_RO', 'kv', '0'], ['FCALL_RO', 'ro', '1', 's'], ['FCALL', 'ro', '1', 's'],
    ['FCALL', 'rw', '1', 'w', 'val'], ['FCALL_RO', 'rw', '1', 'w', 'v2'], ['GET', 'w'],
    ...['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'conv', 'st', 'er', 'js'].map((f) => ['FCALL', f, '1', 's', 'arg']),
    // (Redis lists a library's functions in its hash table's order: one function per listed library)
    lib('one', "redis.register_function{function_name='only', callback=function() return 1 end, flags={'allow-cross-slot-keys', 'no-writes'}}"),
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'on?'], ['FUNCTION', 'LIST', 'LIBRARYNAME', 'zz*'], ['FUNCTION', 'LIST', 'x'], ['FUNCTION', 'LIST', 'LIBRARYNAME'],
    ['FUNCTION', 'STATS'], ['SCRIPT', 'FLUSH'], ['FCALL', 'kv', '0'], ['FUNCTION', 'FLUSH', 'x'], ['FUNCTION', 'FLUSH', 'ASYNC', 'SYNC'],
    ['FUNCTION', 'FLUSH', 'SYNC'], ['FCALL', 'kv', '0'], ['FUNCTION', 'STATS'],
  ],
  'in MULTI, helpers and upvalues': [
    ['MULTI'], lib('t', [
      'local calls = 0',
      "local function bump(k) calls = calls + 1 return redis.call('incrby', k, calls) end",
      "redis.register_function('t1', function(k) return bump(k[1]) end)",
      "redis.register_function('t2', function() return type(_G) .. ',' .. type(redis.call) .. ',' .. tostring(redis.register_function) end)",
    ].join('\n')), ['FCALL', 't1', '1', 'tk'], ['FCALL', 't1', '1', 'tk'], ['EXEC'],
    ['FCALL', 't1', '1', 'tk'], ['FCALL', 't2', '0'], ['MULTI'], ['FCALL', 'nosuch', '0'], ['FUNCTION', 'DELETE', 't'], ['EXEC'], ['FCALL', 't1', '1', 'tk'],
  ],
  'over maxmemory (noeviction)': [
    lib('mm', [
      "redis.register_function('w', function(k) return redis.call('set', k[1], 'x') end)",
      "redis.register_function{function_name='woom', callback=function(k) return redis.call('set', k[1], 'y') end, flags={'allow-oom'}}",
      "redis.register_function{function_name='r', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}",
      "redis.register_function('d', function(k) return redis.call('del', k[1]) end)",
    ].join('\n')),
    ['SET', 'big', 'x'.repeat(1000)], ['CONFIG', 'SET', 'maxmemory', '1'],
    ['FCALL', 'w', '1', 'k'], ['FCALL', 'woom', '1', 'k'], ['FCALL', 'r', '1', 'k'], ['FCALL_RO', 'r', '1', 'k'], ['FCALL', 'd', '1', 'k'],
    lib('mm2', "redis.register_function('z', function() return 1 end)"), ['FUNCTION', 'DELETE', 'mm'],
    ['CONFIG', 'SET', 'maxmemory', '0'],
  ],
  'FUNCTION subcommands': [
    ['FUNCTION'], ['FUNCTION', 'BOGUS'], ['FUNCTION', 'HELP'], ['FUNCTION', 'HELP', 'x'], ['FUNCTION', 'KILL'], ['SCRIPT', 'KILL'],
    ['FUNCTION', 'STATS', 'x'], ['FUNCTION', 'RESTORE', 'abc'], ['FUNCTION', 'RESTORE', 'abc', 'bogus'], ['FUNCTION', 'RESTORE', 'abc', 'FLUSH', 'x'],
    ['FUNCTION', 'DUMP', 'x'], ['FCALL_RO'],
  ],
};

describe('functions side by side with redis-server 7.0 (raw replies)', () => {
  for (const [name, cmds] of Object.entries(CASES)) {
    it(name, async () => {
      await both(['FUNCTION', 'FLUSH']);
      await both(['FLUSHALL']);
      for (const c of cmds) {
        const [want, got] = await both(c);
        const cmd = c.map(String).join(' ').slice(0, 200);
        expect({ cmd, reply: got }).toEqual({ cmd, reply: want });
      }
    });
  }

  it('FUNCTION LIST and STATS in RESP3', async () => {
    const [a, b] = await Promise.all([RespClient.connect(env.redis.port), RespClient.connect(env.node.port)]);
    try {
      await both(['HELLO', '3'], a, b);
      await both(['FUNCTION', 'FLUSH'], a, b);
      for (const c of [
        lib('r3', "redis.register_function{function_name='f3', callback=function() return 1 end, flags={'no-writes', 'allow-stale'}, description='d'}"),
        ['FUNCTION', 'LIST'], ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'r*'], ['FUNCTION', 'STATS'], ['FCALL', 'f3', '0'],
      ]) {
        const [want, got] = await both(c, a, b);
        expect(got).toBe(want);
      }
    } finally { a.close(); b.close(); }
  });

  it('FUNCTION DUMP → RESTORE on the same server, with each policy', async () => {
    await both(['FUNCTION', 'FLUSH']);
    await both(lib('d1', "redis.register_function('d1f', function() return 'one' end)"));
    const [dr, dn] = (await Promise.all([r.raw(['FUNCTION', 'DUMP']), n.raw(['FUNCTION', 'DUMP'])])).map(bulk) as [Buffer, Buffer];
    const steps: [string, (string | Buffer)[]][] = [
      ['APPEND collides', ['FUNCTION', 'RESTORE', '$', 'APPEND']], ['default (APPEND) collides', ['FUNCTION', 'RESTORE', '$']],
      ['REPLACE', ['FUNCTION', 'RESTORE', '$', 'REPLACE']], ['list', ['FUNCTION', 'LIST']],
      ['flush', ['FUNCTION', 'FLUSH']], ['APPEND into empty', ['FUNCTION', 'RESTORE', '$']], ['call', ['FCALL', 'd1f', '0']],
      ['other lib with d1f', lib('d2', "redis.register_function('d1f', function() return 'two' end)")],
      ['delete', ['FUNCTION', 'DELETE', 'd1']], ['other lib', lib('d2', "redis.register_function('d1f', function() return 'two' end)")],
      ['REPLACE clashes on a function of another library', ['FUNCTION', 'RESTORE', '$', 'REPLACE']],
      ['FLUSH policy', ['FUNCTION', 'RESTORE', '$', 'FLUSH']], ['call after', ['FCALL', 'd1f', '0']], ['list after', ['FUNCTION', 'LIST']],
    ];
    for (const [what, c] of steps) {
      const [want, got] = await Promise.all([r.raw(c.map((x) => (x === '$' ? dr : x))), n.raw(c.map((x) => (x === '$' ? dn : x)))]);
      expect({ what, got: text(got) }).toEqual({ what, got: text(want) });
    }
  });

  it('FUNCTION DUMP payloads move between redis-server and the node both ways (LZF-compressed ones too)', async () => {
    await both(['FUNCTION', 'FLUSH']);
    // a long repetitive body: redis-server LZF-compresses it in its payload
    const pad = `-- ${'padding '.repeat(40)}\n`;
    await both(lib('x1', `${pad}redis.register_function('x1f', function(k, a) return {k, a} end)\n${pad}`));
    await both(lib('x2', "redis.register_function{function_name='x2f', callback=function() return 2 end, flags={'no-writes'}}"));
    const [dr, dn] = (await Promise.all([r.raw(['FUNCTION', 'DUMP']), n.raw(['FUNCTION', 'DUMP'])])).map(bulk) as [Buffer, Buffer];
    expect(dr.length).toBeLessThan(dn.length); // Redis's is compressed, the node's is not
    const [lr, ln] = await Promise.all([r.raw(['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'x1']), n.raw(['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'x1'])]);
    const swapped = await Promise.all([r.raw(['FUNCTION', 'RESTORE', dn, 'FLUSH']), n.raw(['FUNCTION', 'RESTORE', dr, 'FLUSH'])]);
    expect(swapped.map(text)).toEqual(['+OK\r\n', '+OK\r\n']);
    const after = await Promise.all([r.raw(['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'x1']), n.raw(['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'x1'])]);
    expect(after.map(text)).toEqual([text(lr), text(ln)]);
    expect(await both(['FCALL', 'x2f', '0'])).toEqual([':2\r\n', ':2\r\n']);
    // damaged payloads: the same errors
    const bad = Buffer.from(dr); bad[3] ^= 1;
    for (const p of [bad, dr.subarray(0, 5), Buffer.concat([Buffer.from([7]), dr.subarray(dr.length - 10)])]) {
      const [want, got] = await both(['FUNCTION', 'RESTORE', p, 'FLUSH']);
      expect(got).toBe(want);
    }
  });
});

describe('a function past busy-reply-threshold, side by side', () => {
  it('others get the FUNCTION KILL flavour of BUSY; SCRIPT KILL refuses; FUNCTION KILL stops it; UNKILLABLE once it wrote', async () => {
    const extra: RespClient[] = [];
    const conn = async (port: number): Promise<RespClient> => { const c = await RespClient.connect(port); extra.push(c); return c; };
    try {
      const out: Record<string, string[]> = {};
      for (const [name, port] of [['redis', env.redis.port], ['node', env.node.port]] as const) {
        const [caller, other] = [await conn(port), await conn(port)];
        const seen: string[] = [];
        const note = async (argv: string[]): Promise<string> => { const t = text(await other.raw(argv, 20_000)); seen.push(t); return t; };
        await other.raw(['CONFIG', 'SET', 'busy-reply-threshold', '200']);
        await other.raw(['FUNCTION', 'FLUSH']);
        await other.raw(lib('busy', [
          "redis.register_function('spin', function() while true do end end)",
          `redis.register_function('wspin', function(k) redis.call('incr', k[1]) ${spinLua(1_500_000)} return 'done' end)`,
        ].join('\n')));
        const call = caller.raw(['FCALL', 'spin', '0'], 30_000);
        await until(`${name} BUSY`, async () => text(await other.raw(['PING'], 20_000)).startsWith('-BUSY'), 20_000, 20);
        await note(['PING']);
        await note(['SCRIPT', 'KILL']);
        await note(['FUNCTION', 'LIST']);
        const st = await other.call(['FUNCTION', 'STATS'], 20_000) as unknown[];
        seen.push(JSON.stringify((st[1] as unknown[] | null)?.slice(0, 4) ?? null));
        await note(['FUNCTION', 'KILL']);
        seen.push(text(await call));
        await note(['PING']);
        const wcall = caller.raw(['FCALL', 'wspin', '1', 'wk'], 30_000);
        await until(`${name} BUSY again`, async () => text(await other.raw(['PING'], 20_000)).startsWith('-BUSY'), 20_000, 20);
        await note(['FUNCTION', 'KILL']);
        seen.push(text(await wcall));
        await note(['GET', 'wk']);
        // an EVAL script busy: FUNCTION KILL names SCRIPT KILL; FUNCTION STATS shows what runs
        const ecall = caller.raw(['EVAL', 'while true do end', '0'], 30_000);
        await until(`${name} BUSY by EVAL`, async () => text(await other.raw(['PING'], 20_000)).startsWith('-BUSY'), 20_000, 20);
        await note(['FUNCTION', 'KILL']);
        const est = await other.call(['FUNCTION', 'STATS'], 20_000) as unknown[];
        seen.push(JSON.stringify((est[1] as unknown[] | null)?.slice(0, 4) ?? null));
        await note(['SCRIPT', 'KILL']);
        seen.push(text(await ecall));
        await other.raw(['CONFIG', 'SET', 'busy-reply-threshold', '5000']);
        out[name] = seen;
      }
      expect(out.node).toEqual(out.redis);
      expect(out.node![0]).toBe('-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n');
      expect(JSON.parse(out.node![3]!)).toEqual(['name', 'spin', 'command', ['FCALL', 'spin', '0']]);
    } finally { for (const c of extra) c.close(); }
  });
});

describe('functions on replicas, on disk and through the proxy', () => {
  const LIB = lib('rep', [
    "redis.register_function('incrby2', function(k, a) redis.call('incr', k[1]) return redis.call('incr', k[1]) end)",
    "redis.register_function{function_name='peek', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}",
  ].join('\n'));

  it('a read-only replica: FCALL of a writing function, FCALL_RO and FUNCTION LOAD answer as on redis-server', async () => {
    const redisReplica = await startRedis(['--replicaof', '127.0.0.1', String(env.redis.port)]);
    const m = await env.extraNode();
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
    try {
      for (const port of [env.redis.port, m.port]) await pipeline(port, [['FUNCTION', 'FLUSH'], LIB, ['SET', 'rk', '5']]);
      for (const port of [redisReplica.port, replica.port]) await until('replica has rk', async () => String((await pipeline(port, [['GET', 'rk']]))[0]) === '5', 15_000);
      const cmds = [['FCALL', 'incrby2', '1', 'rk'], ['FCALL_RO', 'peek', '1', 'rk'], ['FCALL', 'peek', '1', 'rk'], lib('z', "redis.register_function('z', function() end)"), ['FUNCTION', 'DELETE', 'rep'], ['FUNCTION', 'FLUSH']];
      const [a, b] = await Promise.all([RespClient.connect(redisReplica.port), RespClient.connect(replica.port)]);
      try {
        for (const c of cmds) { const [want, got] = await both(c, a, b); expect({ c: c.join(' '), reply: got }).toEqual({ c: c.join(' '), reply: want }); }
      } finally { a.close(); b.close(); }
    } finally { await redisReplica.stop(); }
  });

  it('libraries reach a replica by full sync and by the stream; a function\'s writes go as MULTI … EXEC; all survive a restart from the AOF', async () => {
    const dir = tmpDir();
    const m = await env.extraNode({ dir, appendonly: true, appendfsync: 'always' });
    expect(String((await pipeline(m.port, [LIB]))[0])).toBe('rep');
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
    await until('library by full sync', async () => String((await pipeline(replica.port, [['FCALL_RO', 'peek', '1', 'nokey']]))[0]) === 'null', 15_000);
    await pipeline(m.port, [lib('later', "redis.register_function('later', function() return 'L' end)"), ['FCALL', 'incrby2', '1', 'c']]);
    await until('library and writes by the stream', async () => {
      const [l, c] = await pipeline(replica.port, [['FCALL_RO', 'peek', '1', 'c'], ['FUNCTION', 'LIST', 'LIBRARYNAME', 'later']]);
      return String(l) === '2' && Array.isArray(c) && c.length === 1;
    }, 15_000);
    await pipeline(m.port, [['FUNCTION', 'DELETE', 'later']]);
    await until('delete by the stream', async () => String((await pipeline(replica.port, [['FUNCTION', 'LIST', 'LIBRARYNAME', 'later']]))[0]) === '', 15_000);
    await m.close();
    const aof = fs.readFileSync(path.join(dir, 'appendonly.aof')).toString('latin1').toUpperCase();
    expect(aof).toContain('$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n');
    expect(aof).not.toContain('FCALL');
    const multi = aof.indexOf('MULTI');
    expect(multi).toBeGreaterThan(0);
    expect(aof.indexOf('INCR', multi)).toBeGreaterThan(multi);
    expect(aof.indexOf('EXEC', multi)).toBeGreaterThan(aof.indexOf('INCR', multi));
    const again = await env.extraNode({ dir, appendonly: true });
    expect((await pipeline(again.port, [['FCALL', 'incrby2', '1', 'c'], ['FCALL', 'later', '0']])).map(String)).toEqual(['4', 'ReplyError: ERR Function not found']);
    // an AOF rewrite keeps the libraries in the new base (no FUNCTION LOAD left in the file)
    await pipeline(again.port, [['BGREWRITEAOF']]);
    await until('rewrite done', async () => /aof_rewrite_in_progress:0/.test(String((await pipeline(again.port, [['INFO', 'persistence']]))[0]))
      && /aof_rewrites:1/.test(String((await pipeline(again.port, [['INFO', 'persistence']]))[0])), 15_000);
    await again.close();
    expect(fs.readFileSync(path.join(dir, 'appendonly.aof')).toString('latin1').toUpperCase()).not.toContain('$4\r\nLOAD\r\n');
    const third = await env.extraNode({ dir, appendonly: true });
    expect((await pipeline(third.port, [['FCALL', 'incrby2', '1', 'c']])).map(String)).toEqual(['6']);
  });

  it('libraries survive a restart from a snapshot (SAVE), and a snapshot without functions still loads', async () => {
    const dir = tmpDir();
    const a = await env.extraNode({ dir });
    await pipeline(a.port, [['SET', 'k', 'v'], ['SAVE']]);
    await a.close();
    const b = await env.extraNode({ dir });
    expect((await pipeline(b.port, [['GET', 'k'], ['FUNCTION', 'LIST']])).map(String)).toEqual(['v', '']);
    await pipeline(b.port, [LIB, ['SAVE']]);
    await b.close();
    const c = await env.extraNode({ dir });
    expect((await pipeline(c.port, [['FCALL', 'incrby2', '1', 'n'], ['GET', 'k']])).map(String)).toEqual(['2', 'v']);
  });

  it('through the proxy in front of two `shardgate node` processes: FUNCTION LOAD reaches both, FCALL runs where its key lives', async () => {
    const nodes: Proc[] = [await startNode(), await startNode()];
    const cluster = await startCluster({ redis: nodes });
    const c = new Redis({ port: cluster.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.connect();
      expect(await c.call('FUNCTION', 'LOAD', LIB[2]!)).toBe('rep');
      const keys = Array.from({ length: 20 }, (_, i) => `fk:${i}`);
      for (const k of keys) expect(await c.call('FCALL', 'incrby2', '1', k)).toBe(2);
      for (const k of keys) expect(await c.call('FCALL_RO', 'peek', '1', k)).toBe('2');
      const direct = await Promise.all(nodes.map(async (nd) => {
        const d = new Redis({ port: nd.port, lazyConnect: true });
        await d.connect();
        const v = [await d.mget(...keys), await d.call('FUNCTION', 'LIST')] as const;
        d.disconnect();
        return v;
      }));
      keys.forEach((_, i) => expect([direct[0]![0][i], direct[1]![0][i]].filter((v) => v !== null)).toEqual(['2']));
      expect(direct[0]![0].some((v) => v !== null) && direct[1]![0].some((v) => v !== null)).toBe(true);
      for (const d of direct) expect((d[1] as unknown[]).length).toBe(1);
      expect(await c.call('FUNCTION', 'DELETE', 'rep')).toBe('OK');
    } finally {
      c.disconnect();
      await cluster.stop();
      for (const nd of nodes) await nd.stop();
    }
  });
});
