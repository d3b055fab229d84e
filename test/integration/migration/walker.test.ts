// MigrationWalker against real redis-servers: a 3 → 4 server ring change
// moves exactly the keys whose owner changed (values, types and expiry kept,
// each key on its owner only), BUSYKEY keeps the owner's newer copy and drops
// the stale one, the rate limit holds, stop() stops and a new start() walks
// afresh, an unreachable source fails the walk with a clear lastError.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MigrationWalker, type WalkPlan, type WalkProgress, type WalkServer } from '../../../src/migration/walker.js';
import path from 'node:path';
import { RedisConnection } from '../../../src/redis/connection.js';
import { serverHashName } from '../../../src/ring/index.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, tmpDir, type Proc } from '../../fixtures/procs.js';
import { changedOwners, connectAll, expectAllOnOwners, fill, makeItems, ringOwner, walkServer } from './walk-fixtures.js';

describe('MigrationWalker (redis-server, no auth)', () => {
  let procs: Proc[];
  let servers: WalkServer[];
  let conns: RedisConnection[];
  const old3 = () => servers.slice(0, 3);

  beforeAll(async () => {
    procs = await Promise.all([0, 1, 2, 3].map(() => startRedis()));
    servers = procs.map((p) => walkServer(p.port));
    conns = await connectAll(servers);
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    await Promise.all(procs.map((p) => p.stop()));
  });
  beforeEach(async () => { await Promise.all(conns.map((c) => c.command(['FLUSHALL']))); });

  function plan(ownerOf: WalkPlan['ownerOf'], extra: Partial<WalkPlan> = {}): WalkPlan {
    return { pool: 'alpha', sources: servers, ownerOf, ratePerSec: 0, ...extra };
  }

  it('3 → 4 servers (ketama md5): 30k keys of four types end on their new owner only, expiry kept; moved = keys whose owner changed', async () => {
    const items = makeItems(30_000);
    const before = ringOwner(old3(), 'md5');
    const after = ringOwner(servers, 'md5');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).length;
    expect(changed / items.length).toBeGreaterThan(0.2);
    expect(changed / items.length).toBeLessThan(0.3);

    const events: WalkProgress[] = [];
    const walker = new MigrationWalker(plan(after), (p) => events.push(p));
    expect(walker.progress().state).toBe('idle');
    const t0 = performance.now();
    const end = await walker.start();
    const secs = (performance.now() - t0) / 1000;
    console.log(`[walk] moved ${end.moved} of ${items.length} keys in ${secs.toFixed(2)} s: ${Math.round(end.moved / secs)} keys/s unlimited`);

    expect(end, end.lastError ?? '').toMatchObject({ pool: 'alpha', state: 'done', moved: changed, misplaced: changed, busy: 0, missing: 0, errors: 0, nonAtomic: 0, totalKeys: items.length, lastError: null });
    expect(end.scanned).toBeGreaterThanOrEqual(items.length);
    expect(end.startedAt).not.toBeNull();
    expect(Date.parse(end.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(end.startedAt!));
    expect(walker.progress()).toEqual(end);
    // Events: a running one first, the final one last, and not more than ~4 per second plus start/end.
    expect(events[0].state).toBe('running');
    expect(events.at(-1)).toEqual(end);
    expect(events.length).toBeLessThanOrEqual(4 + Math.ceil(secs * 4) + 1);
    const dbsizes = await Promise.all(conns.map((c) => c.command(['DBSIZE'])));
    expect((dbsizes as number[]).reduce((a, b) => a + b, 0)).toBe(items.length);
    await expectAllOnOwners(items, servers, conns, after);
  });

  it('a key written on its new owner after the change (BUSYKEY) keeps the new value; the stale copy is deleted', async () => {
    const items = makeItems(3000, 'busy');
    const before = ringOwner(old3(), 'fnv1a_64');
    const after = ringOwner(servers, 'fnv1a_64');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after);
    const rewritten = changed.filter((it) => it.kind === 'string').slice(0, 25);
    expect(rewritten.length).toBe(25);
    const idx = (s: WalkServer) => servers.findIndex((x) => x.name === s.name);
    for (const it of rewritten) expect(await conns[idx(after(it.key)!)].command(['SET', it.key, 'written-after-change'])).toBe('OK');

    const end = await new MigrationWalker(plan(after, { scanCount: 50 }), () => {}).start();
    expect(end, end.lastError ?? '').toMatchObject({ state: 'done', busy: 25, moved: changed.length - 25, misplaced: changed.length, errors: 0, missing: 0 });
    for (const it of rewritten) {
      expect((await conns[idx(after(it.key)!)].command(['GET', it.key]))?.toString()).toBe('written-after-change');
      expect(await conns[idx(before(it.key)!)].command(['EXISTS', it.key])).toBe(0);
    }
    await expectAllOnOwners(items, servers, conns, after, new Set(rewritten.map((it) => it.key.toString())));
  });

  it('deletes (old owner first, then new) and writes (new owner) racing the walk: no deleted key comes back, no write is overwritten', async () => {
    const items = makeItems(8000, 'race');
    const before = ringOwner(old3(), 'md5');
    const after = ringOwner(servers, 'md5');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).filter((it) => it.kind === 'string');
    const idx = (s: WalkServer) => servers.findIndex((x) => x.name === s.name);
    const deleted = changed.filter((_, i) => i % 3 === 0);
    const written = changed.filter((_, i) => i % 3 === 1);
    const walker = new MigrationWalker(plan(after, { ratePerSec: 3000, scanCount: 50 }), () => {});
    const run = walker.start();
    // As the proxy does after the change, spread over the walk: DEL on the old owner, then on the new one; SET on the new one.
    const racing = (async () => {
      for (let i = 0; i < Math.max(deleted.length, written.length); i++) {
        const d = deleted[i];
        const w = written[i];
        await Promise.all([
          d && (async () => { await conns[idx(before(d.key)!)].command(['DEL', d.key]); await conns[idx(after(d.key)!)].command(['DEL', d.key]); })(),
          w && conns[idx(after(w.key)!)].command(['SET', w.key, 'after-change']),
        ]);
        if (i % 4 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const [end] = await Promise.all([run, racing]);
    expect(end.state).toBe('done');
    expect(end.errors).toBe(0);
    for (const it of deleted) {
      expect(await Promise.all(conns.map((c) => c.command(['EXISTS', it.key]))), `${it.key} deleted`).toEqual([0, 0, 0, 0]);
    }
    for (const it of written) {
      expect((await conns[idx(after(it.key)!)].command(['GET', it.key]))?.toString(), String(it.key)).toBe('after-change');
      expect(await conns[idx(before(it.key)!)].command(['EXISTS', it.key])).toBe(0);
    }
    expect(end.moved + end.busy + end.missing).toBe(end.misplaced);
    // The race really interleaved: some touched keys were moved before their touch (moved counts them beside the
    // untouched misplaced keys), and some were touched first (busy, missing, or deleted before SCAN reached them).
    const allChanged = changedOwners(items, before, after).length;
    const touchedCount = deleted.length + written.length;
    expect(end.moved - (allChanged - touchedCount), 'touched keys moved before their touch').toBeGreaterThan(0);
    expect(allChanged - end.misplaced + end.busy + end.missing, 'touched keys touched before their move').toBeGreaterThan(0);
    const touched = new Set([...deleted, ...written].map((it) => it.key.toString()));
    await expectAllOnOwners(items, servers, conns, after, touched);
  }, 60_000);

  it('a removed server (a previous source) is emptied into the remaining ones', async () => {
    const items = makeItems(4000, 'rm');
    const before = ringOwner(servers, 'md5');
    const after = ringOwner(old3(), 'md5');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).length;
    const end = await new MigrationWalker(plan(after), () => {}).start();
    expect(end, end.lastError ?? '').toMatchObject({ state: 'done', moved: changed, errors: 0 });
    expect(await conns[3].command(['DBSIZE'])).toBe(0);
    await expectAllOnOwners(items, servers, conns, after);
  });

  it('ratePerSec 1000 moving ~5000 keys takes at least ~4.9 s', async () => {
    const before = ringOwner(old3(), 'md5');
    const after = ringOwner(servers, 'md5');
    // Just enough items for 5000 owner changes (the share varies with the servers' ports, which name them).
    const all = makeItems(40_000, 'rate');
    let n = 0;
    for (let moving = 0; moving < 5000; n++) if (before(all[n].key)!.name !== after(all[n].key)!.name) moving++;
    const items = all.slice(0, n);
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).length;
    expect(changed).toBe(5000);
    const t0 = performance.now();
    const end = await new MigrationWalker(plan(after, { ratePerSec: 1000 }), () => {}).start();
    const ms = performance.now() - t0;
    expect(end, end.lastError ?? '').toMatchObject({ state: 'done', moved: changed });
    // The bucket starts with a tenth of a second's worth (100 keys).
    expect(ms).toBeGreaterThanOrEqual(((changed - 100) / 1000) * 1000 - 50);
    expect(ms).toBeLessThan((changed / 1000) * 1000 + 5000);
  }, 60_000);

  it('stop() ends the walk after the batch in flight; a new start() walks afresh and finishes the job', async () => {
    const items = makeItems(6000, 'stop');
    const before = ringOwner(old3(), 'md5');
    const after = ringOwner(servers, 'md5');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).length;
    const walker = new MigrationWalker(plan(after, { ratePerSec: 500 }), () => {});
    const run = walker.start();
    expect(walker.start()).toBe(run);
    await new Promise((r) => setTimeout(r, 600));
    walker.stop();
    const t0 = performance.now();
    const first = await run;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(first.state).toBe('stopped');
    expect(first.moved).toBeGreaterThan(0);
    expect(first.moved).toBeLessThan(changed);
    // Nothing lost or doubled: every key is on exactly one server.
    const dbsizes = (await Promise.all(conns.map((c) => c.command(['DBSIZE'])))) as number[];
    expect(dbsizes.reduce((a, b) => a + b, 0)).toBe(items.length);

    const second = await walker.start();
    expect(second, second.lastError ?? '').toMatchObject({ state: 'done', moved: changed - first.moved, misplaced: changed - first.moved, errors: 0 });
    await expectAllOnOwners(items, servers, conns, after);
  }, 60_000);

  it('a source that cannot be reached fails the walk with a lastError naming it; the reachable sources are still walked', async () => {
    const items = makeItems(2000, 'down');
    const before = ringOwner(old3(), 'md5');
    const after = ringOwner(servers, 'md5');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).length;
    const gone = walkServer(await freePort());
    const end = await new MigrationWalker({ ...plan(after), sources: [...servers, gone] }, () => {}).start();
    expect(end.state).toBe('failed');
    expect(gone.name).toBe(`127.0.0.1:${gone.port}`);
    expect(end.lastError).toContain(`source 127.0.0.1:${gone.port} unreachable`);
    expect(end.lastError).toContain('ECONNREFUSED');
    expect(end.moved).toBe(changed);
    await expectAllOnOwners(items, servers, conns, after);
  });

  it('an owner that is down: its keys stay on the source, counted as errors, and the walk is done', async () => {
    const items = makeItems(2000, 'ownerdown');
    const before = ringOwner(old3(), 'md5');
    const gone = walkServer(await freePort());
    const ring4 = [...old3(), gone];
    const after = ringOwner(ring4, 'md5');
    await fill(items, servers, conns, before);
    const toGone = changedOwners(items, before, after);
    expect(toGone.every((it) => after(it.key)!.name === gone.name)).toBe(true);
    const end = await new MigrationWalker({ ...plan(after), sources: old3() }, () => {}).start();
    expect(end, end.lastError ?? '').toMatchObject({ state: 'done', moved: 0, misplaced: toGone.length, errors: toGone.length });
    expect(end.lastError).toMatch(/IOERR/);
    await expectAllOnOwners(items, servers, conns, before);
  });
});

describe('MigrationWalker when a source connection drops mid-walk', () => {
  async function setup(n: number): Promise<{ procs: Proc[]; servers: WalkServer[]; conns: RedisConnection[]; items: ReturnType<typeof makeItems>; after: (k: Buffer) => WalkServer | null; changed: number }> {
    const procs = await Promise.all([0, 1, 2, 3].map(() => startRedis()));
    const servers = procs.map((p) => walkServer(p.port));
    const conns = await connectAll(servers);
    const items = makeItems(n, 'drop');
    const before = ringOwner(servers.slice(0, 3), 'md5');
    const after = ringOwner(servers, 'md5');
    await fill(items, servers, conns, before);
    return { procs, servers, conns, items, after, changed: changedOwners(items, before, after).length };
  }

  it('a killed connection (CLIENT KILL) is replaced, the SCAN resumes, and every key still ends on its owner', async () => {
    const { procs, servers, conns, items, after, changed } = await setup(8000);
    const walker = new MigrationWalker({ pool: 'alpha', sources: servers, ownerOf: after, ratePerSec: 2000 }, () => {});
    const run = walker.start();
    let killed = 0;
    await new Promise((r) => setTimeout(r, 400));
    for (const c of conns) {
      const list = ((await c.command(['CLIENT', 'LIST'])) as Buffer).toString();
      for (const line of list.split('\n').filter((l) => l.includes('name=shardgate-migrate-alpha '))) {
        killed += (await c.command(['CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)![1]])) as number;
      }
    }
    expect(killed, walker.progress().state).toBe(1);
    const end = await run;
    expect(end, end.lastError ?? '').toMatchObject({ state: 'done', errors: 0 });
    expect(end.lastError).toMatch(/connection lost mid-walk .*reconnecting/);
    expect(end.moved).toBeLessThanOrEqual(changed);
    expect(end.moved + end.missing).toBeGreaterThanOrEqual(changed);
    await expectAllOnOwners(items, servers, conns, after);
    await Promise.all(conns.map((c) => c.close()));
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('a source that dies mid-walk fails the walk, naming it', async () => {
    const { procs, servers, conns } = await setup(8000);
    const after = ringOwner(servers, 'md5');
    const run = new MigrationWalker({ pool: 'alpha', sources: servers, ownerOf: after, ratePerSec: 2000 }, () => {}).start();
    await new Promise((r) => setTimeout(r, 300));
    await procs[1].stop('SIGKILL');
    const end = await run;
    expect(end.state).toBe('failed');
    expect(end.lastError).toContain(`source ${servers[1].name} `);
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await Promise.all(procs.map((p) => p.stop()));
  });
});

describe('MigrationWalker and a unix-socket server', () => {
  it('is scanned as a source (its keys MIGRATE out), but as an owner it cannot be a MIGRATE target: its keys stay put as errors', async () => {
    const tcp = await Promise.all([0, 1].map(() => startRedis()));
    const sockPath = path.join(tmpDir('sg-walk-'), 'r.sock');
    const unixProc = await startRedis(['--unixsocket', sockPath, '--unixsocketperm', '700']);
    const unix: WalkServer = { name: serverHashName(sockPath, 0, 1, null), host: sockPath, port: 0, auth: null, db: 0 };
    const servers = [...tcp.map((p) => walkServer(p.port)), unix];
    const conns = [...await connectAll(servers.slice(0, 2)), new RedisConnection({ path: sockPath })];
    await conns[2].connect();
    const items = makeItems(3000, 'unix');
    // Before: all three servers; after: the two TCP ones, or the unix one and one TCP one.
    const before = ringOwner(servers, 'md5');
    const toTcp = ringOwner(servers.slice(0, 2), 'md5');
    await fill(items, servers, conns, before);
    const fromUnix = changedOwners(items, before, toTcp).length;
    const out = await new MigrationWalker({ pool: 'u', sources: servers, ownerOf: toTcp, ratePerSec: 0 }, () => {}).start();
    expect(out, out.lastError ?? '').toMatchObject({ state: 'done', moved: fromUnix, errors: 0 });
    expect(await conns[2].command(['DBSIZE'])).toBe(0);
    await expectAllOnOwners(items, servers, conns, toTcp);

    // Now server 1 leaves and the unix one is back: server 1's keys go to server 0 or (cannot) to the unix one.
    const toUnix = ringOwner([servers[0], unix], 'md5');
    const misplaced = changedOwners(items, toTcp, toUnix);
    const stuck = misplaced.filter((it) => toUnix(it.key)!.name === unix.name).length;
    expect(stuck).toBeGreaterThan(0);
    const back = await new MigrationWalker({ pool: 'u', sources: servers, ownerOf: toUnix, ratePerSec: 0 }, () => {}).start();
    expect(back, back.lastError ?? '').toMatchObject({ state: 'done', misplaced: misplaced.length, moved: misplaced.length - stuck, errors: stuck });
    expect(back.lastError).toContain(`${unix.name} listens on a unix socket (${sockPath}): it cannot be a MIGRATE target`);
    const where = (k: Buffer) => (toUnix(k)!.name === unix.name ? toTcp(k) : toUnix(k));
    await expectAllOnOwners(items, servers, conns, where);
    await Promise.all(conns.map((c) => c.close()));
    await Promise.all([...tcp, unixProc].map((p) => p.stop()));
  });
});

describe('MigrationWalker with requirepass on every server (MIGRATE … AUTH / AUTH2)', () => {
  it('moves every misplaced key, logging in with a password or an ACL user (pool name with a space: CLIENT SETNAME still accepted)', async () => {
    const procs = await Promise.all([0, 1, 2, 3].map(() => startRedis(['--requirepass', 'pw-123'])));
    const servers = procs.map((p, i) => walkServer(p.port, i % 2 === 0 ? { password: 'pw-123' } : { username: 'default', password: 'pw-123' }, 2));
    const conns = await connectAll(servers);
    const items = makeItems(5000, 'auth');
    const before = ringOwner(servers.slice(0, 3), 'fnv1a_64');
    const after = ringOwner(servers, 'fnv1a_64');
    await fill(items, servers, conns, before);
    const changed = changedOwners(items, before, after).length;
    const end = await new MigrationWalker({ pool: 'secure pool', sources: servers, ownerOf: after, ratePerSec: 0 }, () => {}).start();
    expect(end, end.lastError ?? '').toMatchObject({ state: 'done', moved: changed, errors: 0, busy: 0, lastError: null });
    await expectAllOnOwners(items, servers, conns, after);
    await Promise.all(conns.map((c) => c.close()));
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('a wrong password for a source fails the walk with EAUTH in lastError', async () => {
    const p = await startRedis(['--requirepass', 'right']);
    const s = walkServer(p.port, { password: 'wrong' });
    const end = await new MigrationWalker({ pool: 'x', sources: [s], ownerOf: () => s, ratePerSec: 0 }, () => {}).start();
    expect(end.state).toBe('failed');
    expect(end.lastError).toMatch(/unreachable: .*WRONGPASS/);
    await p.stop();
  });
});
