// TLS from the proxy to its backends (`shardgate: backend_tls:`), through the
// real CLI to real redis-servers that serve TLS themselves (`--tls-port`):
// one that requires a client certificate (`--tls-auth-clients yes`) and one
// that does not. The proxy verifies each server's certificate (CA and name);
// without backend_tls, with a wrong name or without the client certificate
// the server wants, the client gets a backend error and no key is written.
// Also TLS on both sides at once: redis-cli --tls -> proxy -> TLS redis; and
// the control plane's own connections (heartbeats, INFO polls) over TLS.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../../fixtures/certs.js';
import { runCommand as run } from '../../fixtures/run-command.js';
import { freePort } from '../../fixtures/ports.js';
import { SHARDGATE_BIN, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { adminRequest } from '../../fixtures/admin.js';
import { metric, readMetrics } from '../../fixtures/metrics.js';
import { until } from '../../fixtures/until.js';


let certs: TestCerts;
/** requires client certificates on its TLS port */
let strict: Proc;
let strictTls = 0;
/** TLS without client certificates */
let open: Proc;
let openTls = 0;
let proxy: Proc;
const port: Record<string, number> = {};

async function tlsRedis(c: TestCerts, authClients: 'yes' | 'no'): Promise<{ proc: Proc; tlsPort: number }> {
  const tlsPort = await freePort();
  const proc = await startRedis(['--tls-port', String(tlsPort), '--tls-cert-file', c.serverCert, '--tls-key-file', c.serverKey,
    '--tls-ca-cert-file', c.ca, '--tls-auth-clients', authClients]);
  return { proc, tlsPort };
}

function pool(name: string, server: number, ext: string[]): string {
  return [`${name}:`, `  listen: 127.0.0.1:${port[name]}`, '  redis: true', '  servers:', `    - 127.0.0.1:${server}:1`,
    ...(ext.length ? ['  shardgate:', ...ext.map((l) => `    ${l}`)] : [])].join('\n');
}

function yaml(c: TestCerts): string {
  const a1 = c.clients['app-1']!;
  return [
    pool('mtls', strictTls, ['backend_tls:', `  ca: ${c.ca}`, `  cert: ${a1.cert}`, `  key: ${a1.key}`, '  servername: redis.internal']),
    pool('caonly', openTls, ['backend_tls:', `  ca: ${c.ca}`]),
    pool('nocert', strictTls, ['backend_tls:', `  ca: ${c.ca}`]),
    pool('plain', openTls, []),
    pool('wrongname', openTls, ['backend_tls:', `  ca: ${c.ca}`, '  servername: other.example']),
    pool('both', strictTls, ['tls:', `  cert: ${c.serverCert}`, `  key: ${c.serverKey}`,
      'backend_tls:', `  ca: ${c.ca}`, `  cert: ${a1.cert}`, `  key: ${a1.key}`, '  servername: redis.internal']),
  ].join('\n') + '\n';
}

beforeAll(async () => {
  certs = makeCerts();
  ({ proc: strict, tlsPort: strictTls } = await tlsRedis(certs, 'yes'));
  ({ proc: open, tlsPort: openTls } = await tlsRedis(certs, 'no'));
  for (const n of ['mtls', 'caonly', 'nocert', 'plain', 'wrongname', 'both']) port[n] = await freePort();
  const conf = path.join(certs.dir, 'proxy.yaml');
  fs.writeFileSync(conf, yaml(certs));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port.mtls!);
  await proxy.waitForOutput('pool both listening');
}, 60_000);
afterAll(async () => { await proxy?.stop(); await strict?.stop(); await open?.stop(); });

const cli = (p: number, args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(p), ...args]);
/** Read straight from a server's plaintext port. */
const direct = (r: Proc, args: string[]) => run('redis-cli', ['-p', String(r.port), ...args]).then((x) => x.out.trim());

describe('TLS to backends', () => {
  it('to a server that requires a client certificate: served, keys land on the server', async () => {
    expect((await cli(port.mtls!, ['SET', 'bt:mtls', 'v1'])).out.trim()).toBe('OK');
    expect((await cli(port.mtls!, ['GET', 'bt:mtls'])).out.trim()).toBe('v1');
    expect(await direct(strict, ['GET', 'bt:mtls'])).toBe('v1');
    // the proxy's connection is on the server's TLS port, from a client certificate the server accepted
    const clients = await direct(strict, ['CLIENT', 'LIST']);
    expect(clients.split('\n').some((l) => l.includes(`laddr=127.0.0.1:${strictTls} `))).toBe(true);
  });

  it('with only a CA (server certificate checked against the IP address): served', async () => {
    expect((await cli(port.caonly!, ['SET', 'bt:ca', 'v2'])).out.trim()).toBe('OK');
    expect(await direct(open, ['GET', 'bt:ca'])).toBe('v2');
  });

  it('without backend_tls, to a TLS port: a backend error, nothing written', async () => {
    const r = await cli(port.plain!, ['SET', 'bt:plain', 'x']);
    expect(r.out).toMatch(/backend 127\.0\.0\.1:\d+ (failed|connection)/);
    expect(await direct(open, ['EXISTS', 'bt:plain'])).toBe('0');
  });

  it('a server certificate without the servername: refused by the proxy, nothing written', async () => {
    const r = await cli(port.wrongname!, ['SET', 'bt:wrong', 'x']);
    expect(r.out).toMatch(/backend .* failed: .*(other\.example|altnames)/i);
    expect(await direct(open, ['EXISTS', 'bt:wrong'])).toBe('0');
  });

  it('to a server that requires a client certificate, without one: a backend error', async () => {
    const r = await cli(port.nocert!, ['SET', 'bt:nocert', 'x']);
    expect(r.out).toMatch(/backend .* (failed|closed)/);
    expect(await direct(strict, ['EXISTS', 'bt:nocert'])).toBe('0');
  });

  it('TLS on both sides: redis-cli --tls -> proxy -> TLS redis-server', async () => {
    const r = await cli(port.both!, ['--tls', '--cacert', certs.ca, 'SET', 'bt:both', 'v3']);
    expect(r.out.trim()).toBe('OK');
    expect(await direct(strict, ['GET', 'bt:both'])).toBe('v3');
    const many = await cli(port.both!, ['--tls', '--cacert', certs.ca, '-r', '100', 'INCR', 'bt:n']);
    expect(many.out.trim().split('\n').at(-1)).toBe('100');
  });

  it('proxy -t: a missing backend_tls file and a cert without its key are errors at their key', async () => {
    const dir = tmpDir('shardgate-btls-t-');
    const conf = path.join(dir, 'proxy.yaml');
    const missing = path.join(dir, 'nope.crt');
    fs.writeFileSync(conf, pool('caonly', openTls, ['backend_tls:', `  ca: ${missing}`]) + '\n');
    const r = await run(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', conf]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${conf}, line 8, key 'caonly.shardgate.backend_tls.ca': cannot read '${missing}': no such file`);
    fs.writeFileSync(conf, pool('caonly', openTls, ['backend_tls:', `  cert: ${certs.clients['app-1']!.cert}`]) + '\n');
    const r2 = await run(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', conf]);
    expect(r2.out).toContain("key 'caonly.shardgate.backend_tls.cert': cert and key go together");
  });
});

describe('the control plane\'s own connections speak TLS to backend_tls servers', () => {
  let watched: Proc;
  let admin = '';
  let watchedPort = 0;
  beforeAll(async () => {
    watchedPort = await freePort();
    admin = `127.0.0.1:${await freePort()}`;
    const a1 = certs.clients['app-1']!;
    const conf = path.join(tmpDir('shardgate-btls-watch-'), 'proxy.yaml');
    fs.writeFileSync(conf, [
      'shardgate:', '  admin:', `    listen: ${admin}`, '  metrics:', '    info_interval: 200',
      'watched:', `  listen: 127.0.0.1:${watchedPort}`, '  redis: true', '  servers:', `    - 127.0.0.1:${strictTls}:1 tls-a`,
      '  shardgate:', '    sentinel:', '      heartbeat_ms: 100', '      failover: off',
      '    backend_tls:', `      ca: ${certs.ca}`, `      cert: ${a1.cert}`, `      key: ${a1.key}`, '      servername: redis.internal',
    ].join('\n') + '\n');
    watched = await startShardgate(['proxy', '-c', conf, '-s', '0'], watchedPort);
  }, 30_000);
  afterAll(async () => { await watched?.stop(); });

  it('heartbeats and INFO polls reach a server that takes TLS with a client certificate only', async () => {
    await until('the heartbeats read INFO replication over TLS', async () => {
      const r = await adminRequest(admin, 'GET', '/sentinel').catch(() => null);
      const nodes = (r?.body?.pools?.watched?.servers?.[0]?.nodes ?? []) as { up: boolean; role: string | null }[];
      return nodes.length === 1 && nodes[0]!.up && nodes[0]!.role === 'master';
    }, 15_000, 100);
    await until('the INFO poll answered over TLS', async () => metric(await readMetrics(admin), 'shardgate_backend_info_up', { pool: 'watched', server: 'tls-a' }) === 1, 15_000, 100);
    expect((await cli(watchedPort, ['SET', 'bt:watched', 'v'])).out.trim()).toBe('OK');
    // the server's own view: the proxy's heartbeat and INFO connections came in on its TLS port
    const clients = (await direct(strict, ['CLIENT', 'LIST'])).split('\n');
    for (const name of ['shardgate-heartbeat', 'shardgate-info']) {
      expect(clients.some((l) => l.includes(` name=${name} `) && l.includes(`laddr=127.0.0.1:${strictTls} `))).toBe(true);
    }
  });
});
