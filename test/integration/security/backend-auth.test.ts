// Backend credentials (`shardgate: backend_auth: { username, password }`),
// through the real CLI to a real redis-server whose only user is an ACL user
// (the default user is off): the proxy authenticates with AUTH user pass; a
// pool without the credentials gets a backend error; the password is in no
// log line and GET /config (JSON and YAML) shows it hidden, with redis_auth,
// the admin token and users' password hashes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest, waitForAdmin } from '../../fixtures/admin.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';

const SECRET = 'pr0xy-backend-secret';
let redis: Proc;
let proxy: Proc;
let admin = '';
const port = { acl: 0, none: 0 };

beforeAll(async () => {
  redis = await startRedis(['--user', 'default', 'off', '--user', 'proxy', 'on', `>${SECRET}`, '~*', '+@all']);
  port.acl = await freePort();
  port.none = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  const conf = path.join(tmpDir('shardgate-bauth-'), 'proxy.yaml');
  fs.writeFileSync(conf, [
    'shardgate:', '  admin:', `    listen: ${admin}`, '    token: adm1n-t0ken',
    '  users:', '    - name: app', '      password: app-pass-1', '      rules: "~* +@all"',
    'acl:', `  listen: 127.0.0.1:${port.acl}`, '  redis: true', '  redis_auth: client-pass-1', '  servers:', `    - 127.0.0.1:${redis.port}:1`,
    '  shardgate:', '    backend_auth:', '      username: proxy', `      password: ${SECRET}`,
    'none:', `  listen: 127.0.0.1:${port.none}`, '  redis: true', '  servers:', `    - 127.0.0.1:${redis.port}:1`,
  ].join('\n') + '\n');
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0', '-v', '7'], port.acl);
  await waitForAdmin(admin);
}, 60_000);
afterAll(async () => { await proxy?.stop(); await redis?.stop(); });

describe('backend_auth', () => {
  it('the proxy authenticates to the server as its ACL user; the client password stays the client\'s', async () => {
    const c = await RespClient.connect(port.acl);
    expect(await c.call(['AUTH', 'client-pass-1'])).toBe('OK');
    expect(await c.call(['SET', 'ba:1', 'v'])).toBe('OK');
    expect(await c.call(['GET', 'ba:1'])).toBe('v');
    c.close();
    const direct = await RespClient.connect(redis.port);
    expect(await direct.call(['AUTH', 'proxy', SECRET])).toBe('OK');
    expect(await direct.call(['GET', 'ba:1'])).toBe('v');
    const clients = String(await direct.call(['CLIENT', 'LIST']));
    expect(clients.split('\n').filter((l) => / user=proxy /.test(l)).length).toBeGreaterThanOrEqual(2);
    direct.close();
  });

  it('a pool without the credentials gets a backend error (the server refuses the default user)', async () => {
    const c = await RespClient.connect(port.none);
    expect(await c.call(['AUTH', 'app', 'app-pass-1'])).toBe('OK');
    const r = (await c.raw(['GET', 'ba:1'])).toString();
    expect(r).toMatch(/^-(NOAUTH|ERR backend)/);
    c.close();
  });

  it('GET /config hides every secret, in JSON and YAML; no log line carries one', async () => {
    const json = await adminRequest(admin, 'GET', '/config');
    expect(json.status).toBe(200);
    const pool = json.body.pools.find((p: { name: string }) => p.name === 'acl');
    expect(pool.backendAuth).toEqual({ username: 'proxy', password: '(hidden)' });
    expect(pool.redisAuth).toBe('(hidden)');
    expect(json.body.shardgate.users[0]).toEqual({ name: 'app', passwordSha256: '(hidden)', rules: '~* +@all' });
    expect(json.body.shardgate.admin.token).toBe('(hidden)');
    const yaml = await adminRequest(admin, 'GET', '/config?format=yaml');
    for (const secret of [SECRET, 'client-pass-1', 'app-pass-1', 'adm1n-t0ken']) {
      expect(json.text).not.toContain(secret);
      expect(yaml.text).not.toContain(secret);
      expect(proxy.output()).not.toContain(secret);
    }
    expect(yaml.text).toContain('username: "proxy"');
  });
});
