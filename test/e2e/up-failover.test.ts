// `shardgate up` with built-in nodes turns on local failover for its own
// cluster: under write load through its proxy, kill -9 of one of its master
// nodes promotes that node's replica (a built-in node: REPLICAOF NO ONE)
// within down_after × heartbeat + one heartbeat + 1 s; keys keep their
// shard; the killed node, which `up` restarts after the failover, is made a
// replica of the promoted one; INFO, /events and SUBSCRIBE all tell.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/ports.js';
import { startShardgate, tmpDir, type Proc } from '../fixtures/procs.js';
import { command } from '../fixtures/resp-client.js';
import { collectEvents } from '../fixtures/admin.js';
import { until } from '../fixtures/until.js';
import { getMany, lostWrites, roleOf, shardsOfTags, SPREAD_TAGS, subscribeEvents, WriteLoad } from '../fixtures/failover.js';

// What `up` sets for its cluster (src/sentinel/local-cluster.ts).
const BOUND_MS = 3 * 500 + 500 + 1000;
const TAGS = SPREAD_TAGS;

let up: Proc | null = null;
const childPids: number[] = [];

afterAll(async () => {
  await up?.stop('SIGINT');
  for (const pid of childPids) { try { process.kill(pid, 'SIGKILL'); } catch { /* stopped by up */ } }
});

describe('shardgate up: failover of its built-in nodes', () => {
  it('kill -9 of a master node: its replica takes over, keys keep their shard, the node returns as a replica', async () => {
    const dir = tmpDir('shardgate-up-failover-');
    const offset = 1000;
    const masters: number[] = [];
    while (masters.length < 3) {
      const p = await freePort();
      if (p + offset < 65536 && !masters.includes(p)) masters.push(p);
    }
    const listen = await freePort();
    const admin = `127.0.0.1:${await freePort()}`;
    const conf = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(conf, [
      'alpha:', `  listen: 127.0.0.1:${listen}`, '  hash: fnv1a_64', '  hash_tag: "{}"', '  distribution: ketama', '  redis: true',
      '  auto_eject_hosts: true', '  timeout: 1000', '  servers:', ...masters.map((p) => `   - 127.0.0.1:${p}:1`), '',
    ].join('\n'));
    const data = path.join(dir, 'data');
    up = await startShardgate(['up', '-c', conf, '--backend', 'node', '--data', data, '--replica-offset', String(offset), '-s', '0', '--admin', admin], listen);
    await up.waitForOutput('ready:', 30_000);
    for (const m of up.output().matchAll(/127\.0\.0\.1:(\d+)\s+\(pid (\d+)/g)) childPids.push(Number(m[2]));
    const pidOf = (port: number) => Number(new RegExp(`127\\.0\\.0\\.1:${port}\\s+\\(pid (\\d+)`).exec(up!.output())![1]);
    await until('replicas in sync', async () => (await Promise.all(masters.map((m) => roleOf(m + offset)))).every((r) => r?.role === 'slave' && r.linkUp));

    const events = await collectEvents(admin);
    const { client: sub, events: pushed } = await subscribeEvents(listen);
    const shardOfTag = await shardsOfTags(listen, masters, TAGS);
    const victim = masters[0]!;
    const promoted = victim + offset;
    const tags = new Set(TAGS.filter((t) => shardOfTag.get(t) === 0));
    const load = new WriteLoad(listen, TAGS);
    await load.start();
    await new Promise((r) => setTimeout(r, 700));
    const killedAt = Date.now();
    process.kill(pidOf(victim), 'SIGKILL');
    await until('writes to the killed node\'s shard resume', () => {
      const o = load.outage(tags, killedAt);
      return o.resumed !== null && o.lastError !== null && Date.now() - o.resumed > 300;
    }, 15_000).catch((err: Error) => { throw new Error(`${err.message}; up's output:\n${up!.output().slice(-3000)}`); });
    const o = load.outage(tags, killedAt);
    expect(o.resumed! - killedAt).toBeLessThanOrEqual(BOUND_MS);
    expect((await roleOf(promoted))?.role).toBe('master');
    const missing = await lostWrites(load, tags, killedAt, promoted);
    const acked = load.records.filter((r) => r.ok && tags.has(r.tag) && r.at < killedAt);
    for (const m of missing) expect(killedAt - m.at).toBeLessThan(1500);
    // `up` restarts the killed node (after its replica took over) with its data (AOF), as a master: the proxy makes it a replica of the promoted node.
    await up.waitForOutput('is back and listening', 10_000);
    await until('the old master is a replica of the promoted node', async () => {
      const r = await roleOf(victim);
      return r?.role === 'slave' && r.masterPort === promoted && r.linkUp;
    }, 15_000);
    await load.stop();
    const late = load.records.filter((r) => r.ok && r.at > o.resumed!);
    const current = [promoted, masters[1]!, masters[2]!];
    for (let i = 0; i < 3; i++) {
      const mine = late.filter((r) => shardOfTag.get(r.tag) === i).slice(-300);
      expect(mine.length).toBeGreaterThan(0);
      expect(await getMany(current[i]!, mine.map((r) => r.key))).toEqual(mine.map((r) => Buffer.from(r.key)));
    }
    const info = String(await command(listen, 'INFO', 'pool'));
    expect(info).toContain(`label=127.0.0.1:${victim},address=127.0.0.1:${promoted},status=up`);
    const f = events.events.find((e) => e.type === 'failover')?.data;
    expect(f).toMatchObject({ pool: 'alpha', old_address: `127.0.0.1:${victim}`, new_address: `127.0.0.1:${promoted}`, mode: 'local' });
    expect(pushed.find((e) => e.type === 'failover')).toMatchObject({ old_address: f.old_address, new_address: f.new_address, ring_version: f.ring_version });
    events.close();
    sub.close();
    process.stdout.write(`[failover up/built-in nodes] resumed after ${o.resumed! - killedAt} ms (bound ${BOUND_MS}); ${o.errors} errors; `
      + `${missing.length} of ${acked.length} acknowledged writes to the shard lost\n`);
  }, 90_000);
});
