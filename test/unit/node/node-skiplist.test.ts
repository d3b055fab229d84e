// The sorted-set skip list and ZSet against a plain sorted array model (fast-check).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZSet } from '../../../src/node/types/zset.js';

type Op = { kind: 'set'; m: string; s: number } | { kind: 'del'; m: string };
const cmp = (a: [string, number], b: [string, number]): number => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

describe('ZSet / SkipList', () => {
  it('order, rank, byRank, score and lex ranges match a sorted array after random ops', () => {
    const member = fc.constantFrom(...'abcdefghijklmnop'.split(''));
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), m: member, s: fc.integer({ min: -5, max: 5 }) }),
      fc.record({ kind: fc.constant('del' as const), m: member }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }), (ops, lo, hi) => {
      const z = new ZSet();
      const model = new Map<string, number>();
      for (const o of ops) {
        if (o.kind === 'set') { expect(z.set(o.m, o.s)).toBe(!model.has(o.m)); model.set(o.m, o.s); }
        else { expect(z.delete(o.m)).toBe(model.delete(o.m)); }
      }
      const sorted = [...model].sort(cmp);
      const walked: [string, number][] = [];
      for (let n = z.sl.first(); n !== null; n = n.levels[0]!.next) walked.push([n.member, n.score]);
      expect(walked).toEqual(sorted);
      const back: string[] = [];
      for (let n = z.sl.tail; n !== null; n = n.prev) back.push(n.member);
      expect(back).toEqual(sorted.map((x) => x[0]).reverse());
      sorted.forEach(([m, s], i) => { expect(z.sl.rank(s, m)).toBe(i); expect(z.sl.byRank(i)?.member).toBe(m); });
      const inScore = sorted.filter(([, s]) => s >= lo && s <= hi);
      const f = z.sl.firstInScore(lo, false);
      expect(f !== null && f.score <= hi ? f.member : undefined).toBe(inScore[0]?.[0]);
      const l = z.sl.lastInScore(hi, true);
      const lastEx = sorted.filter(([, s]) => s < hi).pop();
      expect(l?.member).toBe(lastEx?.[0]);
    }), { numRuns: 300 });
  });
});
