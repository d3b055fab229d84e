// MigrationWalker when a source has no MIGRATE: redis-server with MIGRATE
// renamed away, and our built-in node (`shardgate node`, while it has none).
// The walk falls back to DUMP / PTTL / RESTORE / DEL, still never overwrites
// an owner's key (BUSYKEY), and flags the moves as not atomic. Also: between a
// redis-server and a built-in node no value moves (the payload formats differ),
// and every such key stays on its source, counted as an error.
import { describe, expect, it } from 'vitest';
import { MigrationWalker, type WalkServer } from '../../../src/migration/walker.js';
import { RedisConnection, RespError } from '../../../src/redis/connection.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, type Proc } from '../../fixtures/procs.js';
import { changedOwners, connectAll, expectAllOnOwners, fill, makeItems, ringOwner, walkServer } from './walk-fixtures.js';

async function startNode(): Promise<Proc> {
  const port = await freePort();
  return startShardgate(['node', '--port', String(port), '--save', ''], port);
}

/** Whether the server at port knows MIGRATE (probed with a key that does not exist). */
async function hasMigrate(port: number): Promise<boolean> {
  const c = new RedisConnection({ host: '127.0.0.1', port });
  await c.connect();
  const r = await c.command(['MIGRATE', '127.0.0.1', 1, 'no-such-key', 0, 100]);
  await c.close();
  return !(r instanceof RespError && /unknown command/i.test(r.message));
}

async function walkAndCheck(procs: Proc[], expectNonAtomic: boolean): Promise<void> {
  const servers = procs.map((p) => walkServer(p.port));
  const conns = await connectAll(servers);
  const items = makeItems(3000, 'nomig');
  const before = ringOwner(servers.slice(0, 3), 'md5');
  const after = ringOwner(servers, 'md5');
  await fill(items, servers, conns, before);
  const changed = changedOwners(items, before, after);
  const rewritten = changed.filter((it) => it.kind === 'string').slice(0, 10);
  const idx = (s: WalkServer) => servers.findIndex((x) => x.name === s.name);
  for (const it of rewritten) await conns[idx(after(it.key)!)].command(['SET', it.key, 'newer']);

  const end = await new MigrationWalker({ pool: 'p', sources: servers, ownerOf: after, ratePerSec: 0, scanCount: 100 }, () => {}).start();
  expect(end, end.lastError ?? '').toMatchObject({ state: 'done', moved: changed.length - 10, busy: 10, errors: 0, missing: 0 });
  if (expectNonAtomic) {
    expect(end.nonAtomic).toBe(end.moved);
    expect(end.lastError).toMatch(/has no MIGRATE .*not atomic/);
  } else {
    expect(end.nonAtomic).toBe(0);
  }
  for (const it of rewritten) {
    expect((await conns[idx(after(it.key)!)].command(['GET', it.key]))?.toString()).toBe('newer');
    expect(await conns[idx(before(it.key)!)].command(['EXISTS', it.key])).toBe(0);
  }
  await expectAllOnOwners(items, servers, conns, after, new Set(rewritten.map((it) => it.key.toString())));
  await Promise.all(conns.map((c) => c.close()));
}

describe('MigrationWalker without MIGRATE on the sources', () => {
  it('redis-server with MIGRATE renamed away: DUMP / RESTORE / DEL, flagged not atomic', async () => {
    const procs = await Promise.all([0, 1, 2, 3].map(() => startRedis(['--rename-command', 'MIGRATE', ''])));
    expect(await hasMigrate(procs[0].port)).toBe(false);
    await walkAndCheck(procs, true);
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('built-in nodes (node → node): every key ends on its owner; DUMP path flagged when the node has no MIGRATE', async () => {
    const procs = await Promise.all([0, 1, 2, 3].map(() => startNode()));
    await walkAndCheck(procs, !(await hasMigrate(procs[0].port)));
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('redis-server → built-in node: the node refuses redis-server payloads; the keys stay on the source as errors', async () => {
    const procs = [...await Promise.all([0, 1, 2].map(() => startRedis())), await startNode()];
    const servers = procs.map((p) => walkServer(p.port));
    const conns = await connectAll(servers);
    const items = makeItems(1000, 'mixed');
    const before = ringOwner(servers.slice(0, 3), 'md5');
    const after = ringOwner(servers, 'md5');
    await fill(items, servers, conns, before);
    const toNode = changedOwners(items, before, after);
    const end = await new MigrationWalker({ pool: 'p', sources: servers, ownerOf: after, ratePerSec: 0 }, () => {}).start();
    expect(end).toMatchObject({ state: 'done', moved: 0, misplaced: toNode.length, errors: toNode.length });
    expect(end.lastError).toMatch(/Target instance replied with error/);
    await expectAllOnOwners(items, servers, conns, before);
    await Promise.all(conns.map((c) => c.close()));
    await Promise.all(procs.map((p) => p.stop()));
  });
});
