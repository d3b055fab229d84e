// HTTPS on the admin listener (`shardgate.admin.tls`, the settings of a
// pool's tls), through the real CLI, with certificates made by openssl and
// real HTTPS clients (node:https and curl): the API answers over TLS, plain
// HTTP on that port is closed; client_certs: require refuses a client without
// a certificate or with one the CA did not sign in the handshake, and answers
// 403 tls_refused to a CA-signed certificate outside allow_subjects; a reload
// re-reads the files and the allow-list, can turn TLS on and off; `proxy -t`
// checks the files.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../../fixtures/certs.js';
import { freePort } from '../../fixtures/ports.js';
import { runCommand as run } from '../../fixtures/run-command.js';
import { until } from '../../fixtures/until.js';
import { SHARDGATE_BIN, hasCommand, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';

const TOKEN = 'adm1n-tls-t0ken';
let certs: TestCerts;
let redis: Proc;
let proxy: Proc;
let conf = '';
let port = 0;
let adminPort = 0;

function yaml(tls: string[] | null): string {
  return [
    'p:', `  listen: 127.0.0.1:${port}`, '  redis: true', '  servers:', `    - 127.0.0.1:${redis.port}:1`,
    'shardgate:', '  admin:', `    listen: 127.0.0.1:${adminPort}`, `    token: ${TOKEN}`,
    ...(tls === null ? [] : ['    tls:', ...tls.map((l) => `      ${l}`)]),
  ].join('\n') + '\n';
}
const serverOnly = (c: TestCerts) => [`cert: ${c.serverCert}`, `key: ${c.serverKey}`];
const mutual = (c: TestCerts, subject: string) => [...serverOnly(c), `ca: ${c.ca}`, 'client_certs: require', `allow_subjects: ["${subject}"]`];

interface Answer { status: number | null; body: string; error: string | null }

/** One HTTPS request with node:https (no connection reuse); an error instead of a status when the connection fails. */
function httpsRequest(p: string, opts: { cert?: string; key?: string; ca?: boolean; method?: string; token?: string } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` };
    const req = https.request({
      host: '127.0.0.1', port: adminPort, path: p, method: opts.method ?? 'GET', headers, agent: false, timeout: 8000,
      ca: opts.ca === false ? undefined : fs.readFileSync(certs.ca),
      cert: opts.cert === undefined ? undefined : fs.readFileSync(opts.cert), key: opts.key === undefined ? undefined : fs.readFileSync(opts.key),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? null, body, error: null }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? null, body, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: null, body: '', error: e.message }));
    req.end();
  });
}

function httpRequest(p: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: adminPort, path: p, agent: false, timeout: 8000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? null, body, error: null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: null, body: '', error: e.message }));
    req.end();
  });
}

/** curl over HTTPS: the status code it printed (000 when no HTTP answer) and its exit code. */
async function curl(p: string, extra: string[] = []): Promise<{ code: number; status: string; out: string }> {
  const r = await run('curl', ['-sS', '--max-time', '8', '--cacert', certs.ca, ...extra, '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${adminPort}${p}`]);
  // stdout (the status) comes first in `out`, curl's own error after it
  return { code: r.code, status: /^\d{3}/.exec(r.out)?.[0] ?? '', out: r.out };
}

const count = (text: string) => proxy.output().split(text).length - 1;
async function reload(tls: string[] | null, logLine: string): Promise<void> {
  const before = count(logLine);
  fs.writeFileSync(conf, yaml(tls));
  process.kill(proxy.pid, 'SIGHUP');
  await until(`"${logLine}" logged once more`, () => count(logLine) > before, 15_000);
}

beforeAll(async () => {
  certs = makeCerts();
  redis = await startRedis();
  port = await freePort();
  adminPort = await freePort();
  conf = path.join(certs.dir, 'proxy.yaml');
  fs.writeFileSync(conf, yaml(serverOnly(certs)));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port);
  await proxy.waitForOutput(`admin API listening on https://127.0.0.1:${adminPort}`, 15_000);
}, 60_000);
afterAll(async () => { await proxy?.stop(); await redis?.stop(); });

describe('admin API over HTTPS', () => {
  it('answers HTTPS requests (node:https and curl), with the server certificate of the config', async () => {
    const health = await httpsRequest('/healthz');
    expect(health.status).toBe(200);
    const ring = await httpsRequest('/ring');
    expect(ring.status).toBe(200);
    expect(JSON.parse(ring.body).pools.p.servers[0].address).toBe(`127.0.0.1:${redis.port}`);
    if (hasCommand('curl')) expect(await curl('/ring')).toMatchObject({ code: 0, status: '200' });
    else console.log('curl is not installed: the curl checks are skipped');
    // without our CA the client refuses the server: the certificate really is the one configured
    const unknownCa = await httpsRequest('/healthz', { ca: false });
    expect(unknownCa.status).toBeNull();
    expect(unknownCa.error).toMatch(/certificate/i);
  });

  it('shardgate rebalance speaks HTTPS with --cacert; without it the plain HTTP attempt fails with exit 2', async () => {
    const admin = `127.0.0.1:${adminPort}`;
    const ok = await run(process.execPath, [SHARDGATE_BIN, 'rebalance', '--admin', admin, '--token', TOKEN, '--cacert', certs.ca, '--no-progress']);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toContain('no migration has run: p idle');
    const plain = await run(process.execPath, [SHARDGATE_BIN, 'rebalance', '--admin', admin, '--token', TOKEN, '--no-progress']);
    expect(plain.code).toBe(2);
    expect(plain.out).toMatch(/^shardgate rebalance: cannot reach the admin API at 127\.0\.0\.1:\d+: /);
    const noCa = await run(process.execPath, [SHARDGATE_BIN, 'rebalance', '--admin', admin, '--tls', '--no-progress']);
    expect(noCa.code).toBe(2);
    expect(noCa.out).toMatch(/certificate/i);
  });

  it('the token is still required for a change over HTTPS', async () => {
    const without = await httpsRequest('/config', { method: 'PUT' });
    expect(without.status).toBe(401);
    const bad = await httpsRequest('/config', { method: 'PUT', token: 'wrong' });
    expect(bad.status).toBe(401);
  });

  it('plain HTTP on the HTTPS port gets no answer: the connection is closed, not left hanging', async () => {
    const t0 = Date.now();
    const r = await httpRequest('/healthz');
    expect(r.status === null || r.status === 400).toBe(true);
    expect(r.body).not.toContain('ok');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('client certificates on the admin API', () => {
  beforeAll(async () => {
    await reload(mutual(certs, 'CN=app-1'), 'admin API listening on https://');
  }, 30_000);

  it('a reload that asks for client certificates re-opens the listener with client_certs require', () => {
    expect(proxy.output()).toContain(`admin API listening on https://127.0.0.1:${adminPort} (TLS, client_certs require)`);
  });

  it('a client certificate in allow_subjects is served (node:https and curl)', async () => {
    const a1 = certs.clients['app-1']!;
    expect((await httpsRequest('/ring', { cert: a1.cert, key: a1.key })).status).toBe(200);
    if (hasCommand('curl')) expect(await curl('/ring', ['--cert', a1.cert, '--key', a1.key])).toMatchObject({ code: 0, status: '200' });
  });

  it('no certificate, or one the CA did not sign, is refused in the handshake: no HTTP answer at all', async () => {
    const none = await httpsRequest('/healthz');
    expect(none.status).toBeNull();
    expect(none.error).not.toBeNull();
    const rogue = await httpsRequest('/healthz', { cert: certs.rogue.cert, key: certs.rogue.key });
    expect(rogue.status).toBeNull();
    if (hasCommand('curl')) {
      const c = await curl('/healthz');
      expect(c.code).not.toBe(0);
      expect(c.status).toBe('000');
      const r = await curl('/healthz', ['--cert', certs.rogue.cert, '--key', certs.rogue.key]);
      expect(r.status).toBe('000');
    }
  });

  it('a CA-signed certificate outside allow_subjects gets 403 tls_refused, and no route runs', async () => {
    const a2 = certs.clients['app-2']!;
    const r = await httpsRequest('/ring', { cert: a2.cert, key: a2.key });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toEqual({
      code: 'tls_refused',
      message: "TLS client refused: the client certificate subject 'CN=app-2, O=shardgate-test' is not in allow_subjects",
    });
    const put = await httpsRequest('/config', { cert: a2.cert, key: a2.key, method: 'PUT', token: TOKEN });
    expect(put.status).toBe(403);
    expect(proxy.output()).toContain('admin API: TLS client refused');
  });

  it('a reload that changes allow_subjects applies to new connections without re-opening the listener', async () => {
    const opened = count('admin API listening on');
    await reload(mutual(certs, 'CN=app-2, O=shardgate-test'), 'shardgate.admin.tls (certificates re-read');
    expect(count('admin API listening on')).toBe(opened);
    const a1 = certs.clients['app-1']!;
    const a2 = certs.clients['app-2']!;
    expect((await httpsRequest('/healthz', { cert: a2.cert, key: a2.key })).status).toBe(200);
    expect((await httpsRequest('/healthz', { cert: a1.cert, key: a1.key })).status).toBe(403);
  });

  it('a rotated certificate file is read again on reload (its bytes, the same path)', async () => {
    // The server certificate's file now holds app-1's certificate and key (no IP in its names): clients see the new bytes.
    const rotated = path.join(tmpDir('shardgate-admin-rot-'), 'admin');
    fs.copyFileSync(certs.serverCert, `${rotated}.crt`);
    fs.copyFileSync(certs.serverKey, `${rotated}.key`);
    const files = [`cert: ${rotated}.crt`, `key: ${rotated}.key`, `ca: ${certs.ca}`, 'client_certs: require', 'allow_subjects: ["CN=app-2"]'];
    await reload(files, 'shardgate.admin.tls (certificates re-read');
    const a2 = certs.clients['app-2']!;
    expect((await httpsRequest('/healthz', { cert: a2.cert, key: a2.key })).status).toBe(200);
    fs.copyFileSync(certs.clients['app-1']!.cert, `${rotated}.crt`);
    fs.copyFileSync(certs.clients['app-1']!.key, `${rotated}.key`);
    await reload(files, 'shardgate.admin.tls (certificates re-read');
    const after = await httpsRequest('/healthz', { cert: a2.cert, key: a2.key });
    expect(after.status).toBeNull();
    expect(after.error).toMatch(/IP: 127\.0\.0\.1|altnames|certificate/i);
  });

  it('a reload that turns TLS off serves plain HTTP again on the same address', async () => {
    await reload(null, `admin API listening on http://127.0.0.1:${adminPort}`);
    expect((await httpRequest('/healthz')).status).toBe(200);
  });
});

describe('shardgate proxy -t checks the admin TLS files', () => {
  const check = (tls: string[]) => {
    const dir = tmpDir('shardgate-admin-t-');
    const file = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(file, yaml(tls));
    return run(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', file]).then((r) => ({ ...r, file }));
  };

  it('valid files are ok; a missing file, a key that is not the certificate\'s and mTLS without a CA are errors naming the key', async () => {
    expect((await check(mutual(certs, 'CN=app-1'))).out).toContain('syntax is ok');
    const missing = path.join(certs.dir, 'nope.crt');
    const m = await check([`cert: ${missing}`, `key: ${certs.serverKey}`]);
    expect(m.code).toBe(1);
    expect(m.out).toContain(`${m.file}, line 11, key 'shardgate.admin.tls.cert': cannot read '${missing}': no such file`);
    const k = await check([`cert: ${certs.serverCert}`, `key: ${certs.clients['app-1']!.key}`]);
    expect(k.out).toContain("key 'shardgate.admin.tls.key'");
    expect(k.out).toContain('is not the private key of the certificate');
    const noCa = await check([...serverOnly(certs), 'client_certs: require']);
    expect(noCa.out).toContain("key 'shardgate.admin.tls.client_certs': 'require' needs tls.ca");
    expect(noCa.out).not.toMatch(/at .*\.js:\d+/); // no stack
  });
});
