// Live reconfiguration under load: eight clients pipeline SET/GET through the
// real CLI's proxy to real redis-servers while its config changes 20 times —
// files replaced by rename, written in place, SIGHUP (with watching turned
// off by the file itself), PUT /config pushes, an invalid file and an empty
// file. No request fails, no client is dropped, every change is visible on
// GET /ring and on /events, and the last change really applies: new keys land
// on the server it added.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { adminRequest, collectEvents, type EventLog } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';

const TOKEN = 'reload-test-token';

interface Shape {
  servers: { port: number; weight: number }[];
  hashTag?: boolean;
  timeout?: number;
  serverConnections?: number;
  autoEject?: boolean;
  retry?: number;
  watch?: boolean;
  beta?: number | null;
}

let redis: Proc[];
let proxy: Proc;
let port: number;
let admin: string;
let dir: string;
let conf: string;
let betaPorts: number[];

function yaml(s: Shape): string {
  const lines = ['alpha:', `  listen: 127.0.0.1:${port}`, '  hash: md5', '  distribution: ketama', '  redis: true'];
  if (s.hashTag) lines.push('  hash_tag: "{}"');
  if (s.timeout !== undefined) lines.push(`  timeout: ${s.timeout}`);
  if (s.serverConnections !== undefined) lines.push(`  server_connections: ${s.serverConnections}`);
  if (s.autoEject !== undefined) lines.push(`  auto_eject_hosts: ${s.autoEject}`);
  if (s.retry !== undefined) lines.push(`  server_retry_timeout: ${s.retry}`);
  lines.push('  servers:', ...s.servers.map((x) => `    - 127.0.0.1:${x.port}:${x.weight}`));
  if (s.beta) lines.push('beta:', `  listen: 127.0.0.1:${s.beta}`, '  redis: true', '  servers:', `    - 127.0.0.1:${redis[0]!.port}:1`);
  lines.push('shardgate:', '  admin:', `    token: ${TOKEN}`, `  watch: ${s.watch ?? true}`);
  return `${lines.join('\n')}\n`;
}

function writeByRename(text: string): void {
  const tmp = path.join(dir, `.proxy.yaml.${process.hrtime.bigint()}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, conf);
}

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2, 3, 4].map(() => startRedis()));
  port = await freePort();
  const aport = await freePort();
  betaPorts = [await freePort(), await freePort()];
  admin = `127.0.0.1:${aport}`;
  dir = tmpDir('shardgate-reload-');
  conf = path.join(dir, 'proxy.yaml');
  fs.writeFileSync(conf, yaml({ servers: [0, 1, 2].map((i) => ({ port: redis[i]!.port, weight: 1 })) }));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', '0'], port);
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('reloading while clients pipeline', () => {
  it('applies 20 changes (rename, in-place, SIGHUP, PUT, invalid, empty) with no failed request and no dropped client', async () => {
    const events: EventLog = await collectEvents(admin);
    // Eight clients, each pipelining 16 SET/GET at a time, until the changes are done.
    let stop = false;
    const totals = { replies: 0, errors: [] as string[], dropped: 0 };
    const clients = await Promise.all(Array.from({ length: 8 }, () => RespClient.connect(port)));
    const loads = clients.map(async (c, ci) => {
      for (let round = 0; !stop; round++) {
        const n = 16;
        for (let i = 0; i < n; i++) c.send(i % 2 === 0 ? ['SET', `k:${ci}:${round}:${i}`, `v${i}`] : ['GET', `k:${ci}:${round}:${i - 1}`]);
        for (let i = 0; i < n; i++) {
          const r = await c.nextRaw(10_000).catch((e: Error) => Buffer.from(`-LOST ${e.message}\r\n`));
          totals.replies++;
          if (r[0] === 0x2d) totals.errors.push(r.toString().trim());
        }
      }
      if (c.closed) totals.dropped++;
    });

    const r0 = redis[0]!.port, r1 = redis[1]!.port, r2 = redis[2]!.port, r3 = redis[3]!.port, r4 = redis[4]!.port;
    const all = (ports: number[], w: Record<number, number> = {}) => ports.map((p) => ({ port: p, weight: w[p] ?? 1 }));
    type Change = { how: 'rename' | 'inplace' | 'sighup' | 'put' | 'invalid' | 'empty'; shape?: Shape };
    const changes: Change[] = [
      { how: 'rename', shape: { servers: all([r0, r1, r2, r3]) } },
      { how: 'inplace', shape: { servers: all([r0, r1, r2, r3], { [r0]: 2 }) } },
      { how: 'rename', shape: { servers: all([r0, r2, r3], { [r0]: 2 }) } },
      { how: 'put', shape: { servers: all([r0, r1, r2, r3], { [r0]: 2 }), timeout: 2000 } },
      { how: 'inplace', shape: { servers: all([r0, r1, r2, r3], { [r0]: 2 }), timeout: 2000, serverConnections: 2 } },
      { how: 'rename', shape: { servers: all([r0, r1, r2, r3], { [r0]: 2 }), timeout: 2000, serverConnections: 2, beta: betaPorts[0] } },
      { how: 'invalid' },
      { how: 'rename', shape: { servers: all([r0, r1, r2, r3], { [r0]: 2, [r2]: 3 }), timeout: 2000, serverConnections: 2, beta: betaPorts[0] } },
      { how: 'empty' },
      { how: 'inplace', shape: { servers: all([r0, r1, r2, r3], { [r2]: 3 }), timeout: 2000, beta: betaPorts[1], watch: false } },
      { how: 'sighup', shape: { servers: all([r0, r1, r2], { [r2]: 3 }), timeout: 2000, beta: betaPorts[1], watch: false } },
      { how: 'sighup', shape: { servers: all([r0, r1, r2, r3], { [r3]: 2 }), timeout: 2000, beta: betaPorts[1], watch: false } },
      { how: 'put', shape: { servers: all([r0, r1, r2, r3], { [r3]: 2 }), timeout: 2000 } },
      { how: 'rename', shape: { servers: all([r0, r1, r2, r3], { [r3]: 2 }), timeout: 2000, hashTag: true } },
      { how: 'inplace', shape: { servers: all([r0, r1, r2, r3], { [r3]: 2 }), timeout: 2000, hashTag: true, autoEject: true } },
      { how: 'put', shape: { servers: all([r0, r1, r2, r3], { [r3]: 2 }), timeout: 2000, hashTag: true, autoEject: true, retry: 1000 } },
      { how: 'rename', shape: { servers: all([r0, r1, r2, r3]), timeout: 2000, hashTag: true, autoEject: true, retry: 1000 } },
      { how: 'inplace', shape: { servers: all([r0, r1, r2, r3]), timeout: 1500, hashTag: true, autoEject: true, retry: 1000 } },
      { how: 'put', shape: { servers: all([r0, r1, r2, r3]), timeout: 1500, hashTag: true, serverConnections: 3 } },
      { how: 'rename', shape: { servers: all([r0, r1, r2, r3, r4]), timeout: 1500, hashTag: true } },
    ];
    expect(changes).toHaveLength(20);

    let applied = 0;
    let rejected = 0;
    for (const [i, ch] of changes.entries()) {
      // Before the last change (it adds r4) no key can be on r4.
      if (i === changes.length - 1) expect(await (await RespClient.connect(r4)).call(['DBSIZE'])).toBe(0);
      const before = events.events.length;
      const ring0 = (await adminRequest(admin, 'GET', '/ring')).body;
      const text = ch.shape ? yaml(ch.shape) : '';
      if (ch.how === 'rename') writeByRename(text);
      else if (ch.how === 'inplace') fs.writeFileSync(conf, text);
      else if (ch.how === 'sighup') { fs.writeFileSync(conf, text); process.kill(proxy.pid, 'SIGHUP'); }
      else if (ch.how === 'invalid') writeByRename(yaml({ servers: [{ port: r0, weight: 1 }] }).replace('hash: md5', 'hash: md55'));
      else if (ch.how === 'empty') fs.writeFileSync(conf, '');
      else {
        const unauth = await adminRequest(admin, 'PUT', '/config', text);
        expect(unauth.status).toBe(401);
        const r = await adminRequest(admin, 'PUT', '/config', text, TOKEN);
        expect(r.status, r.text).toBe(200);
        expect(r.body.changed).toBe(true);
      }
      const want = ch.how === 'invalid' || ch.how === 'empty' ? 'config_rejected' : 'config_applied';
      await until(`change ${i + 1} (${ch.how}) on /events`, () => events.events.slice(before).some((e) => e.type === want), 10_000);
      const ev = events.events.slice(before).find((e) => e.type === want)!;
      if (want === 'config_rejected') {
        rejected++;
        expect(ev.data.errors[0].message).toMatch(ch.how === 'empty' ? /empty/ : /cache|alpha\.hash|must be one of/);
        // The running config stays.
        expect((await adminRequest(admin, 'GET', '/ring')).body.generation).toBe(ring0.generation);
        continue;
      }
      applied++;
      expect(ev.data.source).toBe(ch.how === 'rename' || ch.how === 'inplace' ? 'file' : ch.how === 'sighup' ? 'sighup' : 'api');
      const ring = (await adminRequest(admin, 'GET', '/ring')).body;
      expect(ring.generation).toBeGreaterThan(ring0.generation);
      const servers = ring.pools.alpha.servers.map((s: any) => `${s.address}:${s.weight}`).sort();
      expect(servers).toEqual(ch.shape!.servers.map((s) => `127.0.0.1:${s.port}:${s.weight}`).sort());
      expect(ring.pools.alpha.hash_tag).toBe(ch.shape!.hashTag ? '{}' : null);
      expect(Object.keys(ring.pools).sort()).toEqual(ch.shape!.beta ? ['alpha', 'beta'] : ['alpha']);
      if (ch.shape!.beta) expect(ring.pools.beta.listen).toBe(`127.0.0.1:${ch.shape!.beta}`);
      // A server change bumps the pool's ring version and says so on the stream.
      const ringEvent = events.events.slice(before).find((e) => e.type === 'ring_changed' && e.data.pool === 'alpha');
      if (ringEvent) expect(ringEvent.data.new_version).toBe(ring.pools.alpha.version);
    }
    expect(applied).toBe(18);
    expect(rejected).toBe(2);

    // The last change applied: new keys reach the server it added.
    const c = await RespClient.connect(port);
    for (let i = 0; i < 200; i++) c.send(['SET', `after:${i}`, 'x']);
    for (let i = 0; i < 200; i++) expect((await c.nextRaw()).toString()).toBe('+OK\r\n');
    const onR4 = await (await RespClient.connect(r4)).call(['KEYS', 'after:*']) as unknown[];
    expect(onR4.length).toBeGreaterThan(10);

    stop = true;
    await Promise.all(loads);
    events.close();
    expect(totals.errors.slice(0, 5)).toEqual([]);
    expect(totals.dropped).toBe(0);
    expect(totals.replies).toBeGreaterThan(2000);
    for (const x of clients) expect(x.closed).toBe(false);
    // The proxy said, in its log, what each reload did.
    expect(proxy.output()).toContain('config applied (sighup)');
    expect(proxy.output()).toContain('config applied (api)');
  }, 120_000);
});
