// The proxy's own pub/sub channel, next to redis-server: SUBSCRIBE
// __shardgate__:events, PING, a refused command and UNSUBSCRIBE in
// subscribed mode answer byte for byte as redis-server answers them (on its
// own channel of that name); another channel is refused with a clear error;
// a config change made through the admin API arrives as a message whose
// payload is the event /events streams.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { decode, RespClient } from '../../fixtures/resp-client.js';
import { adminRequest } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';

let redis: Proc;
let proxy: Proc;
let port: number;
let admin: string;
let yaml: (timeout: number) => string;

beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  yaml = (timeout) => ['alpha:', `  listen: 127.0.0.1:${port}`, '  redis: true', `  timeout: ${timeout}`, '  servers:', `    - 127.0.0.1:${redis.port}:1 a`, ''].join('\n');
  const conf = path.join(tmpDir('shardgate-events-'), 'proxy.yaml');
  fs.writeFileSync(conf, yaml(1000));
  proxy = await startShardgate(['proxy', '-c', conf, '--admin', admin, '-s', '0'], port);
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
});

afterAll(async () => {
  await proxy?.stop();
  await redis?.stop();
});

const CHANNEL = '__shardgate__:events';

describe('SUBSCRIBE __shardgate__:events', () => {
  it('answers like redis-server in subscribed mode', async () => {
    const viaProxy = await RespClient.connect(port);
    const direct = await RespClient.connect(redis.port);
    const script: string[][] = [['SUBSCRIBE', CHANNEL], ['PING'], ['PING', 'hi'], ['GET', 'k'], ['UNSUBSCRIBE', CHANNEL], ['PING']];
    for (const argv of script) {
      const [a, b] = await Promise.all([viaProxy.raw(argv), direct.raw(argv)]);
      expect(a.toString(), argv.join(' ')).toBe(b.toString());
    }
    viaProxy.close();
    direct.close();
  });

  it('refuses other channels (no general pub/sub yet)', async () => {
    const c = await RespClient.connect(port);
    const r = decode(await c.raw(['SUBSCRIBE', CHANNEL, 'news'])) as Error;
    expect(r).toBeInstanceOf(Error);
    expect(r.message).toBe(`ERR unsupported command 'subscribe' (the proxy serves only the channel ${CHANNEL}, not 'news')`);
    // Not subscribed: ordinary commands still work.
    expect(decode(await c.raw(['SET', 'k', 'v']))).toBe('OK');
    c.close();
  });

  it('delivers each event as a message whose payload is the event', async () => {
    const c = await RespClient.connect(port);
    expect(decode(await c.raw(['SUBSCRIBE', CHANNEL]))).toEqual(['subscribe', CHANNEL, 1]);
    const put = await adminRequest(admin, 'PUT', '/config', yaml(2000));
    expect(put.status).toBe(200);
    const got: any[] = [];
    while (!got.some((e) => e.type === 'config_applied')) {
      const m = decode(await c.nextRaw(5000)) as unknown[];
      expect(m.slice(0, 2)).toEqual(['message', CHANNEL]);
      got.push(JSON.parse(String(m[2])));
    }
    expect(got.find((e) => e.type === 'config_applied')).toMatchObject({ source: 'api', pools: ['alpha'] });
    expect(got.find((e) => e.type === 'ring_changed')).toMatchObject({ pool: 'alpha', reason: 'config' });
    for (const e of got) expect(typeof e.id).toBe('number');
    c.close();
  });
});
