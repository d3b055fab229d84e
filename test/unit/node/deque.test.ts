// The node's list deque against a plain array under random operation
// sequences (fast-check): pushes and pops at both ends, at/set, slice and
// replaceAll, across the small-array / chunked switch and chunk boundaries.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deque } from '../../../src/node/types/deque.js';

type Op = [op: 'pushFront' | 'pushBack' | 'popFront' | 'popBack' | 'set' | 'replace' | 'bulkFront' | 'bulkBack', n: number];

describe('Deque', () => {
  it('behaves like an array under random operations', () => {
    const op = fc.tuple(fc.constantFrom('pushFront', 'pushBack', 'popFront', 'popBack', 'set', 'replace', 'bulkFront', 'bulkBack'), fc.nat(400)) as fc.Arbitrary<Op>;
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const d = new Deque();
      const a: Buffer[] = [];
      let next = 0;
      const v = (): Buffer => Buffer.from(String(next++));
      for (const [name, n] of ops) {
        if (name === 'pushFront') { const x = v(); d.pushFront(x); a.unshift(x); }
        else if (name === 'pushBack') { const x = v(); d.pushBack(x); a.push(x); }
        else if (name === 'bulkFront') for (let i = 0; i < n; i++) { const x = v(); d.pushFront(x); a.unshift(x); }
        else if (name === 'bulkBack') for (let i = 0; i < n; i++) { const x = v(); d.pushBack(x); a.push(x); }
        else if (name === 'popFront') for (let i = 0; i <= n % 150; i++) expect(d.popFront()).toBe(a.shift());
        else if (name === 'popBack') for (let i = 0; i <= n % 150; i++) expect(d.popBack()).toBe(a.pop());
        else if (name === 'set' && a.length > 0) { const x = v(); d.set(n % a.length, x); a[n % a.length] = x; }
        else if (name === 'replace') { d.replaceAll(a.slice(0, n)); a.length = Math.min(a.length, n); }
        expect(d.length).toBe(a.length);
        if (a.length > 0) {
          expect(d.at(0)).toBe(a[0]);
          expect(d.at(a.length - 1)).toBe(a[a.length - 1]);
          expect(d.at(n % a.length)).toBe(a[n % a.length]);
        }
      }
      expect(d.toArray()).toEqual(a);
      const s = Math.min(3, a.length);
      expect(d.slice(s, a.length)).toEqual(a.slice(s));
      expect([...d]).toEqual(a);
    }), { numRuns: 300 });
  });

  it('pushes and pops a million elements at the front in linear time', () => {
    const d = new Deque();
    const x = Buffer.from('x');
    const t0 = performance.now();
    for (let i = 0; i < 1_000_000; i++) d.pushFront(x);
    for (let i = 0; i < 1_000_000; i++) d.popFront();
    expect(d.length).toBe(0);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
