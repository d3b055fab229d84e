// Persistence against a node core in-process (contract-level stub core, real
// TCP clients, real files): AOF replay, hybrid rewrite, BGSAVE, truncated and
// corrupt AOF tails, automatic rewrite.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { attachPersistence, PersistenceLoadError, type PersistenceHandle } from '../../../src/node/persistence/index.js';
import { encodeCommand } from '../../../src/resp/encode.js';
import { tmpDir } from '../../fixtures/procs.js';
import { StubCore } from './repl-persist-stub-core.js';
import type { NodeOptions } from '../../../src/node/contracts.js';

const silent = pino({ level: 'silent' });
const open: { core: StubCore; handle: PersistenceHandle | null; client: Redis | null }[] = [];

async function boot(opts: Partial<NodeOptions>, tuning: Record<string, unknown> = {}, logger = silent) {
  const core = new StubCore(opts);
  const entry = { core, handle: null as PersistenceHandle | null, client: null as Redis | null };
  open.push(entry);
  entry.handle = await attachPersistence(core, { logger, ...tuning });
  const port = await core.listen();
  entry.client = new Redis({ port, lazyConnect: false, maxRetriesPerRequest: 1 });
  return { core, handle: entry.handle, client: entry.client };
}

async function shutdown(e: (typeof open)[number]): Promise<void> {
  e.client?.disconnect();
  await e.handle?.close();
  await e.core.close();
  open.splice(open.indexOf(e), 1);
}

afterEach(async () => { for (const e of [...open]) await shutdown(e); });

function dump(core: StubCore): Record<string, string> {
  return Object.fromEntries([...core.keyspace.map].map(([k, v]) => [k, v.v.toString('latin1')]).sort());
}

describe('persistence in-process', () => {
  it('replays the AOF on restart (everysec)', async () => {
    const dir = tmpDir();
    const a = await boot({ dir, appendonly: true, appendfsync: 'everysec' });
    for (let i = 0; i < 500; i++) await a.client.set(`k${i}`, `v${i}`);
    for (let i = 0; i < 100; i++) await a.client.incr('ctr');
    await a.client.del('k7');
    const before = dump(a.core);
    await shutdown(open[0]!);
    const b = await boot({ dir, appendonly: true });
    expect(dump(b.core)).toEqual(before);
    expect(b.handle.loaded).toMatchObject({ source: 'aof', commands: 601 });
  });

  it('appendfsync always: every command is in the file when its reply arrives', async () => {
    const dir = tmpDir();
    const a = await boot({ dir, appendonly: true, appendfsync: 'always' });
    const file = path.join(dir, 'appendonly.aof');
    for (let i = 0; i < 50; i++) {
      await a.client.set(`k${i}`, `v${i}`);
      expect(fs.readFileSync(file).subarray(-encodeCommand(['set', `k${i}`, `v${i}`]).length).toString().toLowerCase())
        .toBe(encodeCommand(['set', `k${i}`, `v${i}`]).toString());
    }
  });

  it('BGREWRITEAOF under writes gives a hybrid file (snapshot + tail) that restores everything', async () => {
    const dir = tmpDir();
    const a = await boot({ dir, appendonly: true, appendfsync: 'everysec' });
    await Promise.all(Array.from({ length: 5000 }, (_, i) => a.client.set(`k${i}`, `v${i}`)));
    const sizeBefore = Number(/aof_current_size:(\d+)/.exec(await a.client.info('persistence'))![1]);
    expect(await a.client.bgrewriteaof()).toMatch(/started/);
    const writes = Promise.all(Array.from({ length: 3000 }, (_, i) => a.client.set(`k${i}`, `new${i}`)));
    await a.handle.rewriteRunning;
    await writes;
    await a.client.set('after', 'swap');
    const file = fs.readFileSync(path.join(dir, 'appendonly.aof'));
    expect(file.subarray(0, 4).toString()).toBe('SGDB');
    expect(file.length).toBeLessThan(sizeBefore + 3000 * 40);
    const info = await a.client.info('persistence');
    expect(info).toMatch(/aof_last_bgrewrite_status:ok/);
    const before = dump(a.core);
    await shutdown(open[0]!);
    const b = await boot({ dir, appendonly: true });
    expect(dump(b.core)).toEqual(before);
    expect(b.core.keyspace.map.get('k5')!.v.toString()).toBe('new5');
  });

  it('BGSAVE writes a point-in-time snapshot that a node without AOF loads', async () => {
    const dir = tmpDir();
    const a = await boot({ dir });
    for (let i = 0; i < 2000; i++) await a.client.set(`k${i}`, `v${i}`);
    const atStart = dump(a.core);
    const last0 = await a.client.lastsave();
    expect(await a.client.bgsave()).toMatch(/started/);
    const writes = Promise.all(Array.from({ length: 500 }, (_, i) => a.client.set(`k${i}`, 'changed')));
    await a.handle.bgsaveRunning;
    await writes;
    expect(await a.client.lastsave()).toBeGreaterThanOrEqual(last0);
    expect(await a.client.info('persistence')).toMatch(/rdb_last_bgsave_status:ok/);
    await shutdown(open[0]!);
    const b = await boot({ dir });
    expect(dump(b.core)).toEqual(atStart);
  });

  it('BGSAVE and BGREWRITEAOF of 200k keys keep clients served (PING latency bounded)', async () => {
    const dir = tmpDir();
    const a = await boot({ dir, appendonly: true });
    for (let i = 0; i < 200_000; i++) a.core.keyspace.restore(`key:${i}`, Buffer.from(`value-${i}-${'x'.repeat(40)}`), 0);
    for (const [label, start] of [['BGSAVE', () => a.client.bgsave()], ['BGREWRITEAOF', () => a.client.bgrewriteaof()]] as const) {
      const t0 = Date.now();
      await start();
      const running = a.handle.bgsaveRunning ?? a.handle.rewriteRunning;
      let done = false;
      void running!.then(() => { done = true; });
      let worst = 0;
      let pings = 0;
      while (!done) {
        const p0 = performance.now();
        await a.client.set(`during:${pings}`, 'x');
        worst = Math.max(worst, performance.now() - p0);
        pings++;
      }
      const ms = Date.now() - t0;
      console.log(`[in-process] ${label} of 200k keys took ${ms} ms; ${pings} writes served meanwhile, worst latency ${worst.toFixed(1)} ms`);
      expect(pings).toBeGreaterThan(10);
      // slices of ~10 ms: typically 20-50 ms worst here; the bound leaves room for a busy 2-core machine
      expect(worst).toBeLessThan(500);
    }
  });

  it('the save option snapshots in the background when there were writes', async () => {
    const dir = tmpDir();
    const a = await boot({ dir, save: 1 });
    await a.client.set('x', '1');
    expect(await a.client.info('persistence')).toMatch(/rdb_changes_since_last_save:1\r?\n/);
    const end = Date.now() + 5000;
    while (!fs.existsSync(path.join(dir, 'dump.sgdb')) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await a.handle.bgsaveRunning;
    const info = await a.client.info('persistence');
    expect(info).toMatch(/rdb_changes_since_last_save:0\r?\n/);
    expect(info).toMatch(/rdb_saves:1\r?\n/);
  });

  it('truncates a torn AOF tail and starts, logging offset and bytes dropped', async () => {
    const dir = tmpDir();
    const cmds = [['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']].map((c) => encodeCommand(c));
    const whole = Buffer.concat(cmds);
    const cut = whole.length - 5;
    fs.writeFileSync(path.join(dir, 'appendonly.aof'), whole.subarray(0, cut));
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => { lines.push(s); } });
    const b = await boot({ dir, appendonly: true }, {}, logger);
    expect(dump(b.core)).toEqual({ a: '1', b: '2' });
    const good = cmds[0]!.length + cmds[1]!.length;
    expect(fs.statSync(path.join(dir, 'appendonly.aof')).size).toBeGreaterThanOrEqual(good);
    const warn = lines.map((l) => JSON.parse(l) as { offset: number; droppedBytes: number }).find((l) => l.droppedBytes !== undefined);
    expect(warn).toMatchObject({ offset: good, droppedBytes: cut - good });
  });

  it('refuses to start on a corrupt AOF, naming file and offset; and on a truncated tail when aof-load-truncated is off', async () => {
    const dir = tmpDir();
    const a = encodeCommand(['SET', 'a', '1']);
    const file = path.join(dir, 'appendonly.aof');
    fs.writeFileSync(file, Buffer.concat([a, Buffer.from('*2\r\n$3\r\nDEL\r\n%1\r\na\r\n'), a]));
    const err = await attachPersistence(new StubCore({ dir, appendonly: true }), { logger: silent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistenceLoadError);
    expect((err as PersistenceLoadError).message).toContain(file);
    expect((err as PersistenceLoadError).offset).toBe(a.length);
    fs.writeFileSync(file, Buffer.concat([a, a.subarray(0, 7)]));
    const err2 = await attachPersistence(new StubCore({ dir, appendonly: true, aofLoadTruncated: false }), { logger: silent }).catch((e: unknown) => e);
    expect((err2 as PersistenceLoadError).offset).toBe(a.length);
  });

  it('refuses to start on a corrupt snapshot', async () => {
    const dir = tmpDir();
    const a = await boot({ dir });
    await a.client.set('x', 'y');
    await a.client.save();
    await shutdown(open[0]!);
    const f = path.join(dir, 'dump.sgdb');
    const buf = fs.readFileSync(f);
    buf[buf.length - 12] ^= 0xff;
    fs.writeFileSync(f, buf);
    await expect(attachPersistence(new StubCore({ dir }), { logger: silent })).rejects.toBeInstanceOf(PersistenceLoadError);
  });

  it('rewrites automatically when the AOF grew past min size and percentage', async () => {
    const dir = tmpDir();
    const a = await boot({ dir, appendonly: true }, { autoRewriteMinSize: 64 * 1024, autoRewritePercentage: 100 });
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => a.client.set(`k${i % 200}`, 'x'.repeat(50))));
    }
    await new Promise((r) => setTimeout(r, 50));
    await a.handle.rewriteRunning;
    const info = await a.client.info('persistence');
    const cur = Number(/aof_current_size:(\d+)/.exec(info)![1]);
    const base = Number(/aof_base_size:(\d+)/.exec(info)![1]);
    expect(base).toBeGreaterThan(0);
    expect(Number(/aof_rewrites:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(1);
    // settled: the trigger condition no longer holds
    expect(cur >= 64 * 1024 && cur >= 2 * base).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'appendonly.aof')).subarray(0, 4).toString()).toBe('SGDB');
  });
});
