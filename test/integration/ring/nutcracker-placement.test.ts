// Placement against the REAL nutcracker 0.5.0: for each config, keys are SET
// through nutcracker, each redis-server is asked which keys it holds, and the
// answer must equal buildRing(...).pick for every key. Covers all twelve hashes
// over ketama and modula, weights, named servers, hash_tag "{}" and "$$",
// binary keys, empty/unclosed tags, an ejected server, and random.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import path from 'node:path';
import { startNutcracker, startRedis, tmpDir, type Proc } from '../../fixtures/procs.js';
import { buildRing, hashFunction, serverHashName, type Distribution, type HashName, type RingServer } from '../../../src/ring/index.js';
import { buildContinuum, ketamaLookup } from '../../../src/ring/ketama.js';
import { command, pipeline, testKeys, type Reply } from './resp-wire.js';

interface Case {
  dist: Distribution;
  hash: HashName;
  weights?: number[];
  names?: (string | null)[];
  tag?: string;
}

const CASES: Case[] = [
  { dist: 'ketama', hash: 'md5' },
  { dist: 'ketama', hash: 'fnv1a_64', weights: [1, 2, 3, 1] },
  { dist: 'ketama', hash: 'fnv1_64', tag: '{}' },
  { dist: 'ketama', hash: 'fnv1_32', names: ['server-b', 'a', 'server-a', 'zz'] },
  { dist: 'ketama', hash: 'fnv1a_32', tag: '{}', weights: [3, 1, 1, 1] },
  { dist: 'ketama', hash: 'one_at_a_time', weights: [5, 1, 1, 2], names: ['alpha', 'beta', null, 'gamma'] },
  { dist: 'ketama', hash: 'hsieh', tag: '$$' },
  { dist: 'ketama', hash: 'murmur', tag: '{}' },
  { dist: 'ketama', hash: 'jenkins', weights: [1, 1, 10, 1] },
  { dist: 'ketama', hash: 'crc16', weights: [2, 2, 1, 1] },
  { dist: 'ketama', hash: 'crc32' },
  { dist: 'ketama', hash: 'crc32a', names: ['n4', 'n3', 'n2', 'n1'] },
  { dist: 'modula', hash: 'md5' },
  { dist: 'modula', hash: 'fnv1a_64', weights: [1, 2, 3, 4] },
  { dist: 'modula', hash: 'crc16', weights: [2, 1, 1, 3] },
  { dist: 'modula', hash: 'crc32', tag: '{}' },
  { dist: 'modula', hash: 'hsieh', names: ['web-10', 'web-9', 'web-1', 'db'] },
  { dist: 'modula', hash: 'murmur', weights: [1, 3, 1, 1] },
  { dist: 'modula', hash: 'jenkins', tag: '{}' },
  { dist: 'modula', hash: 'one_at_a_time', weights: [2, 1, 2, 1], tag: '{}' },
  { dist: 'modula', hash: 'fnv1_32' },
  { dist: 'modula', hash: 'fnv1a_32', weights: [1, 1, 1, 2] },
  { dist: 'modula', hash: 'fnv1_64', names: ['x', 'yy', 'zzz', 'w'] },
  { dist: 'modula', hash: 'crc32a', weights: [4, 3, 2, 1] },
];

let redis: Proc[] = [];
const KEYS = testKeys(20261129, 300);

/** A fifth server, only for the float32 case (no 4-server weights expose it). */
let fifth: Proc;
beforeAll(async () => {
  [fifth, ...redis] = await Promise.all([0, 1, 2, 3, 4].map(() => startRedis()));
});
afterAll(async () => { await fifth?.stop(); });
afterAll(async () => { await Promise.all(redis.map((r) => r.stop())); });

function yamlFor(port: number, c: Case, ports: number[], extra = ''): string {
  const lines = ports.map((p, i) => {
    const name = c.names?.[i] ?? null;
    return `    - 127.0.0.1:${p}:${c.weights?.[i] ?? 1}${name === null ? '' : ` ${name}`}`;
  });
  return [
    'pool:',
    `  listen: 127.0.0.1:${port}`,
    `  hash: ${c.hash}`,
    `  distribution: ${c.dist}`,
    ...(c.tag !== undefined ? [`  hash_tag: "${c.tag}"`] : []),
    '  redis: true',
    '  timeout: 2000',
    extra,
    '  servers:',
    ...lines,
    '',
  ].join('\n');
}

function ringServers(c: Case, ports: number[]): RingServer[] {
  return ports.map((p, i) => {
    const w = c.weights?.[i] ?? 1;
    return { name: serverHashName('127.0.0.1', p, w, c.names?.[i] ?? null), weight: w };
  });
}

/** Which redis (index into `redis`) holds each key, by hex. */
async function whereIs(): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  for (const [i, r] of redis.entries()) {
    const keys = await command(r.port, 'KEYS', '*') as Buffer[];
    for (const k of keys) {
      expect(at.has(k.toString('hex')), `key ${k.toString('hex')} on two servers`).toBe(false);
      at.set(k.toString('hex'), i);
    }
  }
  return at;
}

async function flushAll(): Promise<void> {
  await Promise.all(redis.map((r) => command(r.port, 'FLUSHALL')));
}

async function withNutcracker<T>(yaml: string, port: number, fn: () => Promise<T>): Promise<T> {
  const nc = await startNutcracker(yaml, port);
  try { return await fn(); } finally { await nc.stop(); await flushAll(); }
}

const setAll = (port: number, keys: Buffer[]): Promise<Reply[]> => pipeline(port, keys.map((k) => ['SET', k, '1']));

describe('placement is the same as the real nutcracker 0.5.0', () => {
  it.each(CASES.map((c) => [`${c.dist} ${c.hash}${c.weights ? ` weights ${c.weights.join(',')}` : ''}${c.names ? ' named' : ''}${c.tag ? ` tag ${c.tag}` : ''}`, c] as const))('%s', async (_label, c) => {
    const ports = redis.map((r) => r.port);
    const port = await freePort();
    const ring = buildRing({ distribution: c.dist, hash: c.hash, hashTag: c.tag ?? null, servers: ringServers(c, ports) });
    await withNutcracker(yamlFor(port, c, ports), port, async () => {
      const replies = await setAll(port, KEYS);
      expect(replies.filter((r) => r !== 'OK')).toEqual([]);
      const at = await whereIs();
      expect(at.size).toBe(KEYS.length);
      const wrong = KEYS.filter((k) => at.get(k.toString('hex')) !== ring.pick(k, 0, k.length)).map((k) => k.toString('hex'));
      expect(wrong).toEqual([]);
      // The config spreads keys over several servers; except ketama+crc32, whose
      // 15-bit hashes all fall below the first few continuum points (nutcracker
      // does the same: see docs/ring.md).
      if (!(c.dist === 'ketama' && c.hash === 'crc32')) expect(new Set(at.values()).size).toBeGreaterThan(1);
    });
  });

  it('ketama counts points in float32 like the C code (weights 1,6,6,6,6 over 5 servers)', async () => {
    const c: Case = { dist: 'ketama', hash: 'md5', weights: [1, 6, 6, 6, 6] };
    const all = [...redis, fifth];
    const ports = all.map((r) => r.port);
    const servers = ringServers(c, ports);
    const ring = buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers });
    // The same continuum with the point count computed in double precision.
    const members = servers.map((s, index) => ({ name: Buffer.from(s.name), weight: s.weight, index }))
      .sort((a, b) => a.name.length - b.name.length || Buffer.compare(a.name, b.name));
    const dbl = buildContinuum(members, (w, t, n) => Math.floor(w / t * 160 / 4 * n + 0.0000000001) * 4);
    const candidates = Array.from({ length: 40_000 }, (_, i) => Buffer.from(`float:${i}`));
    const md5 = hashFunction('md5');
    const disputed = candidates.filter((k) => ketamaLookup(dbl, md5(k, 0, k.length)) !== ring.pick(k, 0, k.length));
    expect(disputed.length).toBeGreaterThan(0);
    const port = await freePort();
    await withNutcracker(yamlFor(port, c, ports), port, async () => {
      const replies = await setAll(port, disputed);
      expect(replies.filter((r) => r !== 'OK')).toEqual([]);
      const at = new Map<string, number>();
      for (const [i, r] of all.entries()) for (const k of await command(r.port, 'KEYS', '*') as Buffer[]) at.set(k.toString('hex'), i);
      expect(disputed.filter((k) => at.get(k.toString('hex')) !== ring.pick(k, 0, k.length)).map(String)).toEqual([]);
      await command(fifth.port, 'FLUSHALL');
    });
  });

  it('25 equal-weight servers get 156 points each, not 160 (float32), as named entries over 4 redis', async () => {
    // Entry i is "127.0.0.1:<redis i % 4>:1 sNN": names keep entries distinct.
    const ports = redis.map((r) => r.port);
    const entries = Array.from({ length: 25 }, (_, i) => ({ port: ports[i % 4]!, name: `s${String(i).padStart(2, '0')}` }));
    const servers = entries.map((e) => ({ name: serverHashName('127.0.0.1', e.port, 1, e.name), weight: 1 }));
    const ring = buildRing({ distribution: 'ketama', hash: 'murmur', hashTag: null, servers });
    const members = servers.map((s, index) => ({ name: Buffer.from(s.name), weight: 1, index }))
      .sort((a, b) => a.name.length - b.name.length || Buffer.compare(a.name, b.name));
    const all160 = buildContinuum(members, () => 160);
    const murmur = hashFunction('murmur');
    const disputed = Array.from({ length: 20_000 }, (_, i) => Buffer.from(`q:${i}`))
      .filter((k) => ketamaLookup(all160, murmur(k, 0, k.length)) % 4 !== ring.pick(k, 0, k.length) % 4);
    expect(disputed.length).toBeGreaterThan(20);
    const port = await freePort();
    const yaml = ['pool:', `  listen: 127.0.0.1:${port}`, '  hash: murmur', '  distribution: ketama', '  redis: true', '  servers:',
      ...entries.map((e) => `    - 127.0.0.1:${e.port}:1 ${e.name}`), ''].join('\n');
    await withNutcracker(yaml, port, async () => {
      const replies = await setAll(port, disputed);
      expect(replies.filter((r) => r !== 'OK')).toEqual([]);
      const at = await whereIs();
      expect(disputed.filter((k) => at.get(k.toString('hex')) !== ring.pick(k, 0, k.length) % 4).map(String)).toEqual([]);
    });
  });

  it('unix-socket servers are hashed as "/path:" (nutcracker keeps the colon)', async () => {
    const dir = tmpDir('shardgate-ring-unix-');
    const socks = [0, 1, 2].map((i) => path.join(dir, `r${i}.sock`));
    const procs = await Promise.all(socks.map((s) => startRedis(['--unixsocket', s, '--unixsocketperm', '700'])));
    try {
      const servers = socks.map((s) => ({ name: serverHashName(s, 0, 1, null), weight: 1 }));
      expect(servers[0]!.name.endsWith('.sock:')).toBe(true);
      const ring = buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers });
      const noColon = buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: socks.map((s) => ({ name: s, weight: 1 })) });
      const keys = KEYS.filter((k) => ring.pick(k, 0, k.length) !== noColon.pick(k, 0, k.length));
      expect(keys.length).toBeGreaterThan(10);
      const port = await freePort();
      const yaml = ['pool:', `  listen: 127.0.0.1:${port}`, '  hash: md5', '  distribution: ketama', '  redis: true', '  servers:', ...socks.map((s) => `    - ${s}:1`), ''].join('\n');
      const nc = await startNutcracker(yaml, port);
      try {
        const replies = await setAll(port, keys);
        expect(replies.filter((r) => r !== 'OK')).toEqual([]);
        const at = new Map<string, number>();
        for (const [i, r] of procs.entries()) for (const k of await command(r.port, 'KEYS', '*') as Buffer[]) at.set(k.toString('hex'), i);
        expect(keys.filter((k) => at.get(k.toString('hex')) !== ring.pick(k, 0, k.length)).map((k) => k.toString('hex'))).toEqual([]);
      } finally { await nc.stop(); }
    } finally { await Promise.all(procs.map((p) => p.stop())); }
  });

  it('the empty key goes where pick says (hash 0)', async () => {
    const c: Case = { dist: 'modula', hash: 'jenkins', weights: [1, 2, 3, 4] };
    const ports = redis.map((r) => r.port);
    const port = await freePort();
    const ring = buildRing({ distribution: c.dist, hash: c.hash, hashTag: null, servers: ringServers(c, ports) });
    await withNutcracker(yamlFor(port, c, ports), port, async () => {
      const empty = Buffer.alloc(0);
      const reply = await command(port, 'SET', empty, '1');
      expect(reply).toBe('OK');
      const at = await whereIs();
      expect(at.get('')).toBe(ring.pick(empty, 0, 0));
    });
  });

  it('an ejected server leaves the ketama continuum and modula table as pick(live) says', async () => {
    const dead = await freePort(); // nothing listens there
    for (const dist of ['ketama', 'modula'] as const) {
      const c: Case = { dist, hash: 'fnv1a_64', weights: [1, 2, 1, 1, 2] };
      const ports = [...redis.map((r) => r.port), dead];
      const servers = ringServers(c, ports);
      const all = buildRing({ distribution: dist, hash: c.hash, hashTag: null, servers });
      const ejected = buildRing({ distribution: dist, hash: c.hash, hashTag: null, servers, live: [true, true, true, true, false] });
      expect(ejected.liveCount).toBe(4);
      const port = await freePort();
      const extra = '  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 600000';
      await withNutcracker(yamlFor(port, c, ports, extra), port, async () => {
        const trigger = KEYS.find((k) => all.pick(k, 0, k.length) === 4)!;
        const first = await command(port, 'SET', trigger, '1');
        expect(first).toBeInstanceOf(Error); // the dead server fails and is ejected
        const replies = await setAll(port, KEYS);
        expect(replies.filter((r) => r !== 'OK')).toEqual([]);
        const at = await whereIs();
        const wrong = KEYS.filter((k) => at.get(k.toString('hex')) !== ejected.pick(k, 0, k.length));
        expect(wrong.map((k) => k.toString('hex'))).toEqual([]);
        // Ejection moved keys: some key that belonged to the dead server now lives elsewhere.
        expect(KEYS.some((k) => all.pick(k, 0, k.length) === 4)).toBe(true);
      });
    }
  });

  it('random: every key lands on some server, and pick covers every live server', async () => {
    const c: Case = { dist: 'random', hash: 'fnv1a_64', weights: [1, 1, 5, 1] };
    const ports = redis.map((r) => r.port);
    const port = await freePort();
    const ring = buildRing({ distribution: 'random', hash: c.hash, hashTag: null, servers: ringServers(c, ports) });
    await withNutcracker(yamlFor(port, c, ports), port, async () => {
      const replies = await setAll(port, KEYS);
      expect(replies.filter((r) => r !== 'OK')).toEqual([]);
      const at = await whereIs();
      expect(at.size).toBe(KEYS.length);
      expect(new Set(at.values()).size).toBe(4);
      const seen = new Set<number>();
      for (const k of KEYS) seen.add(ring.pick(k, 0, k.length));
      expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    });
  });
});
