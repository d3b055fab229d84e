// Unit tests of point-in-time snapshots written in slices (copy-on-write hook),
// against a minimal in-memory KeyspaceSnapshotSource that follows the contract.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { KeyspaceSnapshotSource } from '../../../src/node/contracts.js';
import { CowHub, SnapshotJob } from '../../../src/node/persistence/snapshot-job.js';
import { decodeSnapshot } from '../../../src/node/persistence/snapshot-format.js';

class MapKeyspace implements KeyspaceSnapshotSource {
  readonly map = new Map<string, [Buffer, number]>();
  hook: ((k: string, p: Buffer | null, e: number) => void) | null = null;
  get size(): number { return this.map.size; }
  *entries(): IterableIterator<[string, Buffer, number]> {
    for (const [k, [p, e]] of this.map) yield [k, p, e];
  }
  setBeforeWriteHook(h: typeof this.hook): void { this.hook = h; }
  restore(k: string, p: Buffer, e: number): void { this.map.set(k, [p, e]); }
  flushAll(): void { this.map.clear(); }
  set(k: string, v: string): void {
    const old = this.map.get(k);
    this.hook?.(k, old ? old[0] : null, old ? old[1] : 0);
    this.map.set(k, [Buffer.from(v), 0]);
  }
  del(k: string): void {
    const old = this.map.get(k);
    if (!old) return;
    this.hook?.(k, old[0], old[1]);
    this.map.delete(k);
  }
}

function decodeAll(buf: Buffer): Map<string, string> {
  const m = new Map<string, string>();
  decodeSnapshot(buf, (k, p) => {
    expect(m.has(k), `key ${k} written twice`).toBe(false);
    m.set(k, p.toString());
  });
  return m;
}

describe('SnapshotJob', () => {
  it('writes the state at its start while keys change between slices (property)', async () => {
    const op = fc.tuple(fc.constantFrom('set', 'del'), fc.integer({ min: 0, max: 80 }), fc.string({ maxLength: 5 }));
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.array(op, { maxLength: 200 }), async (n, ops) => {
      const ks = new MapKeyspace();
      for (let i = 0; i < n; i++) ks.set(`k${i}`, `v${i}`);
      const expected = new Map([...ks.map].map(([k, [p]]) => [k, p.toString()]));
      const chunks: Buffer[] = [];
      const hub = new CowHub(ks);
      const job = new SnapshotJob(ks, hub, (c) => { chunks.push(c); }, { sliceKeys: 3, chunkBytes: 16 });
      let i = 0;
      const mutate = (): void => {
        for (let j = 0; j < 5 && i < ops.length; j++, i++) {
          const [kind, k, v] = ops[i]!;
          if (kind === 'set') ks.set(`k${k}`, v); else ks.del(`k${k}`);
        }
        if (i < ops.length) setImmediate(mutate);
      };
      setImmediate(mutate);
      await job.run();
      expect(decodeAll(Buffer.concat(chunks))).toEqual(expected);
      expect(ks.hook).toBeNull();
    }), { numRuns: 60 });
  });

  it('runs two jobs at once on one hub, each with its own point in time', async () => {
    const ks = new MapKeyspace();
    for (let i = 0; i < 50; i++) ks.set(`k${i}`, 'a');
    const hub = new CowHub(ks);
    const c1: Buffer[] = [];
    const c2: Buffer[] = [];
    const j1 = new SnapshotJob(ks, hub, (c) => { c1.push(c); }, { sliceKeys: 5 });
    const p1 = j1.run();
    ks.set('k0', 'b');
    ks.set('new', 'b');
    const j2 = new SnapshotJob(ks, hub, (c) => { c2.push(c); }, { sliceKeys: 7 });
    const p2 = j2.run();
    ks.set('k1', 'c');
    ks.del('k2');
    await Promise.all([p1, p2]);
    const s1 = decodeAll(Buffer.concat(c1));
    const s2 = decodeAll(Buffer.concat(c2));
    expect(s1.size).toBe(50);
    expect([s1.get('k0'), s1.get('k1'), s1.has('new')]).toEqual(['a', 'a', false]);
    expect(s2.size).toBe(51);
    expect([s2.get('k0'), s2.get('k1'), s2.get('k2'), s2.get('new')]).toEqual(['b', 'a', 'a', 'b']);
    expect(ks.hook).toBeNull();
  });
});
