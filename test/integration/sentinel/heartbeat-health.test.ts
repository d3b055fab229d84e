// Heartbeats without replicas, and the truth in INFO and the stats port. Two
// pools behind one real proxy, each over three real redis-servers:
// - `ejecting` (auto_eject_hosts, server_retry_timeout 10 minutes): a killed
//   server is ejected after down_after missed heartbeats — its keys go to
//   the others, so writes succeed again — and comes back into the ring as
//   soon as heartbeats see it answer (restarted on its port), not after the
//   retry timeout, with node_down / node_up events.
// - `keeping` (no auto_eject): a killed server stays in the ring; INFO says
//   status=down and servers_live:2 while it is dead, forward_error counts the
//   requests that failed on it (INFO and the stats port agree), and it is
//   status=up again once it answers.
// - `passive` (heartbeats only every 60 s, down after 1 miss): a request that
//   fails on a killed server makes the proxy heartbeat it at once, so it is
//   ejected long before the next scheduled heartbeat.
// - `unsynced`: a master whose only replica never synced (it follows a port
//   where nothing listens) is not failed over when it dies — promoting an
//   empty replica would empty the shard; the server is shown down instead.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { command } from '../../fixtures/resp-client.js';
import { adminRequest, collectEvents, type EventLog } from '../../fixtures/admin.js';
import { readStats } from '../../fixtures/cluster.js';
import { until } from '../../fixtures/until.js';
import { roleOf, startRedisOn } from '../../fixtures/failover.js';

const HEARTBEAT_MS = 200;
const DOWN_AFTER = 3;
const BOUND_MS = DOWN_AFTER * HEARTBEAT_MS + HEARTBEAT_MS + 1000;

const nodes = new Map<number, Proc>();
let ejecting: number[];
let keeping: number[];
let proxy: Proc;
let ports: { ejecting: number; keeping: number; stats: number; unsynced: number; passive: number };
let passive: Proc[];
let unsynced: { master: Proc; replica: Proc };
let events: EventLog;

function poolLines(name: string, listen: number, servers: number[], autoEject: boolean): string[] {
  return [
    `${name}:`, `  listen: 127.0.0.1:${listen}`, '  hash: fnv1a_64', '  distribution: ketama', '  redis: true', '  timeout: 500',
    `  auto_eject_hosts: ${autoEject}`, '  server_retry_timeout: 600000', '  server_failure_limit: 1',
    '  servers:', ...servers.map((p, i) => `    - 127.0.0.1:${p}:1 ${name}-${i}`),
    '  shardgate:', '    sentinel:', `      heartbeat_ms: ${HEARTBEAT_MS}`, `      down_after: ${DOWN_AFTER}`, '      failover: local',
  ];
}

const info = async (port: number) => String(await command(port, 'INFO', 'all'));

beforeAll(async () => {
  const all = await Promise.all(Array.from({ length: 6 }, () => startRedis()));
  for (const p of all) nodes.set(p.port, p);
  ejecting = all.slice(0, 3).map((p) => p.port);
  keeping = all.slice(3).map((p) => p.port);
  ports = { ejecting: await freePort(), keeping: await freePort(), stats: await freePort(), unsynced: await freePort(), passive: await freePort() };
  passive = await Promise.all([0, 1].map(() => startRedis()));
  for (const p of passive) nodes.set(p.port, p);
  const passivePool = [
    'passive:', `  listen: 127.0.0.1:${ports.passive}`, '  redis: true', '  auto_eject_hosts: true', '  servers:', ...passive.map((p, i) => `    - 127.0.0.1:${p.port}:1 passive-${i}`),
    '  shardgate:', '    sentinel:', '      heartbeat_ms: 60000', '      down_after: 1',
  ];
  const um = await startRedis();
  unsynced = { master: um, replica: await startRedis(['--replicaof', '127.0.0.1', String(await freePort())]) };
  nodes.set(um.port, um);
  nodes.set(unsynced.replica.port, unsynced.replica);
  const unsyncedPool = [
    'unsynced:', `  listen: 127.0.0.1:${ports.unsynced}`, '  redis: true', '  servers:', `    - 127.0.0.1:${um.port}:1 lonely`,
    '  shardgate:', '    replicas:', `      lonely: [127.0.0.1:${unsynced.replica.port}]`, '    sentinel:', `      heartbeat_ms: ${HEARTBEAT_MS}`, `      down_after: ${DOWN_AFTER}`,
  ];
  const admin = `127.0.0.1:${await freePort()}`;
  const conf = path.join(tmpDir('shardgate-hb-'), 'proxy.yaml');
  fs.writeFileSync(conf, [...poolLines('ejecting', ports.ejecting, ejecting, true), ...poolLines('keeping', ports.keeping, keeping, false), ...unsyncedPool, ...passivePool, 'shardgate:', '  watch: false', ''].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', String(ports.stats), '-a', '127.0.0.1'], ports.ejecting);
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
  events = await collectEvents(admin);
});

afterAll(async () => {
  events?.close();
  await proxy?.stop();
  await Promise.all([...nodes.values()].map((n) => n.stop()));
});

/** SETs of `n` keys through the proxy; how many failed. */
async function writeKeys(port: number, prefix: string, n: number): Promise<number> {
  const r = await Promise.all(Array.from({ length: n }, (_, i) => command(port, 'SET', `${prefix}:${(i * 2654435761) % 1000003}`, 'v')));
  return r.filter((x) => x !== 'OK').length;
}

describe('heartbeats without replicas', () => {
  it('ejects a dead server after down_after misses and takes it back when it answers, not after server_retry_timeout', async () => {
    const victim = ejecting[1]!;
    const killedAt = Date.now();
    await nodes.get(victim)!.stop('SIGKILL');
    await until('ejected', async () => (await info(ports.ejecting)).includes('label=ejecting-1,address=127.0.0.1:' + victim + ',status=ejected'), 5000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(BOUND_MS);
    expect(await info(ports.ejecting)).toContain('servers_live:2');
    // Its keys are served by the others now (Twemproxy's ejection): every write succeeds.
    expect(await writeKeys(ports.ejecting, 'after-eject', 60)).toBe(0);
    nodes.set(victim, await startRedisOn(victim));
    const backAt = Date.now();
    await until('back in the ring', async () => (await info(ports.ejecting)).includes('label=ejecting-1,address=127.0.0.1:' + victim + ',status=up'), 5000);
    expect(Date.now() - backAt).toBeLessThanOrEqual(HEARTBEAT_MS * 2 + 1000);
    expect(await info(ports.ejecting)).toContain('servers_live:3');
    // Keys route to it again: some of a fresh batch land on it.
    expect(await writeKeys(ports.ejecting, 'after-return', 60)).toBe(0);
    expect(Number(await command(victim, 'DBSIZE'))).toBeGreaterThan(0);
    const mine = events.events.filter((e) => e.data.pool === 'ejecting').map((e) => `${e.type}:${e.data.reason ?? ''}`);
    expect(mine.some((e) => e.startsWith('node_down:') && e.includes('until heartbeats see it answer'))).toBe(true);
    expect(mine).toContain('node_up:');
    expect(mine.filter((e) => e.startsWith('ring_changed:health'))).toHaveLength(2);
  });

  it('without auto_eject the dead server stays in the ring; INFO and the stats port say it is down and count the failed requests', async () => {
    const victim = keeping[2]!;
    const before = (await readStats(ports.stats)).keeping.forward_error as number;
    await nodes.get(victim)!.stop('SIGKILL');
    await until('status=down', async () => (await info(ports.keeping)).includes('label=keeping-2,address=127.0.0.1:' + victim + ',status=down'), BOUND_MS + 1000);
    expect(await info(ports.keeping)).toContain('servers_live:2');
    // Its keys are not moved: writes to them fail, and are counted.
    const failed = await writeKeys(ports.keeping, 'while-down', 90);
    expect(failed).toBeGreaterThan(0);
    const i = await info(ports.keeping);
    const fe = Number(/forward_error:(\d+)/.exec(i)![1]);
    expect(fe - before).toBeGreaterThanOrEqual(failed);
    expect((await readStats(ports.stats)).keeping.forward_error).toBe(fe);
    nodes.set(victim, await startRedisOn(victim));
    await until('status=up', async () => (await info(ports.keeping)).includes('label=keeping-2,address=127.0.0.1:' + victim + ',status=up'), 5000);
    expect(await writeKeys(ports.keeping, 'after-return', 90)).toBe(0);
  });

  it('does not promote a replica that never synced: the server is shown down and nothing is promoted', async () => {
    await unsynced.master.stop('SIGKILL');
    await until('status=down', async () => (await info(ports.unsynced)).includes('label=lonely,address=127.0.0.1:' + unsynced.master.port + ',status=down'), BOUND_MS + 1000);
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 4));
    expect((await roleOf(unsynced.replica.port))?.role).toBe('slave');
    expect(events.events.filter((e) => e.type === 'failover' && e.data.pool === 'unsynced')).toEqual([]);
    expect(await info(ports.unsynced)).toContain('status=down');
  });

  it('a request failing on a dead server prompts a heartbeat at once (passive signal)', async () => {
    // The first heartbeat ran at start; the next scheduled one is a minute away.
    await new Promise((r) => setTimeout(r, 300));
    await passive[0]!.stop('SIGKILL');
    const at = Date.now();
    // Requests until one lands on the dead server and fails.
    for (let i = 0; i < 200 && (await writeKeys(ports.passive, `passive-${i}`, 5)) === 0; i++);
    await until('ejected', async () => (await info(ports.passive)).includes(`label=passive-0,address=127.0.0.1:${passive[0]!.port},status=ejected`), 2000);
    expect(Date.now() - at).toBeLessThan(2000);
  });
});
