// The smart client through a master failover: three redis-server masters
// with a replica each behind a real `shardgate proxy` whose sentinel module
// runs `failover: local`; a client created from the proxy's admin API writes
// continuously (four loops of SET) to keys of every shard. The master of
// one shard is killed (kill -9 by pid). Checked: the client applies the
// failover as a 'ring' event whose server keeps its name and moves to the
// promoted replica's address (as GET /ring shows it), within the proxy's
// failover bound; serverFor() sends every key where it went before; the
// writes that failed are only that shard's, only ones started before the
// event, each a typed NodeError, and their number is bounded by the
// writers' pace over the outage (printed); every write started after the
// event succeeds and is read back from the promoted redis-server itself;
// the other shards saw no error at all.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, NodeError, type RingEvent, type ShardgateClient } from '../../../src/client/index.js';
import { freePort } from '../../fixtures/ports.js';
import { startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { adminRequest, collectEvents, waitForAdmin, type EventLog } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';
import { command } from '../../fixtures/resp-client.js';
import { getMany, roleOf, SPREAD_TAGS, startMastersWithReplicas } from '../../fixtures/failover.js';

const HEARTBEAT_MS = 250;
const DOWN_AFTER = 3;
/** the proxy's own bound (docs/failover.md), plus the client's one GET /ring at most */
const BOUND_MS = DOWN_AFTER * HEARTBEAT_MS + HEARTBEAT_MS + 1000 + 500;
const SHARDS = ['shard-a', 'shard-b', 'shard-c'];
const WRITERS = 4;
/** a writer's pause after a failed write */
const PAUSE_MS = 10;

let masters: Proc[] = [];
let replicas: Proc[] = [];
let proxy: Proc;
let admin: string;
let events: EventLog;

beforeAll(async () => {
  ({ masters, replicas } = await startMastersWithReplicas(SHARDS.length));
  const port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  const conf = path.join(tmpDir('shardgate-client-failover-'), 'proxy.yaml');
  fs.writeFileSync(conf, [
    'cache:', `  listen: 127.0.0.1:${port}`, '  hash: fnv1a_64', '  hash_tag: "{}"', '  distribution: ketama', '  redis: true', '  timeout: 1000',
    '  servers:', ...SHARDS.map((s, i) => `    - 127.0.0.1:${masters[i]!.port}:1 ${s}`),
    '  shardgate:', '    replicas:', ...SHARDS.map((s, i) => `      ${s}: [127.0.0.1:${replicas[i]!.port}]`),
    '    sentinel:', `      heartbeat_ms: ${HEARTBEAT_MS}`, `      down_after: ${DOWN_AFTER}`, '      failover: local',
    'shardgate:', '  watch: false', '',
  ].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', '0'], port);
  await waitForAdmin(admin);
  events = await collectEvents(admin);
}, 60_000);

afterAll(async () => {
  events?.close();
  await proxy?.stop();
  await Promise.all([...masters, ...replicas].map((n) => n.stop()));
});

interface Write { key: string; server: string; start: number; end: number; ok: boolean; error?: unknown }

/** WRITERS loops of SET `{tag}:n` over every tag, each write recorded with when it started and ended. */
function writeLoad(c: ShardgateClient, tags: readonly string[]): { writes: Write[]; stop(): Promise<void> } {
  const writes: Write[] = [];
  let stop = false;
  let seq = 0;
  const loop = async () => {
    while (!stop) {
      const key = `{${tags[seq % tags.length]}}:${seq++}`;
      const start = Date.now();
      const server = c.serverFor(key)!;
      try {
        const r = await c.set(key, key);
        writes.push({ key, server, start, end: Date.now(), ok: r === 'OK' });
      } catch (error) {
        writes.push({ key, server, start, end: Date.now(), ok: false, error });
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    }
  };
  const done = Array.from({ length: WRITERS }, loop);
  return { writes, stop: async () => { stop = true; await Promise.all(done); } };
}

describe('client through a failover', () => {
  it('kill -9 of a master: the client moves the server to the promoted replica on the event, errors only on that shard before it, writes after it land on the new master', async () => {
    const c = await createClient({ admin: `http://${admin}`, pool: 'cache', timeoutMs: 2000 });
    const ringEvents: (RingEvent & { at: number })[] = [];
    c.on('ring', (e) => ringEvents.push({ ...e, at: Date.now() }));
    c.on('error', () => { /* the event stream is not expected to drop; the assertions say what matters */ });
    const load = writeLoad(c, SPREAD_TAGS);
    try {
      expect(c.ring.servers.map((s) => [s.name, s.address])).toEqual(SHARDS.map((s, i) => [s, `127.0.0.1:${masters[i]!.port}`]));
      // every shard gets writes, before anything happens
      await until('writes to every shard', () => SHARDS.every((s) => load.writes.filter((w) => w.ok && w.server === s).length >= 20), 20_000);
      const victim = 1;
      const name = SHARDS[victim]!;
      const promoted = replicas[victim]!.port;
      const placementBefore = SPREAD_TAGS.map((t) => c.serverFor(`{${t}}:x`));
      const versionBefore = c.ring.version;
      // a subscription on the shard: after the failover it must be on the promoted node
      const channel = SPREAD_TAGS.map((t) => `{${t}}:ch`).find((ch) => c.serverFor(ch) === name)!;
      expect(channel).toBeDefined();
      const heard: string[] = [];
      await c.subscribe(channel, (m) => heard.push(m.message));

      const killedAt = Date.now();
      await masters[victim]!.stop('SIGKILL');
      await until(`a ring event moving ${name} to ${promoted}`,
        () => ringEvents.some((e) => e.servers.find((s) => s.name === name)?.address === `127.0.0.1:${promoted}`), 15_000);
      const event = ringEvents.find((e) => e.servers.find((s) => s.name === name)?.address === `127.0.0.1:${promoted}`)!;
      const eventAt = event.at;
      // writes go on after the event long enough to see them land
      const okAfter = () => load.writes.filter((w) => w.ok && w.server === name && w.start > eventAt).length;
      await until('writes to the failed-over shard after the event', () => okAfter() >= 50, 15_000);
      await load.stop();
      // the channel followed its server to the promoted node (renewed there; a message published before that is lost)
      await until('a message on the moved channel', async () => { await c.publish(channel, 'after'); return heard.includes('after'); }, 10_000, 100);
      expect(await command(promoted, 'PUBSUB', 'NUMSUB', channel)).toEqual([Buffer.from(channel), 1]);

      // the failover as the proxy announced it, and the client's ring agrees with GET /ring
      const failover = events.events.find((e) => e.type === 'failover')?.data;
      expect(failover).toMatchObject({ pool: 'cache', server: name, old_address: `127.0.0.1:${masters[victim]!.port}`, new_address: `127.0.0.1:${promoted}` });
      expect(event.version).toBe(failover.ring_version);
      // one change, applied once: the address taken from the failover event is what GET /ring then said (no second swap)
      expect(ringEvents.filter((e) => e.at >= killedAt)).toHaveLength(1);
      expect(event.oldVersion).toBeGreaterThanOrEqual(versionBefore);
      expect((await roleOf(promoted))?.role).toBe('master');
      const ring = (await adminRequest(admin, 'GET', '/ring?pool=cache')).body.pools.cache;
      expect(c.ring.servers.map((s) => [s.name, s.address])).toEqual(ring.servers.map((s: any) => [s.name, s.address]));
      // the server kept its name, so no key changed shard
      expect(SPREAD_TAGS.map((t) => c.serverFor(`{${t}}:x`))).toEqual(placementBefore);
      expect(eventAt - killedAt).toBeLessThanOrEqual(BOUND_MS);

      const failed = load.writes.filter((w) => !w.ok);
      // only the killed shard failed, and only writes started before the event
      expect(failed.filter((w) => w.server !== name)).toEqual([]);
      expect(failed.filter((w) => w.start > eventAt)).toEqual([]);
      expect(failed.filter((w) => w.start < killedAt - 50)).toEqual([]);
      for (const w of failed) {
        expect(w.error).toBeInstanceOf(NodeError);
        expect(['SG_ERR_BACKEND_DOWN', 'SG_ERR_BACKEND_CLOSED', 'SG_ERR_TIMEOUT']).toContain((w.error as NodeError).code);
        expect((w.error as NodeError).server).toBe(name);
      }
      // bounded: each writer fails at most once per pause over the outage, plus the write in flight at the kill (and one for clock rounding)
      const bound = WRITERS * (Math.ceil((eventAt - killedAt) / PAUSE_MS) + 2);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.length).toBeLessThanOrEqual(bound);
      // every write to the shard started after the event succeeded and is on the promoted redis-server
      const after = load.writes.filter((w) => w.server === name && w.start > eventAt);
      expect(after.every((w) => w.ok)).toBe(true);
      expect(await getMany(promoted, after.map((w) => w.key))).toEqual(after.map((w) => Buffer.from(w.key)));
      const codes = new Map<string, number>();
      for (const w of failed) codes.set((w.error as NodeError).code, (codes.get((w.error as NodeError).code) ?? 0) + 1);
      process.stdout.write(`[client failover] kill -> ring event ${eventAt - killedAt} ms (bound ${BOUND_MS}); failed writes ${failed.length} `
        + `(bound ${bound}; ${[...codes].map(([k, n]) => `${k} ${n}`).join(', ')}) of ${load.writes.length}; `
        + `${after.length} writes after the event, all on 127.0.0.1:${promoted}\n`);
    } finally {
      await load.stop();
      await c.quit();
    }
  }, 90_000);
});
