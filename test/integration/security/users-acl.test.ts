// Users and ACL rules (`shardgate: users:`), through the real CLI in front of
// a real redis-server. The same users are set on a second, reference
// redis-server with ACL SETUSER, and the same command sequences are sent to
// both: the proxy's replies (OK, values, -NOPERM for commands and keys,
// -WRONGPASS, -NOAUTH) must equal Redis's own. Then what is ours: dangerous
// commands need an explicit grant, a denied request never reaches a backend,
// Twemproxy's redis_auth still works, ACL WHOAMI/LIST/CAT, failed attempts
// counted and logged without the password, users change on reload.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { createClient } from 'redis';

const USERS = [
  { name: 'app', password: 's3cret', rules: '~app:* +@read +@write -@dangerous' },
  { name: 'reader', password: 'r3ad', rules: '~* +@read' },
  { name: 'ops', password: 'adm1n', rules: 'allkeys +@all', hashed: true },
  { name: 'limited', password: 'l1m', rules: '~t:* +get +set +config|get -set' },
  { name: 'gone', password: 'g0ne', rules: 'off ~* +@all' },
];

let backend: Proc;
let reference: Proc;
/** the open pool's server (no password) */
let plainBackend: Proc;
let proxy: Proc;
let port = 0;
let noAuthPort = 0;
let conf = '';

function yaml(users = USERS): string {
  const u = users.map((x) => [
    `    - name: ${x.name}`,
    x.hashed ? `      password_sha256: ${crypto.createHash('sha256').update(x.password).digest('hex')}` : `      password: ${x.password}`,
    `      rules: "${x.rules}"`,
  ].join('\n'));
  return [
    'shardgate:', '  users:', ...u,
    'twem:', `  listen: 127.0.0.1:${port}`, '  redis: true', '  redis_auth: tw3m', '  servers:', `    - 127.0.0.1:${backend.port}:1`,
    'open:', `  listen: 127.0.0.1:${noAuthPort}`, '  redis: true', '  servers:', `    - 127.0.0.1:${plainBackend.port}:1`,
  ].join('\n') + '\n';
}

beforeAll(async () => {
  // redis_auth is also what the proxy sends to its servers (as nutcracker): the backend takes it
  [backend, reference, plainBackend] = await Promise.all([startRedis(['--requirepass', 'tw3m']), startRedis(), startRedis()]);
  port = await freePort();
  noAuthPort = await freePort();
  conf = path.join(tmpDir('shardgate-acl-'), 'proxy.yaml');
  fs.writeFileSync(conf, yaml());
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port);
  await proxy.waitForOutput('pool open listening');
  const ref = await RespClient.connect(reference.port);
  for (const u of USERS) {
    // Redis's own rule for a hashed password is '#<hex>'; the rules are the same text
    const rules = u.rules;
    expect(await ref.call(['ACL', 'SETUSER', u.name, 'reset', 'on', `>${u.password}`, ...rules.split(' ')])).toBe('OK');
  }
  ref.close();
}, 60_000);
afterAll(async () => { await proxy?.stop(); await backend?.stop(); await reference?.stop(); await plainBackend?.stop(); });

/** The raw replies of a sequence of commands on one new connection. */
async function replies(p: number, cmds: string[][]): Promise<string[]> {
  const c = await RespClient.connect(p);
  if (p === backend.port) await c.raw(['AUTH', 'tw3m']);
  const out: string[] = [];
  for (const cmd of cmds) out.push((await c.raw(cmd)).toString('latin1'));
  c.close();
  return out;
}

describe('users and ACL rules, compared with redis-server', () => {
  const sequences: Array<[string, string[][]]> = [
    ['app: its keys read and written, others refused', [
      ['AUTH', 'app', 's3cret'], ['SET', 'app:1', 'v'], ['GET', 'app:1'], ['SET', 'other', 'x'], ['GET', 'other'],
      ['MGET', 'app:1', 'app:2'], ['MGET', 'app:1', 'other'], ['MSET', 'app:a', '1', 'app:b', '2'], ['MSET', 'app:c', '1', 'nope', '2'],
      ['DEL', 'app:a', 'zzz'], ['HSET', 'app:h', 'f', 'v'], ['HGET', 'app:h', 'f'], ['INCR', 'app:n'], ['FLUSHALL'], ['CONFIG', 'SET', 'maxmemory', '1'],
    ]],
    ['reader: reads anywhere, no writes', [
      ['AUTH', 'reader', 'r3ad'], ['GET', 'app:1'], ['SET', 'app:1', 'w'], ['DEL', 'app:1'], ['EXISTS', 'app:1', 'other'], ['STRLEN', 'app:1'],
    ]],
    ['limited: single commands, -set after +set', [
      ['AUTH', 'limited', 'l1m'], ['GET', 't:1'], ['SET', 't:1', 'x'], ['GET', 'x:1'], ['INCR', 't:1'], ['CONFIG', 'SET', 'maxmemory', '0'],
    ]],
    ['bad passwords, a disabled user, an unknown user', [
      ['AUTH', 'app', 'wrong'], ['AUTH', 'gone', 'g0ne'], ['AUTH', 'nobody', 'x'], ['AUTH', 'app', 's3cret'], ['GET', 'app:1'],
    ]],
  ];
  for (const [what, cmds] of sequences) {
    it(what, async () => {
      const ours = await replies(port, cmds);
      const theirs = await replies(reference.port, cmds);
      expect(ours).toEqual(theirs);
      expect(ours.some((r) => r.startsWith('-NOPERM') || r.startsWith('-WRONGPASS'))).toBe(true);
    });
  }

  it('HELLO 2 AUTH user pass authenticates as that user', async () => {
    const c = await RespClient.connect(port);
    const hello = await c.call(['HELLO', '2', 'AUTH', 'reader', 'r3ad']) as unknown[];
    expect(hello.slice(0, 2)).toEqual(['server', 'redis']);
    expect(await c.call(['ACL', 'WHOAMI'])).toEqual(expect.objectContaining({ message: expect.stringMatching(/^NOPERM .*'acl\|whoami'/) }));
    expect((await c.raw(['SET', 'k', 'v'])).toString()).toBe("-NOPERM this user has no permissions to run the 'set' command\r\n");
    const bad = await c.raw(['HELLO', '2', 'AUTH', 'reader', 'nope']);
    expect(bad.toString()).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    c.close();
  });

  it('HELLO 3 AUTH: a good pair answers the RESP3 map as that user; a bad one, a disabled or an unknown user get the same errors as Redis', async () => {
    const cmds = [
      ['HELLO', '3', 'AUTH', 'app', 'wrong'], ['HELLO', '3', 'AUTH', 'gone', 'g0ne'], ['HELLO', '3', 'AUTH', 'nobody', 'x'],
      ['HELLO', '3', 'AUTH', 'app'], ['HELLO', '3', 'AUTH', 'app', 's3cret', 'SETNAME', 'h3'], ['ACL', 'WHOAMI'], ['GET', 'app:1'], ['GET', 'other'],
      ['CLIENT', 'GETNAME'],
    ];
    const ours = await replies(port, cmds);
    const theirs = await replies(reference.port, cmds);
    // the map's server fields differ (version, id); its keys and the protocol do not
    const shape = (r: string) => (r.startsWith('%') ? r.replace(/\r\n:\d+\r\n/g, '\r\n:N\r\n').replace(/\$\d+\r\n\d+\.\d+\.\d+\r\n/, '$V\r\nX.Y.Z\r\n') : r);
    expect(ours.map(shape)).toEqual(theirs.map(shape));
    expect(ours[0]).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(ours[4]).toMatch(/^%7\r\n/);
    // it is app now: its rules (no ACL, keys app:* only) apply, as on Redis
    expect(ours[5]).toMatch(/^-NOPERM .*'acl\|whoami'/);
    expect(ours[7]).toBe('-NOPERM this user has no permissions to access one of the keys used as arguments\r\n');
  });

  it('node-redis 6 createClient({ username, password }) with default options (HELLO 3 AUTH) works; a bad password is refused', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, username: 'app', password: 's3cret' });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.set('app:nr6', 'v6')).toBe('OK');
      expect(await client.get('app:nr6')).toBe('v6');
      expect(await client.sendCommand(['HELLO'])).toMatchObject({ proto: 3 });
      await expect(client.get('other')).rejects.toThrow(/NOPERM/);
    } finally {
      client.destroy();
    }
    const failures = Number(/auth_failures:(\d+)/.exec((await replies(port, [['AUTH', 'ops', 'adm1n'], ['INFO', 'stats']]))[1]!)![1]);
    const bad = createClient({ url: `redis://127.0.0.1:${port}`, username: 'app', password: 'not-s3cret', socket: { reconnectStrategy: false } });
    bad.on('error', () => {});
    const outcome = await Promise.race([
      bad.connect().then(() => 'connected', (e: Error) => e.message),
      new Promise<string>((r) => setTimeout(() => r('no answer in 10 s'), 10_000)),
    ]);
    bad.destroy();
    expect(outcome).toMatch(/WRONGPASS/);
    const after = Number(/auth_failures:(\d+)/.exec((await replies(port, [['AUTH', 'ops', 'adm1n'], ['INFO', 'stats']]))[1]!)![1]);
    expect(after).toBe(failures + 1);
    expect(proxy.output()).not.toContain('not-s3cret');
  });
});

describe('what the proxy adds', () => {
  it('-NOAUTH before AUTH on a pool with users; redis_auth is the default user; no users on the open pool means none needed', async () => {
    const [noauth] = await replies(port, [['GET', 'app:1']]);
    expect(noauth).toBe('-NOAUTH Authentication required.\r\n');
    const tw = await replies(port, [['AUTH', 'tw3m'], ['SET', 'tw:1', 'x'], ['ACL', 'WHOAMI'], ['AUTH', 'default', 'tw3m']]);
    expect(tw).toEqual(['+OK\r\n', '+OK\r\n', '$7\r\ndefault\r\n', '+OK\r\n']);
    // users are process-wide: the open pool wants AUTH too, and redis_auth of another pool is not its password
    const open = await replies(noAuthPort, [['GET', 'x'], ['AUTH', 'tw3m'], ['AUTH', 'app', 's3cret'], ['SET', 'app:o', 'v'], ['GET', 'app:o'], ['GET', 'x']]);
    expect(open[0]).toBe('-NOAUTH Authentication required.\r\n');
    expect(open[1]).toMatch(/^-WRONGPASS/);
    expect(open.slice(2)).toEqual(['+OK\r\n', '+OK\r\n', '$1\r\nv\r\n', '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n']);
  });

  it('dangerous commands need an explicit grant: +@read does not grant KEYS; +@all does (then the proxy decides)', async () => {
    const r = await replies(port, [['AUTH', 'reader', 'r3ad'], ['KEYS', '*'], ['AUTH', 'ops', 'adm1n'], ['KEYS', '*'], ['FLUSHDB']]);
    expect(r[1]).toBe("-NOPERM this user has no permissions to run the 'keys' command\r\n");
    // ops passes the ACL: KEYS is answered (from every server), FLUSHDB is not refused for permissions
    expect(r[3]).toMatch(/^\*\d+\r\n/);
    expect(r[4]).not.toMatch(/^-NOPERM/);
  });

  it('a denied request never reaches a backend', async () => {
    const before = (await replies(backend.port, [['INFO', 'commandstats']]))[0]!;
    await replies(port, [['AUTH', 'app', 's3cret'], ['SET', 'denied:1', 'x'], ['GET', 'denied:2'], ['MSET', 'app:z', '1', 'denied:3', '1']]);
    const after = (await replies(backend.port, [['INFO', 'commandstats']]))[0]!;
    const count = (s: string, cmd: string) => Number(s.match(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`))?.[1] ?? 0);
    for (const cmd of ['set', 'get', 'mset']) expect(count(after, cmd)).toBe(count(before, cmd));
    expect((await replies(backend.port, [['EXISTS', 'denied:1', 'app:z']]))[0]).toBe(':0\r\n');
  });

  it('ACL WHOAMI, LIST (no password, no hash), USERS, CAT', async () => {
    const r = await replies(port, [['AUTH', 'ops', 'adm1n'], ['ACL', 'WHOAMI'], ['ACL', 'LIST'], ['ACL', 'CAT'], ['ACL', 'CAT', 'dangerous'], ['ACL', 'SETUSER', 'x']]);
    expect(r[1]).toBe('$3\r\nops\r\n');
    for (const u of USERS) {
      expect(r[2]).toContain(`user ${u.name} `);
      expect(r[2]).not.toContain(u.password);
      expect(r[2]).not.toContain(crypto.createHash('sha256').update(u.password).digest('hex'));
    }
    expect(r[2]).toContain('user app on ~app:* +@read +@write -@dangerous');
    const refCat = (await replies(reference.port, [['AUTH', 'ops', 'adm1n'], ['ACL', 'CAT']]))[1]!;
    const cats = (s: string) => s.split('\r\n').filter((l) => /^[a-z]+$/.test(l)).sort();
    expect(cats(r[3]!)).toEqual(cats(refCat));
    expect(r[4]).toContain('flushall');
    expect(r[5]).toMatch(/^-ERR unsupported command 'acl setuser' \(users and their rules live in the config file/);
  });

  it('COMMAND INFO carries the ACL categories redis-server gives', async () => {
    const ask = ['COMMAND', 'INFO', 'get', 'set', 'flushall', 'keys', 'acl'];
    const ours = await RespClient.connect(port);
    await ours.call(['AUTH', 'ops', 'adm1n']);
    const theirs = await RespClient.connect(reference.port);
    await theirs.call(['AUTH', 'ops', 'adm1n']);
    const cats = (reply: unknown) => (reply as unknown[][]).map((c) => [c[0], c[6]]);
    const mine = cats(await ours.call(ask));
    expect(mine).toEqual(cats(await theirs.call(ask)));
    expect(mine.find((c) => c[0] === 'flushall')![1]).toContain('@dangerous');
    ours.close();
    theirs.close();
  });

  it('failed attempts are counted in INFO and logged with the user, never the password', async () => {
    await replies(port, [['AUTH', 'app', 'hunter2-wrong'], ['AUTH', 'nobody', 'hunter3-wrong']]);
    const info = (await replies(port, [['AUTH', 'ops', 'adm1n'], ['INFO', 'stats']]))[1]!;
    expect(Number(info.match(/auth_failures:(\d+)/)![1])).toBeGreaterThanOrEqual(2);
    await proxy.waitForOutput('"user":"nobody"');
    expect(proxy.output()).toContain('AUTH failed');
    expect(proxy.output()).not.toContain('hunter2-wrong');
    expect(proxy.output()).not.toContain('hunter3-wrong');
  });

  it('a burst of failed AUTH is counted one by one but logged at most 20 lines a second, then one line with the rest', async () => {
    const lines = () => proxy.output().split('\n').filter((l) => l.includes('"msg":"AUTH failed"')).length;
    const before = lines();
    const infoFailures = async () => Number(/auth_failures:(\d+)/.exec((await replies(port, [['AUTH', 'ops', 'adm1n'], ['INFO', 'stats']]))[1]!)![1]);
    const counted = await infoFailures();
    const burst = await replies(port, Array.from({ length: 200 }, (_, i) => ['AUTH', 'app', `guess-${i}`]));
    expect(burst.every((r) => r.startsWith('-WRONGPASS'))).toBe(true);
    expect(await infoFailures()).toBe(counted + 200);
    // a second or more later, the next failure says how many were left out
    await new Promise((r) => setTimeout(r, 2100));
    await replies(port, [['AUTH', 'app', 'one-more']]);
    await proxy.waitForOutput('more times (not logged one by one)');
    // the burst may straddle a second boundary: at most two seconds' budget, far fewer than 200
    expect(lines() - before).toBeLessThanOrEqual(2 * 20 + 1);
    expect(proxy.output()).not.toContain('guess-1');
  });

  it('a reload changes the rules of a connected user at its next command; a removed user must AUTH again', async () => {
    const c = await RespClient.connect(port);
    expect(await c.call(['AUTH', 'limited', 'l1m'])).toBe('OK');
    expect((await c.raw(['GET', 't:1'])).toString()).toMatch(/^\$/);
    const next = USERS.map((u) => (u.name === 'reader' ? { ...u, rules: '~* +@read +@write' } : u)).filter((u) => u.name !== 'limited');
    fs.writeFileSync(conf, yaml(next));
    process.kill(proxy.pid, 'SIGHUP');
    await proxy.waitForOutput('users (new AUTH');
    expect((await c.raw(['GET', 't:1'])).toString()).toBe('-NOAUTH Authentication required.\r\n');
    c.close();
    const r = await replies(port, [['AUTH', 'reader', 'r3ad'], ['SET', 'reload:1', 'x']]);
    expect(r).toEqual(['+OK\r\n', '+OK\r\n']);
  });
});
