// Eviction under a write-heavy load: used_memory stays under maxmemory,
// evicted_keys counts, approximated LRU keeps recently read keys, and the
// process RSS stays sane. In-process node on port 0.
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { RespClient } from '../../fixtures/resp-client.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';

const started: RunningNode[] = [];
afterAll(async () => { await Promise.all(started.map((n) => n.close())); });
const field = (info: string, f: string): number => Number(new RegExp(`^${f}:(\\S+)`, 'm').exec(info)?.[1]);

describe('maxmemory eviction', () => {
  it('allkeys-lru: a write-heavy load stays under maxmemory and keeps hot keys', async () => {
    const max = 4 * 1024 * 1024;
    const n = await startNode({ port: 0, maxmemory: max, maxmemoryPolicy: 'allkeys-lru' }, pino({ level: 'silent' }));
    started.push(n);
    const c = await RespClient.connect(n.port);
    for (let i = 0; i < 20; i++) await c.call(['set', `hot${i}`, 'h'.repeat(100)]);
    const rss0 = process.memoryUsage().rss;
    const value = 'v'.repeat(500);
    let maxUsed = 0;
    for (let batch = 0; batch < 60; batch++) {
      for (let i = 0; i < 500; i++) c.send(['set', `k${batch}:${i}`, value]);
      for (let i = 0; i < 500; i++) expect((await c.nextRaw()).toString()).toBe('+OK\r\n');
      for (let i = 0; i < 20; i++) await c.call(['get', `hot${i}`]);
      maxUsed = Math.max(maxUsed, field(String(await c.call(['info', 'memory'])), 'used_memory'));
    }
    const info = String(await c.call(['info']));
    expect(field(info, 'maxmemory')).toBe(max);
    expect(maxUsed).toBeLessThanOrEqual(max + 600 + 200);
    expect(field(info, 'used_memory')).toBeLessThanOrEqual(max);
    expect(field(info, 'evicted_keys')).toBeGreaterThan(10_000);
    let hotLeft = 0;
    for (let i = 0; i < 20; i++) if (await c.call(['exists', `hot${i}`]) === 1) hotLeft++;
    expect(hotLeft).toBeGreaterThanOrEqual(18);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
    c.close();
  }, 60_000);

  it('volatile-ttl evicts keys with a TTL (soonest first) and never keys without one', async () => {
    const n = await startNode({ port: 0, maxmemory: 300_000, maxmemoryPolicy: 'volatile-ttl' }, pino({ level: 'silent' }));
    started.push(n);
    const c = await RespClient.connect(n.port);
    for (let i = 0; i < 50; i++) await c.call(['set', `p${i}`, 'x'.repeat(1000)]);
    for (let i = 0; i < 400; i++) c.send(['set', `t${i}`, 'x'.repeat(1000), 'ex', String(1000 + i)]);
    for (let i = 0; i < 400; i++) await c.nextRaw();
    for (let i = 0; i < 50; i++) expect(await c.call(['exists', `p${i}`])).toBe(1);
    expect(await c.call(['exists', 't399'])).toBe(1);
    expect(await c.call(['exists', 't0'])).toBe(0);
    c.close();
  });

  it('CONFIG SET maxmemory at runtime triggers eviction on the next command', async () => {
    const n = await startNode({ port: 0 }, pino({ level: 'silent' }));
    started.push(n);
    const c = await RespClient.connect(n.port);
    for (let i = 0; i < 1000; i++) c.send(['set', `k${i}`, 'x'.repeat(200)]);
    for (let i = 0; i < 1000; i++) await c.nextRaw();
    expect(String(await c.call(['config', 'set', 'maxmemory-policy', 'allkeys-random']))).toBe('OK');
    expect(String(await c.call(['config', 'set', 'maxmemory', '100000']))).toBe('OK');
    await c.call(['ping']);
    expect(await c.call(['dbsize'])).toBeLessThan(400);
    expect((await c.call(['config', 'get', 'maxmemory']) as Buffer[]).map(String)).toEqual(['maxmemory', '100000']);
    c.close();
  });
});
