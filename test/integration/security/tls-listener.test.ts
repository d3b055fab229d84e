// TLS on a pool's listener (`shardgate: tls:`), through the real CLI in front
// of a real redis-server, with certificates made by openssl: redis-cli --tls
// works; plaintext on the TLS port is closed (no hang); client_certs: require
// refuses a client without a certificate, with one the CA did not sign, and
// one outside allow_subjects; a plaintext pool and TLS pools side by side on
// the same server; `proxy -t` checks that every file exists, parses and matches.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../../fixtures/certs.js';
import { runCommand as run } from '../../fixtures/run-command.js';
import { freePort } from '../../fixtures/ports.js';
import { until } from '../../fixtures/until.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { SHARDGATE_BIN, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';


let certs: TestCerts;
let redis: Proc;
let proxy: Proc;
const port = { plain: 0, tls: 0, mtls: 0, optional: 0 };

function yaml(c: TestCerts, serverPort: number, names: string[] = ['plain', 'tls', 'mtls', 'optional']): string {
  const pool = (name: string, listen: number, tlsLines: string[]) => [
    `${name}:`, `  listen: 127.0.0.1:${listen}`, '  redis: true', '  servers:', `    - 127.0.0.1:${serverPort}:1`,
    ...(tlsLines.length ? ['  shardgate:', '    tls:', ...tlsLines.map((l) => `      ${l}`)] : []),
  ].join('\n');
  const base = [`cert: ${c.serverCert}`, `key: ${c.serverKey}`];
  const all: Record<string, string> = {
    plain: pool('plain', port.plain, []),
    tls: pool('tls', port.tls, base),
    mtls: pool('mtls', port.mtls, [...base, `ca: ${c.ca}`, 'client_certs: require', 'allow_subjects: ["CN=app-1"]', 'min_version: TLSv1.2']),
    optional: pool('optional', port.optional, [...base, `ca: ${c.ca}`, 'client_certs: optional']),
  };
  return `${names.map((n) => all[n]).join('\n')}\n`;
}

beforeAll(async () => {
  certs = makeCerts();
  redis = await startRedis();
  for (const k of Object.keys(port) as Array<keyof typeof port>) port[k] = await freePort();
  const conf = path.join(certs.dir, 'proxy.yaml');
  fs.writeFileSync(conf, yaml(certs, redis.port));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port.plain);
  await proxy.waitForOutput('pool optional listening');
}, 60_000);
afterAll(async () => { await proxy?.stop(); await redis?.stop(); });

const cli = (p: number, args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(p), ...args]);

/** Connect with node:tls; resolves with what the server sent before closing (or 'open' if it stayed open 1 s after PING). */
function tlsExchange(p: number, opts: tls.ConnectionOptions): Promise<{ data: string; error: string | null; closed: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    let error: string | null = null;
    const s = tls.connect({ host: '127.0.0.1', port: p, ca: fs.readFileSync(certs.ca), ...opts }, () => s.write('PING\r\n'));
    s.on('data', (d) => { data += d.toString(); });
    s.on('error', (e) => { error = e.message; });
    const t = setTimeout(() => { s.destroy(); resolve({ data, error, closed: false }); }, 1500);
    s.on('close', () => { clearTimeout(t); resolve({ data, error, closed: true }); });
  });
}

describe('TLS listener', () => {
  it('redis-cli --tls --cacert works; keys written through TLS are read through the plaintext pool (same server)', async () => {
    const set = await cli(port.tls, ['--tls', '--cacert', certs.ca, 'SET', 'tls:k', 'v1']);
    expect(set.out.trim()).toBe('OK');
    expect((await cli(port.plain, ['GET', 'tls:k'])).out.trim()).toBe('v1');
    expect((await run('redis-cli', ['-p', String(redis.port), 'GET', 'tls:k'])).out.trim()).toBe('v1');
    // a pipeline of many commands over TLS
    const many = await cli(port.tls, ['--tls', '--cacert', certs.ca, '-r', '200', 'INCR', 'tls:n']);
    expect(many.out.trim().split('\n').at(-1)).toBe('200');
  });

  it('a plaintext client on the TLS port is closed at once, not left hanging', async () => {
    const t0 = Date.now();
    const r = await new Promise<{ closed: boolean; data: Buffer }>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: port.tls }, () => s.write('*1\r\n$4\r\nPING\r\n'));
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => { /* reset is fine */ });
      const t = setTimeout(() => { s.destroy(); resolve({ closed: false, data: Buffer.concat(chunks) }); }, 3000);
      s.on('close', () => { clearTimeout(t); resolve({ closed: true, data: Buffer.concat(chunks) }); });
    });
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.data.toString()).not.toContain('PONG');
    const viaCli = await cli(port.tls, ['PING']);
    expect(viaCli.out).not.toContain('PONG');
    // the proxy is still serving
    expect((await cli(port.tls, ['--tls', '--cacert', certs.ca, 'PING'])).out.trim()).toBe('PONG');
  });

  it('client_certs: require: a client certificate in allow_subjects is served', async () => {
    const c = certs.clients['app-1']!;
    const r = await cli(port.mtls, ['--tls', '--cacert', certs.ca, '--cert', c.cert, '--key', c.key, 'SET', 'mtls:k', 'ok']);
    expect(r.out.trim()).toBe('OK');
  });

  it('client_certs: require: no certificate is refused in the handshake; nothing reaches the server', async () => {
    const before = (await run('redis-cli', ['-p', String(redis.port), 'INFO', 'stats'])).out.match(/total_commands_processed:(\d+)/)![1];
    const r = await cli(port.mtls, ['--tls', '--cacert', certs.ca, 'SET', 'mtls:none', 'x']);
    expect(r.out).not.toContain('OK');
    const raw = await tlsExchange(port.mtls, {});
    expect(raw.closed).toBe(true);
    expect(raw.data).not.toContain('PONG');
    expect(raw.error ?? '').toMatch(/certificate|alert|socket hang up|ECONNRESET/i);
    expect((await run('redis-cli', ['-p', String(redis.port), 'EXISTS', 'mtls:none'])).out.trim()).toBe('0');
    const after = (await run('redis-cli', ['-p', String(redis.port), 'INFO', 'stats'])).out.match(/total_commands_processed:(\d+)/)![1];
    // only our own INFO and EXISTS ran on the server
    expect(Number(after) - Number(before)).toBeLessThanOrEqual(2);
  });

  it('client_certs: require: a certificate the CA did not sign is refused, even with an allowed CN', async () => {
    const raw = await tlsExchange(port.mtls, { cert: fs.readFileSync(certs.rogue.cert), key: fs.readFileSync(certs.rogue.key) });
    expect(raw.closed).toBe(true);
    expect(raw.data).not.toContain('PONG');
    const r = await cli(port.mtls, ['--tls', '--cacert', certs.ca, '--cert', certs.rogue.cert, '--key', certs.rogue.key, 'PING']);
    expect(r.out).not.toContain('PONG');
  });

  it('allow_subjects: a CA-signed certificate with another subject gets a RESP error and is closed', async () => {
    const c = certs.clients['app-2']!;
    const raw = await tlsExchange(port.mtls, { cert: fs.readFileSync(c.cert), key: fs.readFileSync(c.key) });
    expect(raw.closed).toBe(true);
    expect(raw.data).toMatch(/^-ERR TLS client refused: the client certificate subject 'CN=app-2, O=shardgate-test' is not in allow_subjects\r\n$/);
    const r = await cli(port.mtls, ['--tls', '--cacert', certs.ca, '--cert', c.cert, '--key', c.key, 'SET', 'mtls:app2', 'x']);
    expect(r.out).not.toContain('OK');
    expect((await run('redis-cli', ['-p', String(redis.port), 'EXISTS', 'mtls:app2'])).out.trim()).toBe('0');
  });

  it('client_certs: optional: no certificate is served; a certificate that does not verify is refused', async () => {
    expect((await cli(port.optional, ['--tls', '--cacert', certs.ca, 'PING'])).out.trim()).toBe('PONG');
    const c = certs.clients['app-2']!;
    expect((await cli(port.optional, ['--tls', '--cacert', certs.ca, '--cert', c.cert, '--key', c.key, 'PING'])).out.trim()).toBe('PONG');
    const rogue = await tlsExchange(port.optional, { cert: fs.readFileSync(certs.rogue.cert), key: fs.readFileSync(certs.rogue.key) });
    expect(rogue.closed).toBe(true);
    expect(rogue.data).toMatch(/^-ERR TLS client refused: the client certificate does not verify/);
  });

  it('a reload re-reads the TLS settings: new clients get them, an established connection stays', async () => {
    const a1 = certs.clients['app-1']!;
    const a2 = certs.clients['app-2']!;
    const kept = tls.connect({ host: '127.0.0.1', port: port.mtls, ca: fs.readFileSync(certs.ca), cert: fs.readFileSync(a1.cert), key: fs.readFileSync(a1.key) });
    let keptData = '';
    kept.on('data', (d) => { keptData += d.toString(); });
    await new Promise<void>((resolve) => kept.once('secureConnect', () => resolve()));
    kept.write('SET reload:k before\r\n');
    await until('the first reply', () => keptData.includes('+OK'));
    const conf = path.join(certs.dir, 'proxy.yaml');
    fs.writeFileSync(conf, yaml(certs, redis.port).replace('allow_subjects: ["CN=app-1"]', 'allow_subjects: ["CN=app-2, O=shardgate-test"]'));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput('shardgate.tls (certificates re-read');
    const withA2 = await cli(port.mtls, ['--tls', '--cacert', certs.ca, '--cert', a2.cert, '--key', a2.key, 'PING']);
    expect(withA2.out.trim()).toBe('PONG');
    const withA1 = await tlsExchange(port.mtls, { cert: fs.readFileSync(a1.cert), key: fs.readFileSync(a1.key) });
    expect(withA1.data).toMatch(/not in allow_subjects/);
    kept.write('GET reload:k\r\n');
    await until('the reply on the kept connection', () => keptData.includes('before'));
    kept.destroy();
  });

  it('a reload that turns TLS on for a plaintext pool re-opens its listener; a connected plaintext client stays', async () => {
    const kept = await RespClient.connect(port.plain);
    expect(await kept.call(['SET', 'toggle:k', 'v'])).toBe('OK');
    const conf = path.join(certs.dir, 'proxy.yaml');
    const text = yaml(certs, redis.port).replace('allow_subjects: ["CN=app-1"]', 'allow_subjects: ["CN=app-2, O=shardgate-test"]');
    const plainOn = text.replace(`  listen: 127.0.0.1:${port.plain}\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1`,
      `  listen: 127.0.0.1:${port.plain}\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1\n  shardgate:\n    tls:\n      cert: ${certs.serverCert}\n      key: ${certs.serverKey}`);
    expect(plainOn).not.toBe(text);
    fs.writeFileSync(conf, plainOn);
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput(`pool plain now listens on 127.0.0.1:${port.plain} with TLS on`);
    expect((await cli(port.plain, ['--tls', '--cacert', certs.ca, 'GET', 'toggle:k'])).out.trim()).toBe('v');
    const plaintext = (await cli(port.plain, ['GET', 'toggle:k'])).out.trim();
    expect(plaintext).not.toBe('v');
    expect(plaintext).toMatch(/closed|reset/i);
    expect(await kept.call(['GET', 'toggle:k'])).toBe('v');
    kept.close();
  });

  it('a reload that changes client_certs (optional -> require) re-opens the listener: a client without a certificate is refused from then on', async () => {
    expect((await cli(port.optional, ['--tls', '--cacert', certs.ca, 'PING'])).out.trim()).toBe('PONG');
    const conf = path.join(certs.dir, 'proxy.yaml');
    const text = fs.readFileSync(conf, 'utf8');
    expect(text).toContain('client_certs: optional');
    fs.writeFileSync(conf, text.replace('client_certs: optional', 'client_certs: require'));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput(`pool optional now listens on 127.0.0.1:${port.optional} with TLS on (client_certs require)`);
    const none = await tlsExchange(port.optional, {});
    expect(none.closed).toBe(true);
    expect(none.data).not.toContain('PONG');
    const a1 = certs.clients['app-1']!;
    expect((await cli(port.optional, ['--tls', '--cacert', certs.ca, '--cert', a1.cert, '--key', a1.key, 'PING'])).out.trim()).toBe('PONG');
  });

  it('the handshake failures are counted as client errors and the proxy logs them without key material', () => {
    expect(proxy.output()).toContain('TLS client refused');
    expect(proxy.output()).not.toContain('PRIVATE KEY');
  });
});

describe('shardgate proxy -t checks the TLS files', () => {
  const test = (text: string) => {
    const dir = tmpDir('shardgate-tls-t-');
    const conf = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(conf, text);
    return run(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', conf]).then((r) => ({ ...r, conf }));
  };

  it('a valid file is ok', async () => {
    const r = await test(yaml(certs, redis.port, ['tls', 'mtls']));
    expect(r.code).toBe(0);
    expect(r.out).toContain('syntax is ok');
  });

  it('a missing file is an error naming it, with file, line and key', async () => {
    const missing = path.join(certs.dir, 'nope.crt');
    const r = await test(yaml(certs, redis.port, ['tls']).replace(`cert: ${certs.serverCert}`, `cert: ${missing}`));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${r.conf}, line 8, key 'tls.shardgate.tls.cert': cannot read '${missing}': no such file`);
  });

  it('a relative path is read from the config file\'s folder', async () => {
    const dir = tmpDir('shardgate-tls-rel-');
    fs.copyFileSync(certs.serverCert, path.join(dir, 'server.crt'));
    fs.copyFileSync(certs.serverKey, path.join(dir, 'server.key'));
    const conf = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(conf, yaml(certs, redis.port, ['tls']).replace(certs.serverCert, 'server.crt').replace(certs.serverKey, 'server.key'));
    const r = await run(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', conf]);
    expect(r.out).toContain('syntax is ok');
  });

  it('a key that is not the certificate\'s, a file that is not PEM, and mTLS without a CA are errors', async () => {
    const other = certs.clients['app-1']!.key;
    const wrongKey = await test(yaml(certs, redis.port, ['tls']).replace(`key: ${certs.serverKey}`, `key: ${other}`));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toContain(`key 'tls.shardgate.tls.key': '${other}' is not the private key of the certificate '${certs.serverCert}'`);
    const notPem = await test(yaml(certs, redis.port, ['tls']).replace(`cert: ${certs.serverCert}`, `cert: ${path.join(certs.dir, 'server.ext')}`));
    expect(notPem.out).toContain('is not a PEM certificate');
    const noCa = await test(yaml(certs, redis.port, ['optional']).replace(`      ca: ${certs.ca}\n`, ''));
    expect(noCa.out).toContain("key 'optional.shardgate.tls.client_certs': 'optional' needs tls.ca");
    const badVersion = await test(yaml(certs, redis.port, ['mtls']).replace('TLSv1.2', 'SSLv3'));
    expect(badVersion.out).toContain('must be one of TLSv1.2, TLSv1.3');
  });
});
