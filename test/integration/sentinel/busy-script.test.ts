// A backend stuck in a Lua script, as Redis Sentinel handles it: heartbeats
// answered BUSY are misses, so the server goes down after down_after of them;
// the proxy then sends it one SCRIPT KILL. A script that has not written is
// stopped (its caller gets the kill error), the server answers again and is
// up. One pool over a real redis-server 7.0 and one over a `shardgate node`,
// the same scenario on both (busy-reply-threshold 100 ms by CONFIG SET).
// A script that wrote answers UNKILLABLE: the server stays down until the
// script ends by itself. Needs the built CLI (npm run build).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { adminRequest, collectEvents, type EventLog } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';
import { spinLua } from '../../fixtures/lua.js';

const HEARTBEAT_MS = 200;
const DOWN_AFTER = 3;
const THRESHOLD_MS = 100;
/** threshold, down_after misses one interval apart, the kill's round trip, and room for a loaded machine */
const BOUND_MS = THRESHOLD_MS + (DOWN_AFTER + 1) * HEARTBEAT_MS + 3000;
const LOOP = 'while true do end';
/** writes a key, then runs ~1.5 s by the server's own clock, then ends */
const WRITE_THEN_RUN = "redis.call('set', KEYS[1], 'x') " + spinLua(1_500_000) + "return 'done'";

const procs: Proc[] = [];
const clients: RespClient[] = [];
let servers: { redis: number; node: number };
let admin: string;
let events: EventLog;

beforeAll(async () => {
  const nodePort = await freePort();
  const [redis, node] = await Promise.all([
    startRedis(),
    startShardgate(['node', '--port', String(nodePort), '--loglevel', 'warn'], nodePort),
  ]);
  procs.push(redis, node);
  servers = { redis: redis.port, node: node.port };
  for (const port of Object.values(servers)) {
    const c = await RespClient.connect(port);
    expect(await c.call(['CONFIG', 'SET', 'busy-reply-threshold', String(THRESHOLD_MS)])).toBe('OK');
    c.close();
  }
  const pool = (name: string, server: number, listen: number): string[] => [
    `${name}:`, `  listen: 127.0.0.1:${listen}`, '  redis: true', '  timeout: 500', '  auto_eject_hosts: false',
    '  servers:', `    - 127.0.0.1:${server}:1 ${name}-0`,
    '  shardgate:', '    sentinel:', `      heartbeat_ms: ${HEARTBEAT_MS}`, `      down_after: ${DOWN_AFTER}`,
  ];
  const listen = { redis: await freePort(), node: await freePort() };
  admin = `127.0.0.1:${await freePort()}`;
  const conf = path.join(tmpDir('shardgate-busy-'), 'proxy.yaml');
  fs.writeFileSync(conf, [...pool('redis', servers.redis, listen.redis), ...pool('node', servers.node, listen.node), 'shardgate:', '  watch: false', ''].join('\n'));
  procs.push(await startShardgate(['proxy', '-c', conf, '--admin', admin], listen.redis));
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
  events = await collectEvents(admin);
}, 60_000);

afterAll(async () => {
  events?.close();
  for (const c of clients.splice(0)) c.close();
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
});

const downUp = (pool: string): string[] => events.events
  .filter((e) => e.data.pool === pool && (e.type === 'node_down' || e.type === 'node_up'))
  .map((e) => e.type);

describe('a backend busy in a script', () => {
  for (const side of ['redis', 'node'] as const) {
    it(`${side}: goes down on BUSY heartbeats, is sent SCRIPT KILL, and is up again once the script is stopped`, async () => {
      const c = await RespClient.connect(servers[side]);
      clients.push(c);
      const t0 = Date.now();
      const reply = await c.raw(['EVAL', LOOP, '0'], BOUND_MS + 5000);
      const killedAfter = Date.now() - t0;
      // stopped by the proxy's SCRIPT KILL (nothing else sends one)
      expect(reply.toString('latin1')).toMatch(/^-ERR .*Script killed by user with SCRIPT KILL/);
      expect(killedAfter).toBeGreaterThanOrEqual(THRESHOLD_MS + (DOWN_AFTER - 1) * HEARTBEAT_MS);
      expect(killedAfter).toBeLessThanOrEqual(BOUND_MS);
      await until(`${side} up again`, () => downUp(side).at(-1) === 'node_up', 10_000);
      expect(downUp(side)).toEqual(['node_down', 'node_up']);
      expect(await c.call(['PING'])).toBe('PONG');
    }, 30_000);
  }

  it('a script that wrote is not stopped (UNKILLABLE): the server stays down until the script ends, on both', async () => {
    const replies = await Promise.all((['redis', 'node'] as const).map(async (side) => {
      const c = await RespClient.connect(servers[side]);
      clients.push(c);
      const before = downUp(side).length;
      const reply = (await c.raw(['EVAL', WRITE_THEN_RUN, '1', 'busy:wrote'], 20_000)).toString('latin1');
      // the heartbeats saw it busy long enough to call it down, and a kill could not stop it
      await until(`${side} up again`, () => downUp(side).length >= before + 2, 10_000);
      return { reply, events: downUp(side).slice(before) };
    }));
    for (const r of replies) {
      expect(r.reply).toBe('$4\r\ndone\r\n');
      expect(r.events).toEqual(['node_down', 'node_up']);
    }
  }, 40_000);
});
