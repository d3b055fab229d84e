// The admin API of a real `shardgate proxy` in front of real redis-servers:
// the ring it shows, the config without secrets, pushes refused without the
// token or with an invalid body (and then nothing changes), what applies live
// and what needs a restart, reads behind the token with auth_reads; and the
// start-up errors a user meets: a setting that is not built yet, a listen
// address already taken.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { SHARDGATE_BIN, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { adminRequest, collectEvents } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { ketamaPointCount } from '../../../src/ring/ketama.js';

const TOKEN = 's3cr3t-admin';
let redis: Proc[];
let proxy: Proc;
let port: number;
let admin: string;
let conf: string;

function yaml(servers: string[], extra: string[] = [], top: string[] = []): string {
  return ['alpha:', `  listen: 127.0.0.1:${port}`, '  hash: md5', '  distribution: ketama', '  redis: true', '  redis_auth: backendpw',
    ...extra.map((e) => `  ${e}`), '  servers:', ...servers.map((s) => `    - ${s}`),
    'shardgate:', '  admin:', `    listen: ${admin}`, `    token: ${TOKEN}`, ...top, ''].join('\n');
}

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2].map(() => startRedis(['--requirepass', 'backendpw'])));
  port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  conf = path.join(tmpDir('shardgate-admin-'), 'proxy.yaml');
  fs.writeFileSync(conf, yaml([`127.0.0.1:${redis[0]!.port}:1 a`, `127.0.0.1:${redis[1]!.port}:2 b`]));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port);
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('admin API', () => {
  it('GET /ring: version, servers with address, weight, points and share', async () => {
    const r = await adminRequest(admin, 'GET', '/ring');
    expect(r.status).toBe(200);
    const pool = r.body.pools.alpha;
    expect(pool).toMatchObject({ version: 1, distribution: 'ketama', hash: 'md5' });
    expect(pool.servers.map((s: any) => [s.name, s.address, s.weight, s.live])).toEqual([
      ['a', `127.0.0.1:${redis[0]!.port}`, 1, true], ['b', `127.0.0.1:${redis[1]!.port}`, 2, true]]);
    // ketama: 160 points per server scaled by weight, shares that add up to the whole key space.
    expect([pool.servers[0].points, pool.servers[1].points]).toEqual([ketamaPointCount(1, 3, 2), ketamaPointCount(2, 3, 2)]);
    expect(pool.servers[1].points).toBeGreaterThan(pool.servers[0].points);
    expect(pool.servers[0].share + pool.servers[1].share).toBeCloseTo(1, 5);
  });

  it('GET /config shows the config in force without secrets', async () => {
    const r = await adminRequest(admin, 'GET', '/config');
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('backendpw');
    expect(r.text).not.toContain(TOKEN);
    expect(r.body.pools[0].redisAuth).toBe('(hidden)');
    const y = await adminRequest(admin, 'GET', '/config?format=yaml');
    expect(y.text).toContain('alpha:');
    expect(y.text).not.toContain('backendpw');
  });

  it('PUT /config without the token (or with a wrong one) is 401 and changes nothing', async () => {
    const before = (await adminRequest(admin, 'GET', '/ring')).body;
    const body = yaml([`127.0.0.1:${redis[2]!.port}:1 c`]);
    for (const token of [undefined, 'wrong']) {
      const r = await adminRequest(admin, 'PUT', '/config', body, token);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/Bearer/);
      expect(r.body.error.code).toBe('unauthorized');
    }
    expect((await adminRequest(admin, 'GET', '/ring')).body).toEqual(before);
  });

  it('PUT /config with an invalid body is 400 with file/line/key messages, and changes nothing', async () => {
    const before = (await adminRequest(admin, 'GET', '/ring')).body;
    const bad = yaml([`127.0.0.1:${redis[0]!.port}:0 a`]);
    const r = await adminRequest(admin, 'PUT', '/config', bad, TOKEN);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_config');
    expect(r.body.errors[0]).toMatchObject({ file: 'PUT /config', line: 8, key: 'alpha.servers[0]' });
    expect(r.body.errors[0].message).toMatch(/PUT \/config, line 8, key 'alpha.servers\[0\]': has a zero weight/);
    const pending = await adminRequest(admin, 'PUT', '/config', yaml([`127.0.0.1:${redis[0]!.port}:1 a`], [], ['  sentinel:', '    addresses: [127.0.0.1:26379]']), TOKEN);
    expect(pending.status).toBe(400);
    expect(pending.body.errors[0].message).toMatch(/'shardgate\.sentinel'.*not implemented yet/);
    expect((await adminRequest(admin, 'GET', '/ring')).body).toEqual(before);
  });

  it('PUT /config applies atomically and says what applied live and what needs a restart', async () => {
    const events = await collectEvents(admin);
    const body = yaml([`127.0.0.1:${redis[0]!.port}:1 a`, `127.0.0.1:${redis[1]!.port}:2 b`, `127.0.0.1:${redis[2]!.port}:1 c`], [], ['  workers: 2']);
    const r = await adminRequest(admin, 'PUT', '/config', body, TOKEN);
    expect(r.status, r.text).toBe(200);
    expect(r.body.versions).toEqual({ alpha: 2 });
    expect(r.body.live).toEqual(['pool alpha: servers added: c']);
    expect(r.body.restart[0]).toMatch(/shardgate\.workers/);
    await until('ring_changed on /events', () => events.events.some((e) => e.type === 'ring_changed'));
    expect(events.events.find((e) => e.type === 'ring_changed')!.data).toMatchObject({ pool: 'alpha', old_version: 1, new_version: 2, added: ['c'], reason: 'config' });
    events.close();
    // Requests reach the added server with the pool's backend password.
    const client = await RespClient.connect(port);
    expect(await client.call(['AUTH', 'backendpw'])).toBe('OK');
    for (let i = 0; i < 60; i++) expect(await client.call(['SET', `k${i}`, 'v'])).toBe('OK');
    client.close();
    const direct = await RespClient.connect(redis[2]!.port);
    expect(await direct.call(['AUTH', 'backendpw'])).toBe('OK');
    expect(await direct.call(['DBSIZE'])).toBeGreaterThan(0);
    direct.close();
    // A push is not written to the file: the file on disk is what a SIGHUP reloads.
    expect(fs.readFileSync(conf, 'utf8')).not.toContain(`${redis[2]!.port}:1 c`);
  });

  it('auth_reads: reads need the token too, the probes never do', async () => {
    const r = await adminRequest(admin, 'PUT', '/config', yaml([`127.0.0.1:${redis[0]!.port}:1 a`], [], ['    auth_reads: true']), TOKEN);
    expect(r.status, r.text).toBe(200);
    expect((await adminRequest(admin, 'GET', '/ring')).status).toBe(401);
    expect((await adminRequest(admin, 'GET', '/ring', undefined, TOKEN)).status).toBe(200);
    expect((await adminRequest(admin, 'GET', '/healthz')).status).toBe(200);
    expect((await adminRequest(admin, 'GET', '/readyz')).status).toBe(200);
  });
});

describe('start-up errors a user meets', () => {
  it('a setting that is not built yet is refused at -t, naming file, line and key', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'tls.yaml');
    fs.writeFileSync(file, 'alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n    - 127.0.0.1:7001:1\nshardgate:\n  tls:\n    enabled: true\n');
    const r = spawnSync(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}, line 7, key 'shardgate.tls': not implemented yet`);
    expect(r.stdout).not.toContain('syntax is ok');
  });

  it('a listen address in use: the pool and address are named, exit 1, no stack trace', async () => {
    const taken = net.createServer();
    const p = await freePort();
    await new Promise<void>((resolve) => taken.listen(p, '127.0.0.1', () => resolve()));
    const file = path.join(tmpDir(), 'inuse.yaml');
    fs.writeFileSync(file, `beta:\n  listen: 127.0.0.1:${p}\n  redis: true\n  servers:\n    - 127.0.0.1:7001:1\n`);
    const r = spawnSync(process.execPath, [SHARDGATE_BIN, 'proxy', '-c', file, '-s', '0'], { encoding: 'utf8', timeout: 15_000 });
    taken.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`pool 'beta': cannot listen on 127.0.0.1:${p}: address already in use`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
