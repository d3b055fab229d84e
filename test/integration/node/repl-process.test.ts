// Replication between real `shardgate node` processes: a replica catches up
// (full sync of 50k keys while writes continue) and serves reads, WAIT,
// promotion with REPLICAOF NO ONE, reconnect after the master restarts.
// Needs the built CLI (npm run build; the test setup stops with that message otherwise).
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { until } from '../../fixtures/until.js';

const procs: Proc[] = [];
const clients: Redis[] = [];

async function startNode(extra: string[] = [], port?: number): Promise<{ proc: Proc; client: Redis; port: number }> {
  const p = port ?? await freePort();
  const proc = await startShardgate(['node', '--port', String(p), '--dir', tmpDir(), ...extra], p);
  procs.push(proc);
  const client = new Redis({ port: p, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  clients.push(client);
  return { proc, client, port: p };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
});

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function caughtUp(m: Redis, r: Redis): Promise<boolean> {
  const [mi, ri] = [await m.info('replication'), await r.info('replication')];
  return field(ri, 'master_link_status') === 'up' && field(ri, 'slave_repl_offset') === field(mi, 'master_repl_offset');
}

async function allKeys(c: Redis): Promise<Map<string, string | null>> {
  const keys: string[] = [];
  let cursor = '0';
  do { const [n, ks] = await c.scan(cursor, 'COUNT', 5000); cursor = n; keys.push(...ks); } while (cursor !== '0');
  keys.sort();
  const out = new Map<string, string | null>();
  for (let i = 0; i < keys.length; i += 5000) {
    const part = keys.slice(i, i + 5000);
    const vals = await c.mget(...part);
    part.forEach((k, j) => out.set(k, vals[j]!));
  }
  return out;
}

describe('replication between shardgate node processes', () => {
  it('a replica catches up with a full sync of 50k keys while writes continue, then serves reads', async () => {
    const m = await startNode();
    const pipe = m.client.pipeline();
    for (let i = 0; i < 50_000; i++) pipe.set(`key:${i}`, `value-${i}`);
    await pipe.exec();
    const r = await startNode();
    let writing = true;
    let during = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await m.client.set(`key:${i % 60_000}`, `w${i}`);
        if (i % 5 === 0) await m.client.del(`key:${(i * 7) % 50_000}`);
        during++;
      }
    })();
    const t0 = Date.now();
    expect(await r.client.replicaof('127.0.0.1', String(m.port))).toBe('OK');
    await until('link up', async () => field(await r.client.info('replication'), 'master_link_status') === 'up', 30_000, 50);
    const syncMs = Date.now() - t0;
    await new Promise((res) => setTimeout(res, 300));
    writing = false;
    await writer;
    await until('caught up', () => caughtUp(m.client, r.client), 30_000, 50);
    expect(during).toBeGreaterThan(0);
    const [mk, rk] = [await allKeys(m.client), await allKeys(r.client)];
    expect(rk.size).toBe(mk.size);
    expect(rk).toEqual(mk);
    await expect(r.client.set('x', '1')).rejects.toThrow(/READONLY/);
    const mi = await m.client.info('replication');
    expect(field(mi, 'connected_slaves')).toBe('1');
    expect(field(mi, 'slave0')).toMatch(new RegExp(`port=${r.port},state=online,offset=\\d+,lag=\\d+`));
    console.log(`[full sync] 50k keys, link up after ${syncMs} ms, ${during} writes during sync`);
  });

  it('authenticates to a master with requirepass using masterauth', async () => {
    const mp = await freePort();
    const m = await startShardgate(['node', '--port', String(mp), '--dir', tmpDir(), '--requirepass', 's3cret'], mp);
    procs.push(m);
    const mc = new Redis({ port: mp, password: 's3cret', maxRetriesPerRequest: 1 });
    clients.push(mc);
    await mc.set('secret-key', 'v');
    const r = await startNode(['--masterauth', 's3cret', '--replicaof', `127.0.0.1 ${mp}`]);
    await until('replicated', async () => (await r.client.get('secret-key')) === 'v', 30_000, 50);
    const wrong = await startNode(['--masterauth', 'nope', '--replicaof', `127.0.0.1 ${mp}`]);
    await new Promise((res) => setTimeout(res, 500));
    expect(field(await wrong.client.info('replication'), 'master_link_status')).toBe('down');
    expect(await wrong.client.get('secret-key')).toBeNull();
  });

  it('--replicaof at start, WAIT, reconnect after the master restarts, promotion with REPLICAOF NO ONE', async () => {
    const m = await startNode();
    const r = await startNode(['--replicaof', `127.0.0.1 ${m.port}`]);
    await until('online', async () => /slave0:.*state=online/.test(await m.client.info('replication')), 30_000, 50);
    await m.client.set('a', '1');
    expect(await m.client.wait(1, 5000)).toBe(1);
    expect(await r.client.get('a')).toBe('1');
    // master goes away: replica keeps serving stale data, reconnects when it is back
    await m.proc.stop('SIGKILL');
    await until('link down', async () => field(await r.client.info('replication'), 'master_link_status') === 'down', 30_000, 50);
    expect(await r.client.get('a')).toBe('1');
    const m2 = await startNode([], m.port);
    await m2.client.set('b', '2');
    await until('replica follows the restarted master', async () => (await r.client.get('b')) === '2', 30_000, 50);
    // promotion
    expect(await r.client.replicaof('NO', 'ONE')).toBe('OK');
    expect(field(await r.client.info('replication'), 'role')).toBe('master');
    expect(await r.client.set('c', '3')).toBe('OK');
    expect(await r.client.get('b')).toBe('2');
    const role = await r.client.call('role') as unknown[];
    expect(role[0]).toBe('master');
  });
});
