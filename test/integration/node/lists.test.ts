// Lists beyond reply-by-reply comparison (differential.test.ts has those):
// clients blocked in BLMOVE / BRPOPLPUSH / BLMPOP / BLPOP are woken by a push
// and served FIFO, with the same replies as redis-server; a replica ends with the
// master's lists after served blocked moves (propagated as LMOVE / LPOP);
// and LPUSH/LPOP keep their rate while one list grows to a million elements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';

const silent = pino({ level: 'silent' });
let redis: Proc;
let node: RunningNode;
const extra: RunningNode[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => { redis = await startRedis(); node = await startNode({ port: 0 }, silent); });
afterAll(async () => { for (const n of extra) await n.close(); await node?.close(); await redis?.stop(); });

/** Three clients block (BLMOVE, BLMPOP, BRPOPLPUSH) on one list, a fourth pushes: the replies and the lists afterwards. */
async function blockedScenario(port: number): Promise<string[]> {
  await pipeline(port, [['FLUSHALL']]);
  const [a, b, d, pusher] = await Promise.all([0, 1, 2, 3].map(() => RespClient.connect(port)));
  try {
    a.send(['BLMOVE', 'q', 'dst', 'RIGHT', 'LEFT', '5']);
    await sleep(30);
    b.send(['BLMPOP', '5', '2', 'other', 'q', 'LEFT', 'COUNT', '2']);
    await sleep(30);
    d.send(['BRPOPLPUSH', 'q', 'dst', '5']);
    await sleep(30);
    const pushed = (await pusher.raw(['RPUSH', 'q', 'x1', 'x2', 'x3', 'x4'])).toString();
    const replies = await Promise.all([a.nextRaw(), b.nextRaw(), d.nextRaw()]);
    const after = await pipeline(port, [['LRANGE', 'q', '0', '-1'], ['LRANGE', 'dst', '0', '-1']]);
    const timedOut = (await a.raw(['BLMOVE', 'nothing', 'dst', 'LEFT', 'LEFT', '0.05'])).toString();
    return [pushed, ...replies.map(String), JSON.stringify(after.map((x) => (x as Buffer[]).map(String))), timedOut];
  } finally { for (const c of [a, b, d, pusher]) c.close(); }
}

describe('lists', () => {
  it('blocked BLMOVE, BLMPOP and BRPOPLPUSH are served FIFO by one push, replying as redis-server does', async () => {
    const n = await blockedScenario(node.port);
    const r = await blockedScenario(redis.port);
    expect(n).toEqual(r);
    expect(n[1]).toBe('$2\r\nx4\r\n');
  });

  it('a replica ends with the master lists after served blocked moves and pops', async () => {
    const m = await startNode({ port: 0 }, silent);
    const replica = await startNode({ port: 0, replicaof: { host: '127.0.0.1', port: m.port } }, silent);
    extra.push(m, replica);
    const [a, b] = await Promise.all([RespClient.connect(m.port), RespClient.connect(m.port)]);
    a.send(['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '5']);
    b.send(['BLPOP', 'src', '5']);
    await sleep(30);
    await pipeline(m.port, [['RPUSH', 'src', 'one', 'two', 'three'], ['LMPOP', '1', 'src', 'RIGHT'], ['RPUSH', 'src', 'four', 'five', 'six'], ['LMOVE', 'src', 'dst', 'LEFT', 'LEFT']]);
    await Promise.all([a.nextRaw(), b.nextRaw()]);
    a.close(); b.close();
    const read = async (port: number): Promise<string> => JSON.stringify((await pipeline(port, [['LRANGE', 'src', '0', '-1'], ['LRANGE', 'dst', '0', '-1']])).map((x) => (x as Buffer[]).map(String)));
    const want = await read(m.port);
    expect(JSON.parse(want)).toEqual([['five', 'six'], ['four', 'one']]);
    await until('replica has the master lists', async () => (await read(replica.port)) === want, 10_000);
  });

  it('LPUSH and LPOP keep their rate while one list grows to a million elements', async () => {
    // its own process, so the test client's heap and GC do not weigh on the node's
    const port = await freePort();
    const proc = await startShardgate(['node', '--port', String(port), '--dir', tmpDir(), '--loglevel', 'warn'], port);
    const c = await RespClient.connect(port);
    const rate = async (cmd: string[], n: number): Promise<number> => {
      const t0 = performance.now();
      const batch = 1000;
      for (let i = 0; i < n; i += batch) {
        for (let j = 0; j < batch; j++) c.send(cmd);
        for (let j = 0; j < batch; j++) await c.nextRaw();
      }
      return n / (performance.now() - t0);
    };
    const push = ['LPUSH', 'big', 'element'];
    await rate(['LPUSH', 'warm-up', 'element'], 30_000); // JIT: the first rate is measured warm
    const first = await rate(push, 50_000);
    await rate(['LPUSH', 'big', ...Array.from({ length: 100 }, () => 'e')], 9_000);
    const last = await rate(push, 50_000);
    expect(Number(await c.call(['LLEN', 'big']))).toBeGreaterThanOrEqual(1_000_000);
    const pops = await rate(['LPOP', 'big'], 50_000);
    c.close();
    await proc.stop('SIGKILL');
    // O(n) pushes would be ~20x slower at 1M than at 50k; a shared machine and a bigger heap to mark cost some
    expect(last).toBeGreaterThan(first * 0.5);
    expect(pops).toBeGreaterThan(first * 0.5);
    console.log(`[list rate] LPUSH at 0-50k ${first.toFixed(0)}/ms, at 1M ${last.toFixed(0)}/ms, LPOP at 1M ${pops.toFixed(0)}/ms`);
  }, 120_000);
});
