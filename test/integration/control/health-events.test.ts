// Health apart from the ring, seen by a user: with auto_eject_hosts, a
// redis-server killed under traffic is taken out after server_failure_limit
// failures — a node_down event, a ring_changed event (reason health) with a
// new version on GET /ring, INFO and the stats port saying so — and put back
// after server_retry_timeout once it answers again (node_up, another version).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStats } from '../../fixtures/cluster.js';
import { freePort } from '../../fixtures/ports.js';
import { startProcess, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { adminRequest, collectEvents } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';

let redis: Proc[];
let proxy: Proc;
let port: number;
let statsPort: number;
let admin: string;

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2].map(() => startRedis()));
  port = await freePort();
  statsPort = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  const conf = path.join(tmpDir('shardgate-health-'), 'proxy.yaml');
  fs.writeFileSync(conf, ['alpha:', `  listen: 127.0.0.1:${port}`, '  hash: md5', '  redis: true', '  timeout: 500', '  auto_eject_hosts: true',
    '  server_failure_limit: 2', '  server_retry_timeout: 1500', '  servers:', ...redis.map((r, i) => `    - 127.0.0.1:${r.port}:1 s${i}`), ''].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', String(statsPort), '-a', '127.0.0.1'], port);
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('a server killed and brought back', () => {
  it('is ejected with node_down and a new ring version, and returns with node_up', async () => {
    const events = await collectEvents(admin);
    const victim = redis[1]!;
    await victim.stop('SIGKILL');
    // Traffic over every server finds the dead one.
    const c = await RespClient.connect(port);
    await until('node_down on /events', async () => {
      for (let i = 0; i < 20; i++) c.send(['GET', `key:${i}`]);
      for (let i = 0; i < 20; i++) await c.nextRaw();
      return events.events.some((e) => e.type === 'node_down');
    }, 10_000);
    const down = events.events.find((e) => e.type === 'node_down')!;
    expect(down.data).toMatchObject({ pool: 'alpha', server: 's1', address: `127.0.0.1:${victim.port}` });
    const ringDown = events.events.find((e) => e.type === 'ring_changed')!;
    expect(ringDown.data).toMatchObject({ pool: 'alpha', old_version: 1, new_version: 2, removed: ['s1'], reason: 'health' });
    const ring = (await adminRequest(admin, 'GET', '/ring')).body.pools.alpha;
    expect(ring.version).toBe(2);
    expect(ring.servers.map((s: any) => s.live)).toEqual([true, false, true]);
    // The data plane says the same: INFO and the nutcracker stats port.
    const info = String(await c.call(['INFO', 'pool']));
    expect(info).toContain('servers_live:2');
    expect(info).toContain('ring_version:2');
    expect(info).toMatch(/label=s1,address=[^,]+,status=ejected/);
    const stats = await readStats(statsPort);
    expect(stats.alpha.server_ejects).toBe(1);
    expect(stats.alpha.s1.server_ejected_at).toBeGreaterThan(0);
    // Requests now go to the live servers only: no error.
    for (let i = 0; i < 50; i++) c.send(['SET', `after:${i}`, 'v']);
    for (let i = 0; i < 50; i++) expect((await c.nextRaw()).toString()).toBe('+OK\r\n');

    // Back on the same port: after the retry timeout it is in the ring again.
    const back = await startProcess('redis-server', ['--port', String(victim.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { port: victim.port });
    redis[1] = back;
    await until('node_up on /events', () => events.events.some((e) => e.type === 'node_up'), 10_000);
    expect(events.events.find((e) => e.type === 'node_up')!.data).toMatchObject({ pool: 'alpha', server: 's1' });
    await until('ring version 3 with s1 live', async () => {
      const r = (await adminRequest(admin, 'GET', '/ring')).body.pools.alpha;
      return r.version === 3 && r.servers[1].live === true;
    });
    expect(String(await c.call(['INFO', 'pool']))).toContain('servers_live:3');
    c.close();
    events.close();
  }, 60_000);
});
