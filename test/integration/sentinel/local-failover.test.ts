// `failover: local` against real redis-servers: three masters with a replica
// each behind the real CLI's proxy, four clients writing through it. Each
// round kill -9s the current master of one shard and checks: writes to that
// shard resume within down_after × heartbeat_ms + one heartbeat + 1 s; every
// key stays on its shard (its tag's keys land on the node that is now that
// shard's master); acknowledged writes lost are only ones acknowledged just
// before the kill; the killed node, restarted, is made a replica of the new
// master (never a second master); /events and a client SUBSCRIBEd to
// __shardgate__:events through the proxy both carried the failover; INFO
// shows the new address. A pool without replicas ejects a dead server and
// takes it back when heartbeats see it answer, not after server_retry_timeout.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { command, type RespClient } from '../../fixtures/resp-client.js';
import { adminRequest, collectEvents, type EventLog } from '../../fixtures/admin.js';
import { metric, readMetrics } from '../../fixtures/metrics.js';
import { until } from '../../fixtures/until.js';
import { getMany, killMaster, median, roleOf, shardsOfTags, SPREAD_TAGS, startMastersWithReplicas, startRedisOn, subscribeEvents, WriteLoad } from '../../fixtures/failover.js';

const HEARTBEAT_MS = 250;
const DOWN_AFTER = 3;
const BOUND_MS = DOWN_AFTER * HEARTBEAT_MS + HEARTBEAT_MS + 1000;
const SHARDS = ['shard-a', 'shard-b', 'shard-c'];
const TAGS = SPREAD_TAGS;

/** port -> the process on it (a killed node is restarted on its port) */
const nodes = new Map<number, Proc>();
let masters: number[];
let replicas: number[];
let proxy: Proc;
let port: number;
let admin: string;
let events: EventLog;
let subscriber: RespClient;
let pushed: any[] = [];

beforeAll(async () => {
  const { masters: m, replicas: r } = await startMastersWithReplicas(SHARDS.length);
  for (const p of [...m, ...r]) nodes.set(p.port, p);
  masters = m.map((x) => x.port);
  replicas = r.map((x) => x.port);
  port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  const dir = tmpDir('shardgate-failover-');
  const conf = path.join(dir, 'proxy.yaml');
  fs.writeFileSync(conf, [
    'cache:', `  listen: 127.0.0.1:${port}`, '  hash: fnv1a_64', '  hash_tag: "{}"', '  distribution: ketama', '  redis: true', '  timeout: 1000',
    '  servers:', ...SHARDS.map((s, i) => `    - 127.0.0.1:${masters[i]}:1 ${s}`),
    '  shardgate:', '    replicas:', ...SHARDS.map((s, i) => `      ${s}: [127.0.0.1:${replicas[i]}]`),
    '    sentinel:', `      heartbeat_ms: ${HEARTBEAT_MS}`, `      down_after: ${DOWN_AFTER}`, '      failover: local',
    'shardgate:', '  watch: false', '',
  ].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', '0'], port, { SHARDGATE_LOG_LEVEL: 'info' });
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
  events = await collectEvents(admin);
  ({ client: subscriber, events: pushed } = await subscribeEvents(port));
});

afterAll(async () => {
  events?.close();
  subscriber?.close();
  await proxy?.stop();
  await Promise.all([...nodes.values()].map((n) => n.stop()));
});

/** Which port holds `{tag}:probe` now: the tag's shard's master. */
async function holderOf(tag: string, ports: number[]): Promise<number[]> {
  const have = await Promise.all(ports.map(async (p) => (await command(p, 'EXISTS', `{${tag}}:probe`)) === 1));
  return ports.filter((_, i) => have[i]);
}

describe('failover: local with redis-server', () => {
  it('kill -9 of a master: writes resume within the bound on the promoted replica, keys keep their shard, the old master returns as a replica', async () => {
    // Which shard each tag lives on: probe keys through the proxy, found on exactly one master.
    const shardOfTag = await shardsOfTags(port, masters, TAGS);
    /** current master port per shard */
    const current = [...masters];
    const standby = [...replicas];
    const times: number[] = [];
    const lost: number[] = [];
    const lagBytes: number[] = [];
    const oldestLostMs: number[] = [];
    let lastResume = 0;
    const errorsPerRound: number[] = [];
    const load = new WriteLoad(port, TAGS);
    await load.start();
    for (const round of [0, 1, 2, 0, 1]) {
      await new Promise((r) => setTimeout(r, 700));
      const victim = current[round]!;
      const promoted = standby[round]!;
      const tags = new Set(TAGS.filter((t) => shardOfTag.get(t) === round));
      const k = await killMaster({ load, tags, victim: nodes.get(victim)!, promoted, timeoutMs: 15_000, describe: () => `proxy output:\n${proxy.output().slice(-3000)}` });
      times.push(k.failoverMs);
      lastResume = k.killedAt + k.failoverMs;
      errorsPerRound.push(k.errors);
      lagBytes.push(k.lagBytes);
      expect(k.failoverMs).toBeLessThanOrEqual(BOUND_MS);
      // The replica was promoted; the proxy routes the shard there.
      expect((await roleOf(promoted))?.role).toBe('master');
      // Acknowledged writes to the shard that are gone: only the last moments before the kill (asynchronous replication).
      lost.push(k.lost.length);
      oldestLostMs.push(k.lost.length === 0 ? 0 : k.killedAt - Math.min(...k.lost.map((m) => m.at)));
      for (const m of k.lost) expect(k.killedAt - m.at).toBeLessThan(1000);
      // The old master comes back (empty, on its port) and is made a replica of the new master.
      nodes.set(victim, await startRedisOn(victim));
      await until(`${victim} made a replica of ${promoted}`, async () => {
        const r = await roleOf(victim);
        return r?.role === 'slave' && r.masterPort === promoted && r.linkUp;
      }, 10_000);
      current[round] = promoted;
      standby[round] = victim;
    }
    await load.stop();
    // No key changed shard: every tag's keys are on its shard's current master (and only there).
    for (const t of TAGS) expect(await holderOf(t, current)).toEqual([current[shardOfTag.get(t)!]]);
    const late = load.records.filter((r) => r.ok && r.at > lastResume).slice(-300);
    expect(late.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const mine = late.filter((r) => shardOfTag.get(r.tag) === i);
      expect(await getMany(current[i]!, mine.map((r) => r.key))).toEqual(mine.map((r) => Buffer.from(r.key)));
    }
    // INFO through the proxy: the new addresses, every server up.
    const info = String(await command(port, 'INFO', 'pool'));
    for (let i = 0; i < 3; i++) expect(info).toContain(`label=${SHARDS[i]},address=127.0.0.1:${current[i]},status=up`);
    expect(info).toContain('servers_live:3');
    // GET /ring shows where each server is now.
    const ring = (await adminRequest(admin, 'GET', '/ring')).body.pools.cache;
    expect(ring.servers.map((s: any) => s.address)).toEqual(current.map((p) => `127.0.0.1:${p}`));
    // Both channels carried every failover, with the old and the new address.
    const failovers = events.events.filter((e) => e.type === 'failover').map((e) => e.data);
    expect(failovers).toHaveLength(5);
    expect(failovers.map((f) => f.mode)).toEqual(Array(5).fill('local'));
    expect(pushed.filter((e) => e.type === 'failover').map((e) => [e.server, e.old_address, e.new_address]))
      .toEqual(failovers.map((f) => [f.server, f.old_address, f.new_address]));
    expect(events.events.filter((e) => e.type === 'ring_changed' && e.data.reason === 'failover')).toHaveLength(5);
    // /metrics counts them per server (rounds 0,1,2,0,1: shard-a 2, shard-b 2, shard-c 1), as the events name them.
    const samples = await readMetrics(admin);
    const perServer = new Map<string, number>();
    for (const f of failovers) perServer.set(f.server, (perServer.get(f.server) ?? 0) + 1);
    for (const name of SHARDS) expect(metric(samples, 'shardgate_failovers_total', { pool: 'cache', server: name })).toBe(perServer.get(name) ?? 0);
    expect(metric(samples, 'shardgate_failovers_total')).toBe(5);
    expect(metric(samples, 'shardgate_events_total', { type: 'failover' })).toBe(5);
    process.stdout.write(`[failover local/redis-server] times ms: ${times.join(', ')} (median ${median(times)}, worst ${Math.max(...times)}, bound ${BOUND_MS}); `
      + `errors per round: ${errorsPerRound.join(', ')}; acknowledged writes lost per round: ${lost.join(', ')} (acknowledged up to ${oldestLostMs.join(', ')} ms before the kill; replica behind by ${lagBytes.join(', ')} bytes just before it) of ${load.records.filter((r) => r.ok).length} acknowledged\n`);
  }, 120_000);
});
