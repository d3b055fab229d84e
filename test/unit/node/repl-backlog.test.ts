// Unit tests of the replication backlog ring buffer against a plain array model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Backlog } from '../../../src/node/replication/backlog.js';

describe('replication backlog', () => {
  it('returns exactly the stream bytes from any offset it still covers (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 1000 }),
      fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), fc.nat(),
      (cap, start, writes, pick) => {
        const b = new Backlog(cap, start);
        const all: number[] = [];
        for (const w of writes) { b.append(Buffer.from(w)); all.push(...w); }
        expect(b.endOffset).toBe(start + all.length);
        expect(b.histlen).toBe(Math.min(cap, all.length));
        const from = b.startOffset + (b.histlen === 0 ? 0 : pick % (b.histlen + 1));
        expect([...b.from(from)!]).toEqual(all.slice(from - start));
        expect(b.from(b.startOffset - 1)).toBeNull();
        expect(b.from(b.endOffset + 1)).toBeNull();
      }), { numRuns: 300 });
  });
});
