// Behaviour of the node over real sockets (in-process startNode on port 0):
// TTL and active expiry, BLPOP wake-ups, pub/sub (ioredis and raw RESP3),
// auth, read-only mode, the write stream and snapshot source contracts,
// DUMP/RESTORE (and rejection of Redis's own DUMP payloads), OOM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startRedis } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';
import type { NodeOptions } from '../../../src/node/contracts.js';

const silent = pino({ level: 'silent' });
const started: RunningNode[] = [];
async function node(o: Partial<NodeOptions> = {}): Promise<RunningNode> {
  const n = await startNode({ port: 0, ...o }, silent);
  started.push(n);
  return n;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const infoField = (info: string, f: string): number => Number(new RegExp(`^${f}:(\\S+)`, 'm').exec(info)?.[1]);

let main: RunningNode;
let c: RespClient;
beforeAll(async () => { main = await node(); c = await RespClient.connect(main.port); });
afterAll(async () => { c?.close(); await Promise.all(started.map((n) => n.close())); });

describe('expiry', () => {
  it('lazy expiry hides a key once its PX passed and counts expired_keys', async () => {
    await c.call(['set', 'lazy', 'v', 'px', '30']);
    expect(String(await c.call(['get', 'lazy']))).toBe('v');
    await sleep(60);
    expect(await c.call(['get', 'lazy'])).toBe(null);
    expect(await c.call(['ttl', 'lazy'])).toBe(-2);
  });

  it('active expiry removes keys nobody reads (dbsize drops without access)', async () => {
    const n = await node();
    const k = await RespClient.connect(n.port);
    for (let i = 0; i < 500; i++) k.send(['set', `e${i}`, 'v', 'px', String(50 + (i % 50))]);
    for (let i = 0; i < 500; i++) await k.nextRaw();
    for (let i = 0; i < 100; i++) k.send(['set', `keep${i}`, 'v']);
    for (let i = 0; i < 100; i++) await k.nextRaw();
    await sleep(900);
    expect(await k.call(['dbsize'])).toBe(100);
    const info = String(await k.call(['info', 'stats']));
    expect(infoField(info, 'expired_keys')).toBe(500);
    k.close();
  });
});

describe('blocking pops', () => {
  it('BLPOP waits, is woken by a push, and clients are served FIFO', async () => {
    const a = await RespClient.connect(main.port);
    const b = await RespClient.connect(main.port);
    a.send(['blpop', 'q1', 'q2', '5']);
    await sleep(20);
    b.send(['blpop', 'q2', '5']);
    await sleep(20);
    expect(await c.call(['rpush', 'q2', 'x', 'y'])).toBe(2);
    expect((await a.nextRaw()).toString()).toBe('*2\r\n$2\r\nq2\r\n$1\r\nx\r\n');
    expect((await b.nextRaw()).toString()).toBe('*2\r\n$2\r\nq2\r\n$1\r\ny\r\n');
    expect(await c.call(['exists', 'q2'])).toBe(0);
    a.close(); b.close();
  });

  it('BLPOP times out with a nil array, and later requests on that connection wait their turn', async () => {
    const a = await RespClient.connect(main.port);
    const t0 = Date.now();
    a.send(['blpop', 'never', '0.2']);
    a.send(['ping']);
    expect((await a.nextRaw()).toString()).toBe('*-1\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    expect((await a.nextRaw()).toString()).toBe('+PONG\r\n');
    a.close();
  });
});

describe('pub/sub', () => {
  it('ioredis subscriber gets messages and pattern messages; PUBSUB NUMSUB counts it', async () => {
    const sub = new Redis({ port: main.port, lazyConnect: true });
    const pub = new Redis({ port: main.port, lazyConnect: true });
    await sub.connect(); await pub.connect();
    const got: string[] = [];
    sub.on('message', (ch, m) => got.push(`${ch}:${m}`));
    sub.on('pmessage', (p, ch, m) => got.push(`${p}|${ch}:${m}`));
    await sub.subscribe('news');
    await sub.psubscribe('n*');
    expect(await pub.publish('news', 'hello')).toBe(2);
    expect(await pub.pubsub('NUMSUB', 'news')).toEqual(['news', 1]);
    await sleep(50);
    expect(got.sort()).toEqual(['n*|news:hello', 'news:hello']);
    sub.disconnect(); pub.disconnect();
  });

  it('RESP2 subscribed mode allows only (P)SUBSCRIBE/UNSUBSCRIBE/PING; RESP3 gets push frames and can run commands', async () => {
    const r = await startRedis();
    try {
      for (const port of [r.port, main.port]) {
        const s = await RespClient.connect(port);
        expect((await s.raw(['subscribe', 'ch'])).toString()).toBe('*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n');
        expect((await s.raw(['get', 'x'])).toString()).toBe("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
        expect((await s.raw(['ping'])).toString()).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
        s.close();
        const s3 = await RespClient.connect(port);
        await s3.raw(['hello', '3']);
        expect((await s3.raw(['subscribe', 'ch3'])).toString()).toBe('>3\r\n$9\r\nsubscribe\r\n$3\r\nch3\r\n:1\r\n');
        expect((await s3.raw(['get', 'nokey-x'])).toString()).toBe('_\r\n');
        const p = await RespClient.connect(port);
        await p.raw(['publish', 'ch3', 'm']);
        expect((await s3.nextRaw()).toString()).toBe('>3\r\n$7\r\nmessage\r\n$3\r\nch3\r\n$1\r\nm\r\n');
        s3.close(); p.close();
      }
    } finally { await r.stop(); }
  });
});

describe('auth and modes', () => {
  it('requirepass: NOAUTH before AUTH, WRONGPASS on a bad password, HELLO 3 AUTH works', async () => {
    const n = await node({ requirepass: 'sekret' });
    const k = await RespClient.connect(n.port);
    expect((await k.raw(['get', 'a'])).toString()).toBe('-NOAUTH Authentication required.\r\n');
    expect((await k.raw(['auth', 'nope'])).toString()).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect((await k.raw(['auth', 'sekret'])).toString()).toBe('+OK\r\n');
    const h = await RespClient.connect(n.port);
    const hello = (await h.raw(['hello', '3', 'auth', 'default', 'sekret'])).toString();
    expect(hello.startsWith('%7\r\n')).toBe(true);
    expect((await h.raw(['ping'])).toString()).toBe('+PONG\r\n');
    k.close(); h.close();
  });

  it('read-only mode rejects writes from clients but internal execute() still writes', async () => {
    const n = await node();
    const k = await RespClient.connect(n.port);
    n.core.setReadOnly(true);
    expect((await k.raw(['set', 'a', '1'])).toString()).toBe("-READONLY You can't write against a read only replica.\r\n");
    expect(await n.core.execute([Buffer.from('SET'), Buffer.from('a'), Buffer.from('1')])).toBe('OK');
    expect(String(await k.call(['get', 'a']))).toBe('1');
    n.core.setReadOnly(false);
    k.close();
  });

  it('SELECT other than 0 is out of range', async () => {
    expect((await c.raw(['select', '1'])).toString()).toBe('-ERR DB index is out of range\r\n');
  });

  it('noeviction: denyoom writes fail with OOM over maxmemory, reads and DEL still work', async () => {
    const n = await node({ maxmemory: 200_000, maxmemoryPolicy: 'noeviction' });
    const k = await RespClient.connect(n.port);
    let oom = '';
    for (let i = 0; i < 1000 && oom === ''; i++) {
      const r = (await k.raw(['set', `k${i}`, 'x'.repeat(1000)])).toString();
      if (r.startsWith('-')) oom = r;
    }
    expect(oom).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    expect((await k.raw(['get', 'k1'])).toString()).toBe(`$1000\r\n${'x'.repeat(1000)}\r\n`);
    expect(await k.call(['del', 'k1'])).toBe(1);
    k.close();
  });
});

describe('write stream and snapshot source', () => {
  it('writes are rewritten for deterministic replay', async () => {
    const n = await node();
    const seen: string[] = [];
    n.core.addWriteListener({ onWrite: (argv) => seen.push(argv.map((b) => b.toString()).join(' ')) });
    const k = await RespClient.connect(n.port);
    const before = Date.now();
    await k.call(['set', 'a', '1', 'ex', '100']);
    await k.call(['incrbyfloat', 'f', '1.5']);
    await k.call(['expire', 'a', '50']);
    await k.call(['get', 'a']);
    await k.call(['set', 'b', '1', 'nx']);
    await k.call(['set', 'b', '1', 'nx']);
    await k.call(['set', 'gone', '1', 'px', '10']);
    await sleep(30);
    await k.call(['get', 'gone']);
    const w = await RespClient.connect(n.port);
    w.send(['brpop', 'bq', '5']);
    await sleep(20);
    await k.call(['lpush', 'bq', 'v']);
    await w.nextRaw();
    const at = Number(seen[0]!.split(' ')[4]);
    expect(at).toBeGreaterThanOrEqual(before + 100_000);
    expect(seen[0]).toBe(`SET a 1 PXAT ${at}`);
    expect(seen[1]).toBe('SET f 1.5 KEEPTTL');
    expect(seen[2]).toMatch(/^PEXPIREAT a \d+$/);
    expect(seen.slice(3)).toEqual(['set b 1 nx', expect.stringMatching(/^SET gone 1 PXAT \d+$/), 'DEL gone', 'lpush bq v', 'RPOP bq']);
    k.close(); w.close();
  });

  it('entries() round-trips through restore(); the before-write hook sees old state', async () => {
    const a = await node();
    const k = await RespClient.connect(a.port);
    await k.call(['set', 's', 'v', 'ex', '100']);
    await k.call(['rpush', 'l', '1', '2']);
    await k.call(['hset', 'h', 'f', 'v']);
    await k.call(['zadd', 'z', '1.5', 'm']);
    const b = await node();
    for (const [key, payload, exp] of a.core.keyspace.entries()) b.core.keyspace.restore(key, payload, exp);
    const kb = await RespClient.connect(b.port);
    expect(String(await kb.call(['get', 's']))).toBe('v');
    expect(await kb.call(['ttl', 's'])).toBeGreaterThan(95);
    expect((await kb.call(['lrange', 'l', '0', '-1']) as Buffer[]).map(String)).toEqual(['1', '2']);
    expect(String(await kb.call(['zscore', 'z', 'm']))).toBe('1.5');
    const hooked: [string, boolean][] = [];
    a.core.keyspace.setBeforeWriteHook((key, old) => hooked.push([key, old !== null]));
    await k.call(['set', 'new', '1']);
    await k.call(['rpush', 'l', '3']);
    await k.call(['del', 'h']);
    a.core.keyspace.setBeforeWriteHook(null);
    expect(hooked).toEqual(expect.arrayContaining([['new', false], ['l', true], ['h', true]]));
    k.close(); kb.close();
  });

  it('DUMP/RESTORE round-trips with REPLACE/ABSTTL; a real Redis DUMP payload is rejected with Redis\'s error', async () => {
    await c.call(['rpush', 'dl', 'a', 'b']);
    const payload = await c.raw(['dump', 'dl']);
    const bytes = payload.subarray(payload.indexOf('\r\n') + 2, payload.length - 2);
    expect((await c.raw(['restore', 'dl', '0', bytes])).toString()).toBe('-BUSYKEY Target key name already exists.\r\n');
    expect((await c.raw(['restore', 'dl2', String(Date.now() + 60_000), bytes, 'absttl'])).toString()).toBe('+OK\r\n');
    expect(await c.call(['ttl', 'dl2'])).toBeGreaterThan(55);
    expect((await c.raw(['restore', 'dl', '0', bytes, 'replace'])).toString()).toBe('+OK\r\n');
    const flipped = Buffer.from(bytes); flipped[2] ^= 0xff;
    expect((await c.raw(['restore', 'dl3', '0', flipped])).toString()).toBe('-ERR DUMP payload version or checksum are wrong\r\n');
    const r = await startRedis();
    try {
      const rc = await RespClient.connect(r.port);
      await rc.call(['set', 'x', 'y']);
      const rp = await rc.raw(['dump', 'x']);
      const rbytes = rp.subarray(rp.indexOf('\r\n') + 2, rp.length - 2);
      expect((await c.raw(['restore', 'fromredis', '0', rbytes])).toString()).toBe('-ERR DUMP payload version or checksum are wrong\r\n');
      rc.close();
    } finally { await r.stop(); }
  });
});

describe('server introspection', () => {
  it('INFO has the Redis fields tools read; COMMAND, CLIENT LIST and SLOWLOG work', async () => {
    const k = await RespClient.connect(main.port);
    await k.call(['get', 'hit-me']);
    await k.call(['set', 'hit-me', '1']);
    await k.call(['get', 'hit-me']);
    const info = String(await k.call(['info']));
    expect(info).toMatch(/^redis_version:7\.0\.0$/m);
    for (const f of ['used_memory', 'maxmemory', 'evicted_keys', 'expired_keys', 'keyspace_hits', 'keyspace_misses', 'connected_clients']) expect(info).toMatch(new RegExp(`^${f}:\\d+`, 'm'));
    expect(info).toMatch(/^# Persistence/m);
    expect(info).toMatch(/^# Replication/m);
    expect(info).toMatch(/^db0:keys=\d+,expires=\d+/m);
    expect(infoField(info, 'keyspace_hits')).toBeGreaterThanOrEqual(1);
    expect(infoField(info, 'keyspace_misses')).toBeGreaterThanOrEqual(1);
    expect(await k.call(['command', 'count'])).toBeGreaterThan(90);
    const ci = await k.call(['command', 'info', 'get']) as unknown[][];
    expect(String(ci[0]![0])).toBe('get');
    expect(ci[0]![1]).toBe(2);
    await k.call(['client', 'setname', 'tester']);
    expect(String(await k.call(['client', 'list']))).toMatch(/name=tester /);
    await k.call(['config', 'set', 'slowlog-log-slower-than', '0']);
    await k.call(['ping']);
    expect(await k.call(['slowlog', 'len'])).toBeGreaterThan(0);
    const entries = await k.call(['slowlog', 'get', '10']) as unknown[][];
    expect(entries.map((e) => (e[3] as Buffer[]).map(String).join(' '))).toContain('ping');
    await k.call(['config', 'set', 'slowlog-log-slower-than', '10000']);
    expect(await k.call(['slowlog', 'reset'])).toBe('OK');
    k.close();
  });
});
