// AUTH with the same settings as the proxy's backends: a config pool's
// redis_auth and redis_db reach every node; an ACL user/password given to
// createClient works; a wrong password is SG_ERR_AUTH naming the node.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from '../../../src/client/index.js';
import { startRedis, tmpDir, type Proc } from '../../fixtures/procs.js';

let redis: Proc[] = [];
let direct: Redis[] = [];
const lines = () => redis.map((r, i) => `127.0.0.1:${r.port}:1 n${i}`);

beforeAll(async () => {
  redis = await Promise.all([0, 1].map(() => startRedis(['--requirepass', 'backendpw'])));
  direct = redis.map((r) => new Redis({ port: r.port, password: 'backendpw' }));
  for (const d of direct) await d.call('ACL', 'SETUSER', 'app', 'on', '>apppw', '~*', '+@all');
});
afterAll(async () => {
  for (const d of direct) d.disconnect();
  await Promise.all(redis.map((r) => r.stop()));
});

describe('client AUTH and SELECT', () => {
  it("a config pool's redis_auth and redis_db are used for every node", async () => {
    const file = path.join(tmpDir('shardgate-client-auth-'), 'proxy.yaml');
    fs.writeFileSync(file, ['p:', '  listen: 127.0.0.1:1', '  redis: true', '  redis_auth: backendpw', '  redis_db: 3', '  servers:', ...lines().map((l) => `    - ${l}`), ''].join('\n'));
    const c = await createClient({ config: file, pool: 'p' });
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `a:${i * 7919}`);
      expect(new Set(keys.map((k) => c.serverFor(k))).size).toBe(2);
      await c.mset(keys.map((k) => [k, 'x'] as const));
      for (const k of keys) {
        const d = direct[Number(c.serverFor(k)!.slice(1))]!;
        await d.select(3);
        expect(await d.get(k)).toBe('x');
        await d.select(0);
        expect(await d.exists(k)).toBe(0);
      }
    } finally {
      await c.quit();
    }
  });

  it('an ACL user works; a wrong password is SG_ERR_AUTH for that node', async () => {
    const ok = await createClient({ servers: lines(), auth: { username: 'app', password: 'apppw' } });
    const bad = await createClient({ servers: lines(), auth: { password: 'wrong' } });
    try {
      expect(await ok.set('u:1', 'v')).toBe('OK');
      expect(await ok.get('u:1')).toBe('v');
      await expect(bad.get('u:1')).rejects.toMatchObject({ code: 'SG_ERR_AUTH', server: bad.serverFor('u:1') });
    } finally {
      await ok.quit();
      await bad.quit();
    }
  });
});
