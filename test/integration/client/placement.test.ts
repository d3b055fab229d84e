// The client places every key where the proxy does. For several pools
// (ketama and modula, six hash functions, weights, named and unnamed servers,
// hash tags) 100k random keys — binary, non-ASCII, empty, tagged — are written
// through the real `shardgate proxy`, read back from each redis-server with
// KEYS, and each key's server is compared with serverFor() of a client built
// from the same config file.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from '../../../src/client/index.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';

const KEYS = 100_000;
const SEED = Number(process.env.PLACEMENT_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** xorshift32: the failing seed is in the test name, so a failure can be replayed with PLACEMENT_SEED. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
}

function randomKeys(n: number, seed: number): Buffer[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const words = ['user', 'sess', 'ключ', '键', 'clé', '🔑', 'a', ''];
  const seen = new Set<string>();
  const out: Buffer[] = [];
  const add = (b: Buffer) => { const h = b.toString('hex'); if (!seen.has(h)) { seen.add(h); out.push(b); } };
  add(Buffer.alloc(0));
  while (out.length < n) {
    const kind = r();
    if (kind < 0.3) { // arbitrary bytes, CR/LF and NUL included
      const b = Buffer.alloc(1 + Math.floor(r() * 40));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
      add(b);
    } else if (kind < 0.6) { // text with non-ASCII
      add(Buffer.from(`${pick(words)}:${Math.floor(r() * 1e9)}:${pick(words)}`, 'utf8'));
    } else if (kind < 0.85) { // hash tags of several shapes: {x}, [x], empty {}, unclosed {
      const tag = pick(['{', '[']);
      const close = tag === '{' ? '}' : ']';
      const inner = pick(['', `u${Math.floor(r() * 50)}`, pick(words)]);
      add(Buffer.from(`${pick(words)}${tag}${inner}${r() < 0.9 ? close : ''}:${Math.floor(r() * 1e6)}`, 'utf8'));
    } else {
      add(Buffer.from(String(Math.floor(r() * 1e12))));
    }
  }
  return out;
}

interface Case { title: string; distribution: 'ketama' | 'modula'; hash: string; hashTag: string | null; weights: number[]; named: boolean }
const CASES: Case[] = [
  { title: 'ketama fnv1a_64, names, weights 1/2/3, tag {}', distribution: 'ketama', hash: 'fnv1a_64', hashTag: '{}', weights: [1, 2, 3], named: true },
  { title: 'ketama md5, unnamed (host:port), weights 1', distribution: 'ketama', hash: 'md5', hashTag: null, weights: [1, 1, 1], named: false },
  { title: 'ketama murmur, names, weights 5/1/2, tag []', distribution: 'ketama', hash: 'murmur', hashTag: '[]', weights: [5, 1, 2], named: true },
  { title: 'modula crc32a, names, weights 1/2/1, tag {}', distribution: 'modula', hash: 'crc32a', hashTag: '{}', weights: [1, 2, 1], named: true },
  { title: 'modula hsieh, unnamed, weights 3/1/1', distribution: 'modula', hash: 'hsieh', hashTag: null, weights: [3, 1, 1], named: false },
  { title: 'ketama jenkins, names, weights 1/1/4, tag []', distribution: 'ketama', hash: 'jenkins', hashTag: '[]', weights: [1, 1, 4], named: true },
];

let redis: Proc[] = [];
let direct: Redis[] = [];
const keys = randomKeys(KEYS, SEED);

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2].map(() => startRedis()));
  direct = redis.map((r) => new Redis({ port: r.port }));
});
afterAll(async () => {
  for (const d of direct) d.disconnect();
  await Promise.all(redis.map((r) => r.stop()));
});

describe(`client placement equals the proxy's (100k keys, seed ${SEED})`, () => {
  for (const k of CASES) {
    it(k.title, async () => {
      await Promise.all(direct.map((d) => d.flushall()));
      const port = await freePort();
      const names = ['alpha', 'beta', 'gamma'];
      const labels = redis.map((r, i) => (k.named ? names[i]! : `127.0.0.1:${r.port}`));
      const file = path.join(tmpDir('shardgate-placement-'), 'proxy.yaml');
      fs.writeFileSync(file, [
        'cache:', `  listen: 127.0.0.1:${port}`, `  hash: ${k.hash}`, `  distribution: ${k.distribution}`,
        ...(k.hashTag ? [`  hash_tag: "${k.hashTag}"`] : []), '  redis: true', '  servers:',
        ...redis.map((r, i) => `    - 127.0.0.1:${r.port}:${k.weights[i]}${k.named ? ` ${names[i]}` : ''}`), '',
      ].join('\n'));
      const proxy = await startShardgate(['proxy', '-c', file, '-s', '0'], port);
      const viaProxy = new Redis({ port, enableOfflineQueue: true });
      const client = await createClient({ config: file, pool: 'cache' });
      try {
        for (let i = 0; i < keys.length; i += 2000) {
          const p = viaProxy.pipeline();
          for (let j = i; j < Math.min(i + 2000, keys.length); j++) p.set(keys[j]!, String(j));
          const res = await p.exec();
          expect(res!.every(([err]) => err === null)).toBe(true);
        }
        const where = new Map<string, string>();
        for (let s = 0; s < redis.length; s++) {
          for (const key of await direct[s]!.keysBuffer('*')) where.set(key.toString('hex'), labels[s]!);
        }
        expect(where.size).toBe(keys.length);
        let wrong = 0;
        const examples: string[] = [];
        const perServer = new Map<string, number>();
        for (const key of keys) {
          const proxyPut = where.get(key.toString('hex'));
          const mine = client.serverFor(key);
          perServer.set(mine!, (perServer.get(mine!) ?? 0) + 1);
          if (mine !== proxyPut) { wrong++; if (examples.length < 5) examples.push(`${key.toString('hex')}: proxy ${proxyPut}, client ${mine}`); }
        }
        expect(examples).toEqual([]);
        expect(wrong).toBe(0);
        // every server got keys (the test is not vacuous)
        expect([...perServer.keys()].sort()).toEqual([...labels].sort());
      } finally {
        viaProxy.disconnect();
        await client.quit();
        await proxy.stop();
      }
    }, 180_000);
  }

  it('a client from server lines and one from the config file agree', async () => {
    const lines = redis.map((r, i) => `127.0.0.1:${r.port}:${i + 1} s${i}`);
    const file = path.join(tmpDir('shardgate-placement-'), 'proxy.yaml');
    fs.writeFileSync(file, ['p:', '  listen: 127.0.0.1:1', '  hash: crc32a', '  hash_tag: "{}"', '  redis: true', '  servers:', ...lines.map((l) => `    - ${l}`), ''].join('\n'));
    const a = await createClient({ config: file, pool: 'p' });
    const b = await createClient({ servers: lines, hash: 'crc32a', hashTag: '{}' });
    try {
      for (const key of keys.slice(0, 20_000)) expect(b.serverFor(key)).toBe(a.serverFor(key));
    } finally {
      await a.quit();
      await b.quit();
    }
  });
});
