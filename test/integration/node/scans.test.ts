// HSCAN and ZSCAN over big values (beyond the single-page small encoding):
// every entry exactly once when nothing changes, every entry present for the
// whole scan at least once while other entries are deleted and added, and the
// same entries as redis-server's full scan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';

let redis: Proc;
let node: RunningNode;
beforeAll(async () => { redis = await startRedis(); node = await startNode({ port: 0 }, pino({ level: 'silent' })); });
afterAll(async () => { await node?.close(); await redis?.stop(); });

async function fill(port: number): Promise<void> {
  const cmds: string[][] = [['FLUSHALL']];
  for (let i = 0; i < 2000; i += 100) {
    const h: string[] = []; const z: string[] = [];
    for (let j = i; j < i + 100; j++) { h.push(`f${j}`, `v${j}`); z.push(String(j % 37), `m${j}`); }
    cmds.push(['HSET', 'h', ...h], ['ZADD', 'z', ...z]);
  }
  await pipeline(port, cmds);
}

/** Scan to the end; `during` runs after each page (for writes meanwhile). Returns names (fields / members). */
async function scanAll(port: number, cmd: 'HSCAN' | 'ZSCAN', key: string, count: number, during?: (page: number) => Promise<void>): Promise<string[]> {
  const c = await RespClient.connect(port);
  const out: string[] = [];
  try {
    let cursor = '0'; let page = 0;
    do {
      const [next, items] = await c.call([cmd, key, cursor, 'COUNT', String(count)]) as [Buffer, Buffer[]];
      cursor = String(next);
      for (let i = 0; i < items.length; i += 2) out.push(String(items[i]));
      if (during) await during(page++);
    } while (cursor !== '0');
  } finally { c.close(); }
  return out;
}

describe('HSCAN / ZSCAN', () => {
  it('return every entry exactly once for several COUNTs, the same entries as redis-server', async () => {
    await Promise.all([fill(node.port), fill(redis.port)]);
    for (const cmd of ['HSCAN', 'ZSCAN'] as const) {
      const key = cmd === 'HSCAN' ? 'h' : 'z';
      const want = (await scanAll(redis.port, cmd, key, 100)).sort();
      expect(new Set(want).size).toBe(2000);
      for (const count of [1, 7, 500, 5000]) {
        const got = await scanAll(node.port, cmd, key, count);
        expect(new Set(got).size, `${cmd} COUNT ${count}: duplicates`).toBe(got.length);
        expect(got.sort()).toEqual(want);
      }
    }
  });

  it('return every entry present throughout while others are deleted and added', async () => {
    await fill(node.port);
    for (const cmd of ['HSCAN', 'ZSCAN'] as const) {
      const key = cmd === 'HSCAN' ? 'h' : 'z';
      const prefix = cmd === 'HSCAN' ? 'f' : 'm';
      // entries 0..999 get deleted while the scan runs, new ones added; 1000..1999 stay
      const got = new Set(await scanAll(node.port, cmd, key, 50, async (page) => {
        const del = Array.from({ length: 25 }, (_, i) => `${prefix}${page * 25 + i}`).filter((_, i) => page * 25 + i < 1000);
        const add = cmd === 'HSCAN' ? ['HSET', key, `new${page}`, 'x'] : ['ZADD', key, '5', `new${page}`];
        await pipeline(node.port, [[cmd === 'HSCAN' ? 'HDEL' : 'ZREM', key, ...(del.length > 0 ? del : ['none'])], add]);
      }));
      for (let i = 1000; i < 2000; i++) expect(got.has(`${prefix}${i}`), `${cmd} missed ${prefix}${i}`).toBe(true);
    }
  });
});
