// The nutcracker hash functions against references computed independently:
// node:crypto md5, zlib.crc32, a bitwise CRC-16/XMODEM, 64-bit BigInt FNV,
// lookup3's published vectors, and Jenkins' one-at-a-time vectors. The full
// uint32 of every hash is also pinned by the real-nutcracker integration test.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { HASH_NAMES, hashFunction } from '../../../src/ring/index.js';
import { lookup3 } from '../../../src/ring/hashes.js';
import { md5Words } from '../../../src/ring/md5.js';

const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => Buffer.from(a));
const signed = (b: number): bigint => BigInt((b << 24) >> 24);

/** FNV over 64-bit BigInts, C `char` sign-extended; low 32 bits returned. */
function fnv64(buf: Buffer, a: boolean): number {
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const b of buf) {
    const v = signed(b) & mask;
    if (a) h = ((h ^ v) * 0x100000001b3n) & mask;
    else h = ((h * 0x100000001b3n) & mask) ^ v;
  }
  return Number(h & 0xffffffffn);
}

function fnv32(buf: Buffer, a: boolean): number {
  const mask = 0xffffffffn;
  let h = 2166136261n;
  for (const b of buf) {
    const v = signed(b) & mask;
    if (a) h = ((h ^ v) * 16777619n) & mask;
    else h = ((h * 16777619n) & mask) ^ v;
  }
  return Number(h);
}

function xmodem(buf: Buffer): number {
  let crc = 0;
  for (const b of buf) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const run = (name: (typeof HASH_NAMES)[number], b: Buffer | string): number => {
  const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
  return hashFunction(name)(buf, 0, buf.length);
};

describe('hash functions', () => {
  it('md5Words equals node:crypto md5 for every length 0..300 and random bytes', () => {
    const out = new Uint32Array(4);
    fc.assert(fc.property(bytes, (b) => {
      md5Words(b, 0, b.length, out);
      expect(Buffer.from(out.buffer).toString('hex')).toBe(crypto.createHash('md5').update(b).digest('hex'));
    }), { numRuns: 400 });
    for (let n = 0; n < 200; n++) {
      const b = crypto.randomBytes(n);
      md5Words(b, 0, n, out);
      expect(Buffer.from(out.buffer).toString('hex')).toBe(crypto.createHash('md5').update(b).digest('hex'));
    }
  });

  it('md5 is the first little-endian word of the digest', () => {
    fc.assert(fc.property(bytes, (b) => { expect(run('md5', b)).toBe(crypto.createHash('md5').update(b).digest().readUInt32LE(0)); }));
  });

  it('crc32a is CRC-32 (zlib), crc32 is libmemcached (crc >> 16) & 0x7fff', () => {
    expect(run('crc32a', '123456789')).toBe(0xcbf43926);
    fc.assert(fc.property(bytes, (b) => {
      expect(run('crc32a', b)).toBe(zlib.crc32(b));
      expect(run('crc32', b)).toBe((zlib.crc32(b) >>> 16) & 0x7fff);
    }));
  });

  it('crc16: the low 16 bits are CRC-16/XMODEM, upper bits the unmasked accumulator', () => {
    expect(run('crc16', '123456789') & 0xffff).toBe(0x31c3);
    expect(run('crc16', 'A')).toBe(xmodem(Buffer.from('A'))); // one byte: nothing shifted up yet
    expect(run('crc16', '123456789')).toBeGreaterThan(0xffff);
    fc.assert(fc.property(bytes, (b) => { expect(run('crc16', b) & 0xffff).toBe(xmodem(b)); }));
  });

  it('fnv hashes equal 64-bit / 32-bit BigInt FNV with signed chars', () => {
    expect(run('fnv1a_32', 'a')).toBe(0xe40c292c);
    expect(run('fnv1_32', 'a')).toBe(0x050c5d7e);
    fc.assert(fc.property(bytes, (b) => {
      expect(run('fnv1_64', b)).toBe(fnv64(b, false));
      expect(run('fnv1a_64', b)).toBe(fnv64(b, true));
      expect(run('fnv1_32', b)).toBe(fnv32(b, false));
      expect(run('fnv1a_32', b)).toBe(fnv32(b, true));
    }));
  });

  it('bytes >= 0x80 are mixed in as signed chars (fnv, one_at_a_time)', () => {
    // 0xff as a signed char is -1: different from the unsigned 255.
    const hi = Buffer.from([0xff]);
    expect(run('fnv1a_32', hi)).toBe(Math.imul(2166136261 ^ -1, 16777619) >>> 0);
    expect(run('fnv1a_32', hi)).not.toBe(Math.imul(2166136261 ^ 0xff, 16777619) >>> 0);
  });

  it('one_at_a_time matches Jenkins\' published values', () => {
    expect(run('one_at_a_time', 'a')).toBe(0xca2e9442);
    expect(run('one_at_a_time', 'The quick brown fox jumps over the lazy dog')).toBe(0x519e91f5);
  });

  it('lookup3 hashlittle matches the published vectors; jenkins is initval 13', () => {
    const four = Buffer.from('Four score and seven years ago');
    expect(lookup3(Buffer.alloc(0), 0, 0, 0)).toBe(0xdeadbeef);
    expect(lookup3(four, 0, four.length, 0)).toBe(0x17770551);
    expect(lookup3(four, 0, four.length, 1)).toBe(0xcd628161);
    expect(run('jenkins', four)).toBe(lookup3(four, 0, four.length, 13));
  });

  it('every hash reads only buf[start,end) and returns a uint32', () => {
    fc.assert(fc.property(bytes, bytes, bytes, (pre, key, post) => {
      const whole = Buffer.concat([pre, key, post]);
      for (const name of HASH_NAMES) {
        const v = hashFunction(name)(whole, pre.length, pre.length + key.length);
        expect(v).toBe(hashFunction(name)(Buffer.from(key), 0, key.length));
        expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('rejects an unknown hash name with a ConfigError', () => {
    expect(() => hashFunction('sha1' as never)).toThrow(/unknown hash 'sha1'/);
    expect(() => hashFunction('toString' as never)).toThrow(/unknown hash/);
  });
});
