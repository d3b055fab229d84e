// Ring properties that hold whatever the servers: pick returns a live index,
// ketama moves about 1/N keys when a server joins and only towards it, hash
// tags keep keys together, modula honours weights, config errors are caught.
// Exact placement is checked against the real nutcracker in test/integration/ring.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../../src/errors/index.js';
import { DISTRIBUTIONS, HASH_NAMES, buildRing, serverHashName, type RingServer } from '../../../src/ring/index.js';
import { ketamaPointCount } from '../../../src/ring/ketama.js';

const servers = (n: number, weights?: number[]): RingServer[] =>
  Array.from({ length: n }, (_, i) => ({ name: `10.0.${i >> 8}.${i & 255}:6379`, weight: weights?.[i] ?? 1 }));
const keyOf = (i: number): Buffer => Buffer.from(`key:${i}:${(i * 2654435761) >>> 0}`);
const pick = (r: { pick(b: Buffer, s: number, e: number): number }, k: Buffer) => r.pick(k, 0, k.length);

describe('buildRing', () => {
  it('pick always returns a live server, and -1 when none is live', () => {
    fc.assert(fc.property(
      fc.constantFrom(...DISTRIBUTIONS), fc.constantFrom(...HASH_NAMES),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
      fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 30 }),
      (distribution, hash, spec, keys) => {
        const ring = buildRing({ distribution, hash, hashTag: '{}', servers: servers(spec.length, spec.map((s) => s[0])), live: spec.map((s) => s[1]) });
        const live = spec.map((s) => s[1]);
        expect(ring.liveCount).toBe(live.filter(Boolean).length);
        for (const k of keys) {
          const i = pick(ring, Buffer.from(k));
          if (ring.liveCount === 0) expect(i).toBe(-1);
          else expect(live[i]).toBe(true);
        }
      }), { numRuns: 300 });
  });

  it('ketama: a joining server takes about 1/N of the keys, and keys move only to it', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), fc.constantFrom('md5', 'fnv1a_64', 'murmur', 'jenkins') as fc.Arbitrary<'md5'>, (n, hash) => {
      const before = buildRing({ distribution: 'ketama', hash, hashTag: null, servers: servers(n) });
      const after = buildRing({ distribution: 'ketama', hash, hashTag: null, servers: servers(n + 1) });
      const total = 4000;
      let moved = 0;
      for (let i = 0; i < total; i++) {
        const k = keyOf(i);
        const a = pick(before, k);
        const b = pick(after, k);
        if (a !== b) { moved++; expect(b).toBe(n); }
      }
      const share = 1 / (n + 1);
      expect(moved / total).toBeGreaterThan(share * 0.5);
      expect(moved / total).toBeLessThan(share * 1.6);
    }), { numRuns: 20 });
  });

  it('ketama: ejecting a server moves only its own keys', () => {
    const all = buildRing({ distribution: 'ketama', hash: 'fnv1a_64', hashTag: null, servers: servers(5) });
    const ejected = buildRing({ distribution: 'ketama', hash: 'fnv1a_64', hashTag: null, servers: servers(5), live: [true, true, false, true, true] });
    for (let i = 0; i < 3000; i++) {
      const k = keyOf(i);
      const a = pick(all, k);
      const b = pick(ejected, k);
      if (a !== 2) expect(b).toBe(a);
      else expect(b).not.toBe(2);
    }
  });

  it('ketama points per server: float32 floor of pct * 40 * nlive, times 4', () => {
    for (let n = 1; n <= 24; n++) expect(ketamaPointCount(1, n, n)).toBe(160);
    // float32 (1/25) * 160 / 4 * 25 is just below 40: 25 equal servers get 156 points each.
    expect(ketamaPointCount(1, 25, 25)).toBe(156);
    // (float)1/25 * 160 / 4 * 5 rounds to just below 8 in float32: 7 * 4 points, not 32.
    expect(ketamaPointCount(1, 25, 5)).toBe(28);
    expect(ketamaPointCount(3, 7, 4)).toBe(Math.floor(3 / 7 * 40 * 4) * 4);
  });

  it('modula: servers share keys in proportion to their weights', () => {
    const ring = buildRing({ distribution: 'modula', hash: 'md5', hashTag: null, servers: servers(3, [1, 2, 5]) });
    const counts = [0, 0, 0];
    const total = 16000;
    for (let i = 0; i < total; i++) counts[pick(ring, keyOf(i))]!++;
    [1, 2, 5].forEach((w, i) => expect(Math.abs(counts[i]! / total - w / 8)).toBeLessThan(0.02));
  });

  it('random: picks every live server and never an ejected one', () => {
    const ring = buildRing({ distribution: 'random', hash: 'md5', hashTag: null, servers: servers(4), live: [true, false, true, true] });
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) seen.add(pick(ring, keyOf(0)));
    expect([...seen].sort()).toEqual([0, 2, 3]);
  });

  it('hash tag: keys with the same non-empty tag go together; empty or unclosed tags hash the whole key', () => {
    const ring = buildRing({ distribution: 'ketama', hash: 'md5', hashTag: '{}', servers: servers(8) });
    const plain = buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: servers(8) });
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('}')), fc.string(), fc.string(), (tag, a, b) => {
      const inside = Buffer.from(tag);
      const k1 = Buffer.from(`${a.replaceAll('{', '')}{${tag}}${b}`);
      expect(pick(ring, k1)).toBe(pick(plain, inside));
    }));
    for (const k of ['a{}b', 'a{b', 'a}b{', '{', '{}', 'x{}{y}']) {
      const b = Buffer.from(k);
      expect(pick(ring, b), k).toBe(pick(plain, b));
    }
  });

  it('pick reads only buf[start,end) of a larger buffer', () => {
    const ring = buildRing({ distribution: 'ketama', hash: 'murmur', hashTag: '{}', servers: servers(6) });
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), fc.uint8Array(), (pre, key, post) => {
      const whole = Buffer.concat([pre, key, post]);
      expect(ring.pick(whole, pre.length, pre.length + key.length)).toBe(pick(ring, Buffer.from(key)));
    }));
  });

  it('returns indices in the caller\'s order although nutcracker orders servers by name', () => {
    const list: RingServer[] = [{ name: 'web-10', weight: 1 }, { name: 'web-9', weight: 1 }, { name: 'db', weight: 1 }];
    const ring = buildRing({ distribution: 'modula', hash: 'md5', hashTag: null, servers: list });
    const reversed = buildRing({ distribution: 'modula', hash: 'md5', hashTag: null, servers: [...list].reverse() });
    for (let i = 0; i < 200; i++) expect(list[pick(ring, keyOf(i))]).toEqual([...list].reverse()[pick(reversed, keyOf(i))]);
  });

  it('one server: always index 0 (nutcracker skips hashing)', () => {
    const ring = buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: servers(1) });
    expect(pick(ring, keyOf(1))).toBe(0);
    expect(buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: servers(1), live: [false] }).pick(Buffer.from('x'), 0, 1)).toBe(-1);
  });

  it('config errors are ConfigErrors: duplicate names, bad tag, bad weight, bad live length', () => {
    const bad = [
      () => buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: [{ name: 'a', weight: 1 }, { name: 'a', weight: 2 }] }),
      () => buildRing({ distribution: 'ketama', hash: 'md5', hashTag: '{', servers: servers(2) }),
      () => buildRing({ distribution: 'ketama', hash: 'md5', hashTag: 'é}', servers: servers(2) }),
      () => buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: servers(2, [1, 0]) }),
      () => buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: servers(2, [1, 1.5]) }),
      () => buildRing({ distribution: 'ketama', hash: 'md5', hashTag: null, servers: servers(2), live: [true] }),
      () => buildRing({ distribution: 'rendezvous' as never, hash: 'md5', hashTag: null, servers: servers(2) }),
    ];
    for (const f of bad) expect(f).toThrow(ConfigError);
  });
});

describe('serverHashName', () => {
  it('uses the name when given, host alone on port 11211, host:port otherwise, "/path:" for unix sockets', () => {
    expect(serverHashName('127.0.0.1', 6379, 1, 'cache-1')).toBe('cache-1');
    expect(serverHashName('127.0.0.1', 6379, 3, null)).toBe('127.0.0.1:6379');
    expect(serverHashName('10.0.0.1', 11211, 1, null)).toBe('10.0.0.1');
    expect(serverHashName('/tmp/redis.sock', 0, 1, null)).toBe('/tmp/redis.sock:');
  });
});
