// Failover under `-w 2`: the primary runs the heartbeats and decides, both
// workers follow its plan. Clients on both workers (told apart by INFO's
// process_id) SUBSCRIBE to __shardgate__:events and all get the failover;
// writes through both workers resume on the promoted replica within
// down_after × heartbeat_ms + one heartbeat + 1 s, and INFO on each worker
// shows the new address.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { command, decode, RespClient } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { SPREAD_TAGS, startMastersWithReplicas, subscribeEvents, WriteLoad } from '../../fixtures/failover.js';

const HEARTBEAT_MS = 250;
const BOUND_MS = 3 * HEARTBEAT_MS + HEARTBEAT_MS + 1000;
const TAGS = SPREAD_TAGS;

let nodes: Proc[] = [];
let proxy: Proc;
let port: number;

beforeAll(async () => {
  const { masters: m, replicas: r } = await startMastersWithReplicas(2);
  nodes = [...m, ...r];
  port = await freePort();
  const conf = path.join(tmpDir('shardgate-wfo-'), 'proxy.yaml');
  fs.writeFileSync(conf, [
    'cache:', `  listen: 127.0.0.1:${port}`, '  hash: fnv1a_64', '  hash_tag: "{}"', '  redis: true', '  timeout: 1000',
    '  servers:', `    - 127.0.0.1:${m[0]!.port}:1 a`, `    - 127.0.0.1:${m[1]!.port}:1 b`,
    '  shardgate:', '    replicas:', `      a: [127.0.0.1:${r[0]!.port}]`, `      b: [127.0.0.1:${r[1]!.port}]`,
    '    sentinel:', `      heartbeat_ms: ${HEARTBEAT_MS}`, '      down_after: 3', '      failover: local', '',
  ].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '-w', '2', '-s', '0'], port);
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('failover under -w 2', () => {
  it('one process decides, both workers follow, subscribed clients on both workers are told', async () => {
    const subs: { pid: string; client: RespClient; got: any[] }[] = [];
    // Connections go round-robin to the workers that listen: until both do, they may all land on one.
    const deadline = Date.now() + 10_000;
    while (subs.length < 6 || new Set(subs.map((s) => s.pid)).size < 2) {
      if (Date.now() > deadline) throw new Error(`subscribers only on workers ${[...new Set(subs.map((s) => s.pid))]}`);
      const client = await RespClient.connect(port);
      const pid = /process_id:(\d+)/.exec(String(decode(await client.raw(['INFO', 'server']))))![1]!;
      subs.push({ pid, client, got: (await subscribeEvents(port, client)).events });
    }
    const [masterA, , replicaA] = nodes;
    const tagsA = new Set<string>();
    for (const t of TAGS) {
      expect(await command(port, 'SET', `{${t}}:probe`, '1')).toBe('OK');
      if ((await command(masterA!.port, 'EXISTS', `{${t}}:probe`)) === 1) tagsA.add(t);
    }
    expect(tagsA.size).toBeGreaterThan(0);
    const load = new WriteLoad(port, TAGS, 6);
    await load.start();
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await masterA!.stop('SIGKILL');
    await until('writes to shard a resume', () => {
      const o = load.outage(tagsA, killedAt);
      return o.resumed !== null && o.lastError !== null && Date.now() - o.resumed > 300;
    }, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    const o = load.outage(tagsA, killedAt);
    expect(o.resumed! - killedAt).toBeLessThanOrEqual(BOUND_MS);
    // Every writer (on either worker) succeeds at the end: no worker kept the old address.
    const tail = load.records.filter((r) => r.at > o.resumed! + 100);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.filter((r) => !r.ok)).toEqual([]);
    for (const s of subs) {
      await until(`subscriber on worker ${s.pid} told`, () => s.got.some((e) => e.type === 'failover'), 3000);
      expect(s.got.find((e) => e.type === 'failover')).toMatchObject({ server: 'a', old_address: `127.0.0.1:${masterA!.port}`, new_address: `127.0.0.1:${replicaA!.port}`, mode: 'local' });
      s.client.close();
    }
    // INFO on many connections (both workers) shows the new address.
    const pids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const text = String(await command(port, 'INFO', 'all'));
      pids.add(/process_id:(\d+)/.exec(text)![1]!);
      expect(text).toContain(`label=a,address=127.0.0.1:${replicaA!.port},status=up`);
    }
    expect(pids.size).toBe(2);
  }, 60_000);
});
