// Per-server backend credentials (`shardgate: backend_auth_servers:`), through
// the real CLI to three real redis-servers that each know a different
// account: two ACL users (the default user off) and one requirepass. The pool's
// backend_auth is the fallback; each server's entry (by name, or host:port when
// unnamed) wins. Keys spread over the three servers are written and read; each
// server sees the proxy as its own user; the INFO polls authenticate the same
// way; a reload with a wrong password for one server fails only that server;
// no password is in the log nor in GET /config; `proxy -t` refuses an entry
// that names no server of the pool.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, waitForAdmin } from '../../fixtures/admin.js';
import { metric, readMetrics } from '../../fixtures/metrics.js';
import { freePort } from '../../fixtures/ports.js';
import { runCommand as run } from '../../fixtures/run-command.js';
import { until } from '../../fixtures/until.js';
import { SHARDGATE_BIN, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';

const PASS = { a: 'sekrit-a-9f2c', b: 'sekrit-b-77d1', c: 'sekrit-c-41aa' };
let a: Proc;
let b: Proc;
let c: Proc;
let proxy: Proc;
let conf = '';
let port = 0;
let watchedPort = 0;
let admin = '';

function yaml(passB = PASS.b, extra: string[] = []): string {
  return [
    'shardgate:', '  admin:', `    listen: ${admin}`, '  metrics:', '    info_interval: 200',
    'pool:', `  listen: 127.0.0.1:${port}`, '  hash: md5', '  redis: true', '  servers:',
    `    - 127.0.0.1:${a.port}:1 shard-a`, `    - 127.0.0.1:${b.port}:1 shard-b`, `    - 127.0.0.1:${c.port}:1`,
    '  shardgate:',
    '    backend_auth:', '      username: proxy-a', `      password: ${PASS.a}`,
    '    backend_auth_servers:',
    '      shard-b:', '        username: proxy-b', `        password: ${passB}`,
    `      "127.0.0.1:${c.port}":`, `        password: ${PASS.c}`,
    ...extra,
    // the same servers under heartbeats: they must authenticate as the request path does
    'watched:', `  listen: 127.0.0.1:${watchedPort}`, '  redis: true', '  servers:',
    `    - 127.0.0.1:${a.port}:1 shard-a`, `    - 127.0.0.1:${b.port}:1 shard-b`,
    '  shardgate:', '    sentinel:', '      heartbeat_ms: 100', '      failover: off',
    '    backend_auth_servers:',
    '      shard-a:', '        username: proxy-a', `        password: ${PASS.a}`,
    '      shard-b:', '        username: proxy-b', `        password: ${passB}`,
  ].join('\n') + '\n';
}

/** Direct commands to a server as its own account. */
async function direct(p: Proc, auth: string[], cmd: string[]): Promise<unknown> {
  const conn = await RespClient.connect(p.port);
  try {
    expect(await conn.call(['AUTH', ...auth])).toBe('OK');
    return await conn.call(cmd);
  } finally {
    conn.close();
  }
}

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    startRedis(['--user', 'default', 'off', '--user', 'proxy-a', 'on', `>${PASS.a}`, '~*', '+@all']),
    startRedis(['--user', 'default', 'off', '--user', 'proxy-b', 'on', `>${PASS.b}`, '~*', '+@all']),
    startRedis(['--requirepass', PASS.c]),
  ]);
  port = await freePort();
  watchedPort = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  conf = path.join(tmpDir('shardgate-bauth-srv-'), 'proxy.yaml');
  fs.writeFileSync(conf, yaml());
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port);
  await waitForAdmin(admin);
}, 60_000);
afterAll(async () => { await proxy?.stop(); await a?.stop(); await b?.stop(); await c?.stop(); });

describe('backend_auth_servers', () => {
  it('keys on all three servers are written and read; each server sees the proxy as its own account', async () => {
    const conn = await RespClient.connect(port);
    for (let i = 0; i < 60; i++) expect(await conn.call(['SET', `bs:${i}`, `v${i}`])).toBe('OK');
    for (let i = 0; i < 60; i++) expect(await conn.call(['GET', `bs:${i}`])).toBe(`v${i}`);
    conn.close();
    const sizes = await Promise.all([
      direct(a, ['proxy-a', PASS.a], ['DBSIZE']), direct(b, ['proxy-b', PASS.b], ['DBSIZE']), direct(c, [PASS.c], ['DBSIZE']),
    ]);
    for (const n of sizes) expect(n).toBeGreaterThan(0);
    expect((sizes as number[]).reduce((x, y) => x + y, 0)).toBe(60);
    const lists = await Promise.all([
      direct(a, ['proxy-a', PASS.a], ['CLIENT', 'LIST']), direct(b, ['proxy-b', PASS.b], ['CLIENT', 'LIST']), direct(c, [PASS.c], ['CLIENT', 'LIST']),
    ]);
    const users = (text: unknown) => new Set(String(text).trim().split('\n').filter((l) => !/ cmd=client\|list /.test(l)).map((l) => / user=(\S+)/.exec(l)![1]));
    expect(users(lists[0])).toEqual(new Set(['proxy-a']));
    expect(users(lists[1])).toEqual(new Set(['proxy-b']));
    expect(users(lists[2])).toEqual(new Set(['default']));
  });

  it('the INFO polls of the control plane authenticate with each server\'s credentials too', async () => {
    await until('every server answered an INFO poll', async () => {
      const m = await readMetrics(admin);
      return ['shard-a', 'shard-b', `127.0.0.1:${c.port}`].every((s) => metric(m, 'shardgate_backend_info_up', { pool: 'pool', server: s }) === 1);
    }, 15_000, 200);
  });

  it('the heartbeats (sentinel:) authenticate with each server\'s credentials: both are seen up, as masters', async () => {
    await until('the heartbeats read INFO replication of both servers', async () => {
      const r = await adminRequest(admin, 'GET', '/sentinel');
      const servers = (r.body?.pools?.watched?.servers ?? []) as { name: string; nodes: { up: boolean; role: string | null }[] }[];
      return servers.length === 2 && servers.every((s) => s.nodes.length > 0 && s.nodes.every((n) => n.up && n.role === 'master'));
    }, 15_000, 100);
  });

  it('no password is in GET /config (JSON or YAML) nor in the log', async () => {
    const json = await adminRequest(admin, 'GET', '/config');
    const pool = json.body.pools.find((p: { name: string }) => p.name === 'pool');
    expect(pool.backendAuthServers).toEqual({ 'shard-b': { username: 'proxy-b', password: '(hidden)' }, [`127.0.0.1:${c.port}`]: { username: null, password: '(hidden)' } });
    const text = (await adminRequest(admin, 'GET', '/config?format=yaml')).text;
    expect(text).toContain('backend_auth_servers:');
    for (const s of Object.values(PASS)) {
      expect(json.text).not.toContain(s);
      expect(text).not.toContain(s);
      expect(proxy.output()).not.toContain(s);
    }
  });

  it('a reload with a wrong password for one server fails that server only; putting it right heals it', async () => {
    const keyOn = async (p: Proc, auth: string[]) => {
      for (let i = 0; i < 60; i++) if ((await direct(p, auth, ['EXISTS', `bs:${i}`])) === 1) return `bs:${i}`;
      throw new Error('no key on that server');
    };
    const [onA, onB] = [await keyOn(a, ['proxy-a', PASS.a]), await keyOn(b, ['proxy-b', PASS.b])];
    fs.writeFileSync(conf, yaml('not-the-password'));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput('shardgate.backend_auth_servers (new backend connections)');
    const conn = await RespClient.connect(port);
    await until('shard-b refuses the new credentials', async () => String((await conn.raw(['GET', onB])).toString()).startsWith('-ERR backend shard-b'), 10_000, 100);
    const refused = (await conn.raw(['GET', onB])).toString();
    expect(refused).toMatch(/^-ERR backend shard-b.*(WRONGPASS|AUTH)/);
    expect(refused).not.toContain('not-the-password');
    expect(await conn.call(['GET', onA])).toBe(onA.replace('bs:', 'v'));
    fs.writeFileSync(conf, yaml());
    process.kill(proxy.pid, 'SIGHUP');
    await until('shard-b serves again', async () => (await conn.call(['GET', onB])) === onB.replace('bs:', 'v'), 15_000, 100);
    conn.close();
    expect(proxy.output()).not.toContain('not-the-password');
  });

  it('proxy -t refuses an entry that names no server of the pool, and credentials without a password', async () => {
    const dir = tmpDir('shardgate-bauth-t-');
    const t = async (text: string) => {
      const f = path.join(dir, 'p.yaml');
      fs.writeFileSync(f, text);
      return run(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', f]);
    };
    const unknown = await t(yaml(PASS.b, ['      shard-z:', '        password: x']));
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("key 'pool.shardgate.backend_auth_servers.shard-z': names server 'shard-z', which is not in this pool's servers");
    const noPass = await t(yaml(PASS.b, ['      shard-a:', '        username: u']));
    expect(noPass.code).toBe(1);
    expect(noPass.out).toContain("key 'pool.shardgate.backend_auth_servers.shard-a.password': is required");
  });
});
