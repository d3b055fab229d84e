// Replication against node cores in-process (contract-level stub core, real
// TCP links between master and replica): full sync under writes, the live
// stream, read-only replica, WAIT, ROLE / INFO fields, promotion, reconnect
// with partial resync.
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { attachReplication, type ReplicationHandle } from '../../../src/node/replication/index.js';
import { StubCore } from './repl-persist-stub-core.js';
import { until } from '../../fixtures/until.js';
import type { NodeOptions } from '../../../src/node/contracts.js';

const silent = pino({ level: 'silent' });
interface Node { core: StubCore; repl: ReplicationHandle; client: Redis; port: number }
const nodes: Node[] = [];

async function boot(opts: Partial<NodeOptions> = {}, port = 0): Promise<Node> {
  const core = new StubCore({ ...opts, port });
  const p = await core.listen();
  (core.options as { port: number }).port = p;
  const repl = attachReplication(core, { logger: silent });
  const client = new Redis({ port: p, maxRetriesPerRequest: 1 });
  const n = { core, repl, client, port: p };
  nodes.push(n);
  return n;
}

async function stop(n: Node): Promise<void> {
  n.client.disconnect();
  await n.repl.close();
  await n.core.close();
  nodes.splice(nodes.indexOf(n), 1);
}

afterEach(async () => { for (const n of [...nodes]) await stop(n); });

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

function contents(core: StubCore): Map<string, string> {
  return new Map([...core.keyspace.map].map(([k, v]) => [k, v.v.toString('latin1')]));
}

async function caughtUp(m: Node, r: Node): Promise<boolean> {
  const mi = await m.client.info('replication');
  const ri = await r.client.info('replication');
  return field(ri, 'master_link_status') === 'up' && field(ri, 'slave_repl_offset') === field(mi, 'master_repl_offset');
}

describe('replication in-process', () => {
  it('full sync of 50k keys while writes continue, then the live stream; replica is read-only', async () => {
    const m = await boot();
    const pipe = m.client.pipeline();
    for (let i = 0; i < 50_000; i++) pipe.set(`key:${i}`, `value-${i}`);
    await pipe.exec();
    const r = await boot();
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        await m.client.set(`key:${i % 60_000}`, `w${i}`);
        if (i % 7 === 0) await m.client.del(`key:${(i * 13) % 50_000}`);
        i++;
      }
      return i;
    })();
    expect(await r.client.replicaof('127.0.0.1', String(m.port))).toBe('OK');
    await until('replica link up', async () => field(await r.client.info('replication'), 'master_link_status') === 'up');
    writing = false;
    const wrote = await writer;
    expect(wrote).toBeGreaterThan(0);
    await until('replica caught up', () => caughtUp(m, r));
    expect(contents(r.core)).toEqual(contents(m.core));
    expect(await r.client.get('key:49999')).toBe(await m.client.get('key:49999'));
    await expect(r.client.set('x', '1')).rejects.toThrow(/READONLY/);
    const mi = await m.client.info('replication');
    expect(field(mi, 'role')).toBe('master');
    expect(field(mi, 'connected_slaves')).toBe('1');
    expect(field(mi, 'slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${r.port},state=online,offset=\\d+,lag=\\d+$`));
    const ri = await r.client.info('replication');
    expect([field(ri, 'role'), field(ri, 'master_host'), field(ri, 'master_port')]).toEqual(['slave', '127.0.0.1', String(m.port)]);
    expect(await r.client.call('role')).toEqual(['slave', '127.0.0.1', m.port, 'connected', Number(field(ri, 'slave_repl_offset'))]);
    const role = await m.client.call('role') as unknown[];
    expect(role[0]).toBe('master');
  });

  it('WAIT counts replicas that acknowledged the writes', async () => {
    const m = await boot();
    const r1 = await boot();
    const r2 = await boot();
    await r1.client.replicaof('127.0.0.1', String(m.port));
    await r2.client.replicaof('127.0.0.1', String(m.port));
    await until('2 replicas online', async () => /slave1:.*state=online/.test(await m.client.info('replication')));
    await m.client.set('a', '1');
    const t0 = Date.now();
    expect(await m.client.wait(2, 5000)).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await r1.client.get('a')).toBe('1');
    // a replica that is gone cannot acknowledge: WAIT times out with what it has
    await stop(r2);
    await until('1 replica left', async () => field(await m.client.info('replication'), 'connected_slaves') === '1');
    await m.client.set('b', '2');
    const t1 = Date.now();
    expect(await m.client.wait(2, 300)).toBe(1);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(290);
    await expect(r1.client.wait(1, 10)).rejects.toThrow(/replica/);
  });

  it('REPLICAOF NO ONE promotes: writable, keeps data, new replication id', async () => {
    const m = await boot();
    const r = await boot();
    for (let i = 0; i < 100; i++) await m.client.set(`k${i}`, String(i));
    await r.client.replicaof('127.0.0.1', String(m.port));
    await until('caught up', () => caughtUp(m, r));
    const oldId = field(await r.client.info('replication'), 'master_replid');
    expect(await r.client.replicaof('NO', 'ONE')).toBe('OK');
    const ri = await r.client.info('replication');
    expect(field(ri, 'role')).toBe('master');
    expect(field(ri, 'master_replid')).not.toBe(oldId);
    expect(field(ri, 'master_replid2')).toBe(oldId);
    expect(await r.client.set('new', 'x')).toBe('OK');
    expect(await r.client.dbsize()).toBe(101);
    await until('old master sees the replica leave', async () => field(await m.client.info('replication'), 'connected_slaves') === '0');
  });

  it('resyncs partially (+CONTINUE) after a dropped link, serves stale reads while the master is away', async () => {
    const m = await boot();
    const r = await boot();
    await m.client.set('a', '1');
    await r.client.replicaof('127.0.0.1', String(m.port));
    await until('caught up', () => caughtUp(m, r));
    m.core.dropConnections(); // like CLIENT KILL TYPE replica
    await m.client.set('b', '2'); // written while the link is down: must come from the backlog
    await until('resynced', async () => (await r.client.get('b')) === '2');
    const mi = await m.client.info('replication');
    expect([field(mi, 'sync_full'), field(mi, 'sync_partial_ok')]).toEqual(['1', '1']);
    await until('caught up again', () => caughtUp(m, r));
    const port = m.port;
    await stop(m);
    await until('link down', async () => field(await r.client.info('replication'), 'master_link_status') === 'down');
    expect(await r.client.get('a')).toBe('1');
    const m2 = await boot({}, port);
    await m2.client.set('c', '3');
    await until('synced with the new master', async () => (await r.client.get('c')) === '3');
    expect(await r.client.get('a')).toBeNull(); // full sync with the new (empty) master replaced the data
  });
});
