// The `hashring` npm package (a libketama-style ring) as an independent oracle
// where its conventions meet nutcracker's — md5, "host:port" names, 4 points
// per md5, equal weights with 2..6 servers, ASCII string keys — and measured
// proof of where it cannot serve as our ring (docs/ring.md quotes these).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { buildRing, hashFunction, type RingServer } from '../../../src/ring/index.js';

interface HashRingLike {
  get(key: string | Buffer): string;
  hashValue(key: string | Buffer): number;
  points(): Record<string, number[]>;
}
const require = createRequire(import.meta.url);
const HashRing = require('hashring') as new (servers: string[] | Record<string, number>) => HashRingLike;

const names = (ports: number[]) => ports.map((p) => `127.0.0.1:${p}`);
const ours = (list: string[], weights?: number[]) => buildRing({
  distribution: 'ketama', hash: 'md5', hashTag: null,
  servers: list.map((name, i): RingServer => ({ name, weight: weights?.[i] ?? 1 })),
});
const asciiKey = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789:_-'.split('')) }).map((s) => `k:${s}`);

describe('hashring as an oracle', () => {
  it('agrees with our ketama md5 ring on ASCII keys for 2..6 equal-weight servers', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.integer({ min: 1024, max: 65535 }), { minLength: 2, maxLength: 6 }),
      fc.array(asciiKey, { minLength: 1, maxLength: 50 }),
      (ports, keys) => {
        const list = names(ports);
        const theirs = new HashRing(list);
        const ring = ours(list);
        for (const k of keys) expect(list[ring.pick(Buffer.from(k), 0, Buffer.byteLength(k))]).toBe(theirs.get(k));
      }), { numRuns: 100 });
  });

  it('disagrees with 7 equal servers: it floors 1/7*40*7 in double to 39 groups (156 points), nutcracker uses 160', () => {
    const list = names([7000, 7001, 7002, 7003, 7004, 7005, 7006]);
    const theirs = new HashRing(list);
    expect(Object.values(theirs.points()).map((p) => p.length)).toEqual(Array(7).fill(156));
    const ring = ours(list);
    let differ = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = `key:${i}`;
      if (list[ring.pick(Buffer.from(k), 0, k.length)] !== theirs.get(k)) differ++;
    }
    expect(differ).toBeGreaterThan(0);
    console.log(`[hashring] 7 equal servers: ${differ} of 20000 keys placed differently from nutcracker`);
  });

  it('disagrees on weights where float32 and double floor differently (1,6,6,6,6: 32 points vs our 28)', () => {
    const list = names([7000, 7001, 7002, 7003, 7004]);
    const theirs = new HashRing(Object.fromEntries(list.map((n, i) => [n, i === 0 ? 1 : 6])));
    expect(theirs.points()[list[0]!]!.length).toBe(32);
    // Ours: 28, proven against the real nutcracker in test/integration/ring.
  });

  it('hashes keys as UTF-8 strings: distinct binary keys collide', () => {
    const theirs = new HashRing(names([7000, 7001]));
    const a = Buffer.from([0x66, 0xff]);
    const b = Buffer.from([0x66, 0xfe]);
    expect(theirs.hashValue(a)).toBe(theirs.hashValue(b)); // both decode to "f\ufffd"
    const md5 = hashFunction('md5'); // ours hashes the bytes themselves
    expect(md5(a, 0, a.length)).not.toBe(md5(b, 0, b.length));
  });

  it('its lookup cache is a plain object: keys named like Object.prototype members leak across rings', () => {
    // In a child process: hashring writes a `value` property onto Object.prototype.valueOf.
    const script = `
      const HashRing = require('hashring');
      const a = new HashRing(['10.0.0.1:6379', '10.0.0.2:6379']);
      a.get('valueOf');
      const b = new HashRing(['192.168.1.1:6379', '192.168.1.2:6379', '192.168.1.3:6379']);
      console.log(JSON.stringify({ got: b.get('valueOf'), leaked: Object.prototype.valueOf.value }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: process.cwd(), timeout: 10_000 });
    const out = JSON.parse(r.stdout) as { got: string; leaked: string };
    expect(['10.0.0.1:6379', '10.0.0.2:6379']).toContain(out.got); // a server of ring A, not of B
    expect(out.leaked).toBe(out.got);
  });

  it('a key named __proto__ sets Object.prototype.value: every object, and every prototype-named key, then answers that server', () => {
    const script = `
      const HashRing = require('hashring');
      const a = new HashRing(['10.0.0.1:6379', '10.0.0.2:6379']);
      const proto = a.get('__proto__');
      const b = new HashRing(['192.168.1.1:6379', '192.168.1.2:6379']);
      console.log(JSON.stringify({ proto, anyObject: ({}).value, toStringInB: b.get('toString'), ownB: b.ring[b.find(b.hashValue('toString'))].server }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: process.cwd(), timeout: 10_000 });
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(out.anyObject).toBe(out.proto);
    expect(out.toStringInB).toBe(out.proto); // a server ring B does not have
    expect(out.ownB).toMatch(/^192\.168\.1\./);
  });
});
