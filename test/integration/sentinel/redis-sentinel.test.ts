// `failover: redis-sentinel` with three real redis-sentinel processes
// watching three redis-server masters (a replica each). One sentinel is
// killed first; then, under write load through the real CLI's proxy, each
// shard's master is killed -9 in turn. The two sentinels left agree
// (quorum 2), promote a replica and announce +switch-master; the proxy
// follows: that shard's writes succeed again on the promoted replica, keys
// keep their shard, the old master (restarted) is turned into a replica by
// Sentinel, and /events plus a SUBSCRIBEd client carried each failover with
// mode 'redis-sentinel'.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startProcess, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { command, type RespClient } from '../../fixtures/resp-client.js';
import { adminRequest, collectEvents, type EventLog } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';
import { getMany, killMaster, median, roleOf, shardsOfTags, SPREAD_TAGS, startMastersWithReplicas, startRedisOn, subscribeEvents, WriteLoad } from '../../fixtures/failover.js';

const SHARDS = ['shard-a', 'shard-b', 'shard-c'];
const SENTINEL_DOWN_AFTER_MS = 1000;
/** Sentinel retries a failover whose election failed (split votes) after 2 × this: kept short so one retry fits the bound */
const SENTINEL_FAILOVER_TIMEOUT_MS = 3000;
const TAGS = SPREAD_TAGS;

const nodes = new Map<number, Proc>();
let masters: number[];
let replicas: number[];
let sentinels: Proc[];
let proxy: Proc;
let port: number;
let admin: string;
let events: EventLog;
let subscriber: RespClient;
let pushed: any[] = [];
let conf: string;

async function startSentinel(monitored: number[]): Promise<Proc> {
  const p = await freePort();
  const dir = tmpDir('shardgate-sentinel-');
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, [
    `port ${p}`, 'bind 127.0.0.1', 'daemonize no', `dir ${dir}`,
    ...SHARDS.flatMap((s, i) => [
      `sentinel monitor ${s} 127.0.0.1 ${monitored[i]} 2`,
      `sentinel down-after-milliseconds ${s} ${SENTINEL_DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${s} ${SENTINEL_FAILOVER_TIMEOUT_MS}`,
      `sentinel parallel-syncs ${s} 1`,
    ]), '',
  ].join('\n'));
  return startProcess(process.env.REDIS_SENTINEL_BIN ?? 'redis-sentinel', [conf], { port: p });
}

async function sentinelField(port: number, name: string, field: string): Promise<string | null> {
  const r = await command(port, 'SENTINEL', 'MASTER', name).catch(() => null);
  if (!Array.isArray(r)) return null;
  for (let i = 0; i + 1 < r.length; i += 2) if (String(r[i]) === field) return String(r[i + 1]);
  return null;
}

beforeAll(async () => {
  const { masters: m, replicas: r } = await startMastersWithReplicas(SHARDS.length);
  for (const p of [...m, ...r]) nodes.set(p.port, p);
  masters = m.map((x) => x.port);
  replicas = r.map((x) => x.port);
  sentinels = await Promise.all([0, 1, 2].map(() => startSentinel(masters)));
  // Each sentinel knows the other two and every replica before anything is killed.
  await until('the sentinels know each other and the replicas', async () => {
    for (const s of sentinels) for (const name of SHARDS) {
      if (await sentinelField(s.port, name, 'num-other-sentinels') !== '2') return false;
      if (await sentinelField(s.port, name, 'num-slaves') !== '1') return false;
    }
    return true;
  }, 30_000, 200);
  port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  conf = path.join(tmpDir('shardgate-rs-'), 'proxy.yaml');
  fs.writeFileSync(conf, [
    'cache:', `  listen: 127.0.0.1:${port}`, '  hash: fnv1a_64', '  hash_tag: "{}"', '  distribution: ketama', '  redis: true', '  timeout: 1000',
    '  servers:', ...SHARDS.map((s, i) => `    - 127.0.0.1:${masters[i]}:1 ${s}`),
    '  shardgate:', '    replicas:', ...SHARDS.map((s, i) => `      ${s}: [127.0.0.1:${replicas[i]}]`),
    '    sentinel:', '      heartbeat_ms: 250', '      down_after: 3', '      failover: redis-sentinel',
    `      sentinels: [${sentinels.map((s) => `127.0.0.1:${s.port}`).join(', ')}]`,
    'shardgate:', '  watch: false', '',
  ].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', '0'], port, { SHARDGATE_LOG_LEVEL: 'info' });
  await until('the proxy follows all three sentinels', async () => (await adminRequest(admin, 'GET', '/sentinel').catch(() => null))?.body.pools.cache.sentinels_connected === 3);
  events = await collectEvents(admin);
  ({ client: subscriber, events: pushed } = await subscribeEvents(port));
}, 90_000);

afterAll(async () => {
  events?.close();
  subscriber?.close();
  await proxy?.stop();
  await Promise.all((sentinels ?? []).map((s) => s.stop()));
  await Promise.all([...nodes.values()].map((n) => n.stop()));
});

describe('failover: redis-sentinel with three real sentinels', () => {
  it('one sentinel killed first, then each master killed -9: the proxy follows +switch-master, keys keep their shard', async () => {
    const shardOfTag = await shardsOfTags(port, masters, TAGS);
    await sentinels[0]!.stop('SIGKILL');
    await until('the proxy noticed the sentinel is gone', async () => (await adminRequest(admin, 'GET', '/sentinel').catch(() => null))?.body.pools.cache.sentinels_connected === 2);
    const load = new WriteLoad(port, TAGS);
    await load.start();
    const times: number[] = [];
    const lost: number[] = [];
    const lagBytes: number[] = [];
    const oldestLostMs: number[] = [];
    const errors: number[] = [];
    const current = [...masters];
    for (const round of [0, 1, 2]) {
      await new Promise((r) => setTimeout(r, 700));
      const victim = current[round]!;
      const promoted = replicas[round]!;
      const tags = new Set(TAGS.filter((t) => shardOfTag.get(t) === round));
      const k = await killMaster({ load, tags, victim: nodes.get(victim)!, promoted, timeoutMs: 30_000, describe: () => `proxy output:\n${proxy.output().slice(-3000)}` });
      times.push(k.failoverMs);
      errors.push(k.errors);
      lagBytes.push(k.lagBytes);
      // Sentinel's own timing: down-after, agreement, election, promotion (a generous bound; the figures are printed).
      // One failed election (split votes) costs 2 × failover-timeout before Sentinel tries again: allowed once.
      expect(k.failoverMs).toBeLessThan(SENTINEL_DOWN_AFTER_MS + 2 * SENTINEL_FAILOVER_TIMEOUT_MS + 9000);
      expect((await roleOf(promoted))?.role).toBe('master');
      lost.push(k.lost.length);
      oldestLostMs.push(k.lost.length === 0 ? 0 : k.killedAt - Math.min(...k.lost.map((m) => m.at)));
      for (const m of k.lost) expect(k.killedAt - m.at).toBeLessThan(1000);
      // The old master comes back; Sentinel (not the proxy) makes it a replica of the promoted one.
      nodes.set(victim, await startRedisOn(victim));
      await until(`Sentinel made ${victim} a replica of ${promoted}`, async () => {
        const r = await roleOf(victim);
        return r?.role === 'slave' && r.masterPort === promoted;
      }, 30_000, 200);
      current[round] = promoted;
    }
    await load.stop();
    const late = load.records.filter((r) => r.ok).slice(-300);
    for (let i = 0; i < 3; i++) {
      const mine = late.filter((r) => shardOfTag.get(r.tag) === i);
      expect(await getMany(current[i]!, mine.map((r) => r.key))).toEqual(mine.map((r) => Buffer.from(r.key)));
    }
    const ring = (await adminRequest(admin, 'GET', '/ring')).body.pools.cache;
    expect(ring.servers.map((s: any) => s.address)).toEqual(current.map((p) => `127.0.0.1:${p}`));
    const failovers = events.events.filter((e) => e.type === 'failover').map((e) => e.data);
    expect(failovers.map((f) => [f.server, f.old_address, f.new_address, f.mode]))
      .toEqual(SHARDS.map((s, i) => [s, `127.0.0.1:${masters[i]}`, `127.0.0.1:${replicas[i]}`, 'redis-sentinel']));
    expect(pushed.filter((e) => e.type === 'failover').map((e) => e.new_address)).toEqual(failovers.map((f) => f.new_address));
    process.stdout.write(`[failover redis-sentinel] times ms: ${times.join(', ')} (median ${median(times)}, worst ${Math.max(...times)}; Sentinel down-after ${SENTINEL_DOWN_AFTER_MS} ms); `
      + `errors per round: ${errors.join(', ')}; acknowledged writes lost per round: ${lost.join(', ')} (acknowledged up to ${oldestLostMs.join(', ')} ms before the kill; replica behind by ${lagBytes.join(', ')} bytes just before it)\n`);
  }, 180_000);

  it('a proxy started after the failovers, with the old masters in its file, finds the current masters from Sentinel', async () => {
    await proxy.stop();
    admin = `127.0.0.1:${await freePort()}`;
    proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', '0'], port);
    await until('the ring shows where Sentinel says the masters are', async () => {
      const r = await adminRequest(admin, 'GET', '/ring').catch(() => null);
      return JSON.stringify(r?.body?.pools?.cache?.servers?.map((s: any) => s.address)) === JSON.stringify(replicas.map((p) => `127.0.0.1:${p}`));
    }, 10_000);
    // Writes go to the current masters, none to the old ones (now replicas: they would refuse).
    for (const t of TAGS) expect(await command(port, 'SET', `{${t}}:restart`, 'x')).toBe('OK');
  });
});
