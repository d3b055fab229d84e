// The ketama lookup (bucket table + binary search) equals a plain "first point
// >= hash, else the first point" scan, at every edge: 0, 2^32-1, exact point
// values and their neighbours, few and many points.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildContinuum, ketamaLookup, type Continuum } from '../../../src/ring/ketama.js';

function scan(c: Continuum, hash: number): number {
  for (let i = 0; i < c.values.length; i++) if (c.values[i]! >= hash) return c.servers[i]!;
  return c.servers[0]!;
}

const members = (n: number) => Array.from({ length: n }, (_, i) => ({ name: Buffer.from(`s${i}`), weight: 1 + (i % 3), index: i }));

describe('ketamaLookup', () => {
  for (const n of [1, 2, 7, 40]) {
    it(`equals a linear scan with ${n} servers`, () => {
      const c = buildContinuum(members(n));
      const probes = [0, 1, 0xffffffff, 0xfffffffe, 0x80000000];
      for (const v of c.values) probes.push(v, Math.max(0, v - 1), Math.min(0xffffffff, v + 1));
      for (const h of probes) expect(ketamaLookup(c, h)).toBe(scan(c, h));
      fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (h) => { expect(ketamaLookup(c, h)).toBe(scan(c, h)); }));
    });
  }

  it('points are sorted and owned by the members given', () => {
    const c = buildContinuum(members(5));
    for (let i = 1; i < c.values.length; i++) expect(c.values[i]!).toBeGreaterThanOrEqual(c.values[i - 1]!);
    expect(new Set(c.servers)).toEqual(new Set([0, 1, 2, 3, 4]));
  });
});
