// TLS and ACL users to the nodes with the proxy's backend settings: two real
// redis-servers serving TLS themselves (`--tls-port`; one requires a client
// certificate), each with an ACL user. A config pool's `backend_tls` (ca,
// cert, key, servername) and `backend_auth` reach every node from the client
// (its connections are on the TLS ports, as that user, per CLIENT LIST); the
// same as options for the fixed-servers form and for the admin form next to
// a real proxy that uses the same file (a key the proxy wrote, the client
// reads). Pub/sub and blocking connections carry them too. A wrong name, a
// missing client certificate, plaintext to a TLS port fail as SG_ERR_BACKEND_DOWN
// naming the node; a bad file fails createClient naming the setting; a wrong
// password is SG_ERR_AUTH.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient, type PubSubMessage } from '../../../src/client/index.js';
import { makeCerts, type TestCerts } from '../../fixtures/certs.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, type Proc } from '../../fixtures/procs.js';
import { waitForAdmin } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';

let certs: TestCerts;
const servers: { proc: Proc; tlsPort: number; direct: Redis }[] = [];
let proxy: Proc;
let proxyPort: number;
let admin: string;
let conf: string;

async function tlsRedis(authClients: 'yes' | 'no') {
  const tlsPort = await freePort();
  const proc = await startRedis(['--tls-port', String(tlsPort), '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey,
    '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', authClients, '--requirepass', 'adminpw']);
  const direct = new Redis({ port: proc.port, password: 'adminpw' });
  await direct.call('ACL', 'SETUSER', 'app', 'on', '>apppw', '~*', '&*', '+@all');
  return { proc, tlsPort, direct };
}

const lines = () => servers.map((s, i) => `127.0.0.1:${s.tlsPort}:1 t${i}`);
/** CLIENT LIST lines of a server's connections on its TLS port as user app */
const tlsClients = async (i: number) => ((await servers[i]!.direct.call('CLIENT', 'LIST')) as string).split('\n')
  .filter((l) => l.includes(`laddr=127.0.0.1:${servers[i]!.tlsPort} `) && l.includes(' user=app '));

beforeAll(async () => {
  certs = makeCerts();
  servers.push(await tlsRedis('yes'), await tlsRedis('no'));
  proxyPort = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  const a1 = certs.clients['app-1']!;
  conf = path.join(certs.dir, 'proxy.yaml');
  fs.writeFileSync(conf, [
    'secure:', `  listen: 127.0.0.1:${proxyPort}`, '  redis: true', '  servers:', ...lines().map((l) => `    - ${l}`),
    '  shardgate:', '    backend_tls:', `      ca: ${certs.ca}`, `      cert: ${a1.cert}`, `      key: ${a1.key}`, '      servername: redis.internal',
    '    backend_auth:', '      username: app', '      password: apppw',
    'shardgate:', '  watch: false', '  admin:', `    listen: ${admin}`, '',
  ].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], proxyPort);
  await waitForAdmin(admin);
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  for (const s of servers) { s.direct.disconnect(); await s.proc.stop(); }
});

const keys = Array.from({ length: 40 }, (_, i) => `tls:${i * 7919}`);

describe('client TLS and ACL users', () => {
  it("a config pool's backend_tls and backend_auth: every node over TLS as the ACL user, keys where the proxy puts them", async () => {
    const c = await createClient({ config: conf, pool: 'secure' });
    try {
      expect(new Set(keys.map((k) => c.serverFor(k))).size).toBe(2);
      await c.mset(keys.map((k) => [k, `v:${k}`] as const));
      // read back from each redis-server on its plaintext port
      for (const k of keys) expect(await servers[Number(c.serverFor(k)!.slice(1))]!.direct.get(k)).toBe(`v:${k}`);
      expect((await tlsClients(0)).length).toBeGreaterThanOrEqual(1);
      expect((await tlsClients(1)).length).toBeGreaterThanOrEqual(1);
      // the proxy (same file) reads what the client wrote
      const via = new Redis({ port: proxyPort });
      try { expect(await via.mget(...keys)).toEqual(keys.map((k) => `v:${k}`)); } finally { via.disconnect(); }
    } finally {
      await c.quit();
    }
  });

  it('the same as options of the fixed-servers form; pub/sub and blocking connections carry them', async () => {
    const a1 = certs.clients['app-1']!;
    const c = await createClient({
      servers: lines(), tls: { ca: certs.ca, cert: a1.cert, key: a1.key, servername: 'redis.internal' }, auth: { username: 'app', password: 'apppw' },
    });
    try {
      expect(await c.mget(keys)).toEqual(keys.map((k) => `v:${k}`));
      const got: PubSubMessage[] = [];
      await c.subscribe(['tch:1', 'tch:2', 'tch:3'], (m) => got.push(m));
      await c.psubscribe('tpat:*', (m) => got.push(m));
      expect(await c.publish('tch:1', 'a')).toBe(1);
      expect(await c.publish('tpat:x', 'b')).toBe(1);
      await until('both messages', () => got.length >= 2, 5000);
      const p = c.blpop('tls:list', 5);
      await until('the block is on a TLS connection', async () => (await Promise.all([0, 1].map(tlsClients))).flat().some((l) => l.includes('cmd=blpop')), 5000);
      await servers[Number(c.serverFor('tls:list')!.slice(1))]!.direct.rpush('tls:list', 'x');
      expect(await p).toEqual(['tls:list', 'x']);
    } finally {
      await c.quit();
    }
  });

  it('the same as options of the admin form, next to the proxy', async () => {
    const a1 = certs.clients['app-1']!;
    const via = new Redis({ port: proxyPort });
    const c = await createClient({ admin: `http://${admin}`, pool: 'secure', tls: { ca: certs.ca, cert: a1.cert, key: a1.key, servername: 'redis.internal' }, auth: { username: 'app', password: 'apppw' } });
    try {
      await via.set('tls:from-proxy', 'p');
      expect(await c.get('tls:from-proxy')).toBe('p');
      expect(await c.set('tls:from-client', 'c')).toBe('OK');
      expect(await via.get('tls:from-client')).toBe('c');
    } finally {
      via.disconnect();
      await c.quit();
    }
  });

  it('refusals: a wrong name, no client certificate, plaintext to a TLS port, a wrong password, a bad file', async () => {
    const a1 = certs.clients['app-1']!;
    const auth = { username: 'app', password: 'apppw' };
    const one = (i: number) => [lines()[i]!];
    const cases = [
      { name: 'wrong servername', o: { servers: one(1), auth, tls: { ca: certs.ca, servername: 'other.example' } }, code: 'SG_ERR_BACKEND_DOWN', reason: /ALTNAME|CERT/ },
      { name: 'no client certificate', o: { servers: one(0), auth, tls: { ca: certs.ca } }, code: 'SG_ERR_BACKEND_DOWN', reason: /./ },
      { name: 'plaintext to a TLS port', o: { servers: one(1), auth }, code: 'SG_ERR_BACKEND_DOWN', reason: /./ },
      { name: 'wrong password', o: { servers: one(1), auth: { username: 'app', password: 'nope' }, tls: { ca: certs.ca, cert: a1.cert, key: a1.key } }, code: 'SG_ERR_AUTH', reason: /EAUTH/ },
    ];
    for (const x of cases) {
      const c = await createClient({ ...x.o, connectTimeoutMs: 2000 });
      try {
        const err = await c.get('k').then(() => null, (e: unknown) => e as { code: string; server: string; reason: string });
        expect(err, x.name).toMatchObject({ code: x.code, server: 't' + (x.o.servers[0] === lines()[0] ? 0 : 1) });
        expect(err!.reason, x.name).toMatch(x.reason);
      } finally {
        await c.quit();
      }
    }
    await expect(createClient({ servers: one(1), tls: { ca: path.join(certs.dir, 'missing.crt') } })).rejects.toMatchObject({ code: 'SG_ERR_CONFIG', message: /tls\.ca.*missing\.crt/ });
    await expect(createClient({ servers: one(1), tls: { ca: certs.ca, cert: a1.cert } })).rejects.toMatchObject({ code: 'SG_ERR_CONFIG', message: /cert and key go together/ });
    await expect(createClient({ servers: one(1), tls: { ca: certs.ca, cert: a1.cert, key: certs.serverKey } })).rejects.toMatchObject({ code: 'SG_ERR_CONFIG', message: /not the private key/ });
  });
});
