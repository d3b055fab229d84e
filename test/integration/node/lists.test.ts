// Lists beyond reply-by-reply comparison (differential.test.ts has those):
// clients blocked in BLMOVE / BRPOPLPUSH / BLMPOP / BLPOP are woken by a push
// and served FIFO, with the same replies as redis-server; a replica ends with the
// master's lists after served blocked moves (propagated as LMOVE / LPOP);
// and LPUSH/LPOP keep their rate while one list grows to a million elements.
import { describe, expect, it } from 'vitest';
import { startShardgate, tmpDir } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { commandRate } from '../../fixtures/rate.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { sideBySide, sleep } from './side-by-side.js';

const env = sideBySide();

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
    const n = await blockedScenario(env.node.port);
    const r = await blockedScenario(env.redis.port);
    expect(n).toEqual(r);
    expect(n[1]).toBe('$2\r\nx4\r\n');
  });

  it('a replica ends with the master lists after served blocked moves and pops', async () => {
    const m = await env.extraNode();
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
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
    const rate = (cmd: string[], n: number): Promise<number> => commandRate(c, () => cmd, n);
    await rate(['LPUSH', 'warm-up', 'element'], 30_000); // JIT warm
    await rate(['LPUSH', 'big', ...Array.from({ length: 100 }, () => 'e')], 10_000);
    expect(Number(await c.call(['LLEN', 'big']))).toBeGreaterThanOrEqual(1_000_000);
    // rates on a short list and on the 1M list measured alternately, so a shared machine's load drifts over both alike
    const small: number[] = []; const big: number[] = []; const popBig: number[] = [];
    for (let round = 0; round < 5; round++) {
      small.push(await rate(['LPUSH', 'short', 'element'], 5_000));
      await rate(['LTRIM', 'short', '0', '99'], 1);
      big.push(await rate(['LPUSH', 'big', 'element'], 5_000));
      popBig.push(await rate(['LPOP', 'big'], 5_000));
    }
    c.close();
    await proc.stop('SIGKILL');
    // the best round of each: load on a shared machine (other tests, a major GC of the 1M elements) only
    // ever lowers a rate, so the best is the least disturbed; an O(n) push or pop would be thousands of
    // times slower at 1M elements in every round
    const best = (xs: number[]): number => Math.max(...xs);
    console.log(`[list rate] LPUSH on a 100-element list ${best(small).toFixed(0)}/ms, on a 1M list ${best(big).toFixed(0)}/ms, LPOP on it ${best(popBig).toFixed(0)}/ms (best of 5 rounds each)`);
    expect(best(big)).toBeGreaterThan(best(small) * 0.5);
    expect(best(popBig)).toBeGreaterThan(best(small) * 0.5);
  }, 120_000);
});
