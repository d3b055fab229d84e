// INFO replication / INFO persistence / ROLE of `shardgate node` carry the
// fields a real redis-server (master + replica pair) shows, so monitors and
// sentinels that read Redis read us. The reference field lists are taken from
// real redis-server processes in the test, not written down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';

// fork / copy-on-write-page statistics have no meaning without fork()
const NO_FORK = /cow|fork|current_save_keys/;

const procs: Proc[] = [];
const clients: Redis[] = [];
let ref: { master: Redis; replica: Redis };
let ours: { master: Redis; replica: Redis };

function connect(port: number): Redis {
  const c = new Redis({ port, maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function linkUp(c: Redis): Promise<void> {
  const end = Date.now() + 20_000;
  while (!/master_link_status:up/.test(await c.info('replication'))) {
    if (Date.now() > end) throw new Error('replica link never came up');
    await new Promise((r) => setTimeout(r, 50));
  }
  // one more ack round so the master lists the replica as online
  await new Promise((r) => setTimeout(r, 1200));
}

function names(info: string): Set<string> {
  return new Set(info.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.split(':')[0]!.replace(/^slave\d+$/, 'slaveN')));
}

function slaveLineKeys(info: string): string[] {
  const line = /^slave0:(.*)$/m.exec(info)?.[1]?.trim() ?? '';
  return line.split(',').map((kv) => kv.split('=')[0]!);
}

beforeAll(async () => {
  const rm = await startRedis();
  procs.push(rm);
  const rr = await startRedis(['--replicaof', '127.0.0.1', String(rm.port)]);
  procs.push(rr);
  ref = { master: connect(rm.port), replica: connect(rr.port) };
  const mp = await freePort();
  procs.push(await startShardgate(['node', '--port', String(mp), '--dir', tmpDir()], mp));
  const rp = await freePort();
  procs.push(await startShardgate(['node', '--port', String(rp), '--dir', tmpDir(), '--replicaof', `127.0.0.1 ${mp}`], rp));
  ours = { master: connect(mp), replica: connect(rp) };
  await Promise.all([linkUp(ref.replica), linkUp(ours.replica)]);
});

afterAll(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const p of procs.splice(0)) await p.stop();
});

describe('INFO / ROLE field compatibility with redis-server', () => {
  for (const side of ['master', 'replica'] as const) {
    it(`INFO replication of a ${side} has every field redis-server shows`, async () => {
      const [r, o] = [await ref[side].info('replication'), await ours[side].info('replication')];
      const missing = [...names(r)].filter((n) => !names(o).has(n));
      expect(missing).toEqual([]);
      if (side === 'master') expect(slaveLineKeys(o)).toEqual(slaveLineKeys(r));
    });

    it(`ROLE of a ${side} has redis-server's shape`, async () => {
      const [r, o] = [await ref[side].call('role') as unknown[], await ours[side].call('role') as unknown[]];
      expect(o.length).toBe(r.length);
      expect(o.map((x) => typeof x)).toEqual(r.map((x) => typeof x));
      expect(o[0]).toBe(r[0]);
      if (side === 'replica') expect(o[3]).toBe(r[3]); // "connected"
    });
  }

  it('INFO persistence has every field redis-server shows (fork/COW statistics aside)', async () => {
    const [r, o] = [await ref.master.info('persistence'), await ours.master.info('persistence')];
    const missing = [...names(r)].filter((n) => !NO_FORK.test(n) && !names(o).has(n));
    expect(missing).toEqual([]);
  });
});
