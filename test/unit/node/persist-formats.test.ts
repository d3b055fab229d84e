// Unit tests of the persistence file formats: snapshot (SGDB) and AOF scanning.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SnapshotEncoder, SnapshotFormatError, decodeSnapshot } from '../../../src/node/persistence/snapshot-format.js';
import { AofFormatError, scanAof } from '../../../src/node/persistence/aof-format.js';
import { encodeCommand } from '../../../src/resp/encode.js';

type Entry = [string, Buffer, number];

function encode(entries: Entry[], aux: Record<string, string> = {}): Buffer {
  const enc = new SnapshotEncoder();
  const parts = [enc.header()];
  for (const [k, v] of Object.entries(aux)) parts.push(enc.aux(k, v));
  for (const [k, p, e] of entries) parts.push(enc.entry(k, p, e));
  parts.push(enc.end());
  return Buffer.concat(parts);
}

function decode(buf: Buffer, offset = 0): { entries: Entry[]; aux: Map<string, string>; end: number } {
  const entries: Entry[] = [];
  const r = decodeSnapshot(buf, (k, p, e) => entries.push([k, Buffer.from(p), e]), offset);
  return { entries, aux: r.aux, end: r.end };
}

const latin1Key = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1'));
const entryArb = fc.tuple(latin1Key, fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 47 })));

describe('snapshot format', () => {
  it('round-trips entries and aux fields (property)', () => {
    fc.assert(fc.property(fc.array(entryArb, { maxLength: 30 }), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), (entries, aux) => {
      const buf = encode(entries, aux);
      const d = decode(buf);
      expect(d.entries).toEqual(entries);
      expect(Object.fromEntries(d.aux)).toEqual(aux);
      expect(d.end).toBe(buf.length);
    }), { numRuns: 200 });
  });

  it('decodes at an offset and reports where it ends (hybrid AOF)', () => {
    const snap = encode([['a', Buffer.from('1'), 0]]);
    const tail = encodeCommand(['SET', 'b', '2']);
    const buf = Buffer.concat([Buffer.from('xyz'), snap, tail]);
    const d = decode(buf, 3);
    expect(d.entries.map((e) => e[0])).toEqual(['a']);
    expect(d.end).toBe(3 + snap.length);
  });

  it('rejects a snapshot cut at every byte offset', () => {
    const buf = encode([['k1', Buffer.from('v1'), 0], ['k2', Buffer.alloc(50, 7), 1234567890123]], { ctime: '1' });
    for (let cut = 0; cut < buf.length; cut++) {
      expect(() => decode(buf.subarray(0, cut)), `cut at ${cut}`).toThrow(SnapshotFormatError);
    }
  });

  it('detects any single corrupted byte', () => {
    const buf = encode([['key', Buffer.from('value'), 0], ['other', Buffer.from('x'.repeat(30)), 99]]);
    for (let i = 0; i < buf.length; i++) {
      const bad = Buffer.from(buf);
      bad[i] = bad[i]! ^ 0x5a;
      expect(() => decode(bad), `byte ${i}`).toThrow(SnapshotFormatError);
    }
  });

  it('names the offset of the problem', () => {
    const buf = encode([['k', Buffer.from('v'), 0]]);
    const bad = Buffer.from(buf);
    bad[8] = 0x42; // first record type
    try { decode(bad); expect.unreachable(); } catch (err) {
      expect(err).toBeInstanceOf(SnapshotFormatError);
      expect((err as SnapshotFormatError).offset).toBe(8);
    }
  });
});

async function scanAll(buf: Buffer, start = 0, slice?: number): Promise<{ cmds: string[][]; offsets: number[]; end: number; truncatedBytes: number }> {
  const cmds: string[][] = [];
  const offsets: number[] = [];
  const r = await scanAof(buf, start, (batch) => {
    for (const c of batch) { cmds.push(c.argv.map((a) => a.toString('latin1'))); offsets.push(c.offset); }
  }, slice);
  return { cmds, offsets, ...r };
}

const argvArb = fc.array(fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a).toString('latin1')), { minLength: 1, maxLength: 5 });

describe('AOF scanning', () => {
  it('returns every command with its offset, whatever the slice size (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(argvArb, { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), async (cmds, slice) => {
      const parts = cmds.map((c) => encodeCommand(c.map((s) => Buffer.from(s, 'latin1'))));
      const buf = Buffer.concat(parts);
      const r = await scanAll(buf, 0, slice);
      expect(r.cmds).toEqual(cmds);
      let off = 0;
      expect(r.offsets).toEqual(parts.map((p) => { const o = off; off += p.length; return o; }));
      expect(r.end).toBe(buf.length);
      expect(r.truncatedBytes).toBe(0);
    }), { numRuns: 100 });
  });

  it('reports a truncated tail at every byte offset as the last whole command', async () => {
    const parts = [['SET', 'a', '1'], ['RPUSH', 'list', 'x', 'yy'], ['PEXPIREAT', 'a', '99999999999999'], ['DEL', 'a']]
      .map((c) => encodeCommand(c));
    const buf = Buffer.concat(parts);
    const bounds = [0];
    for (const p of parts) bounds.push(bounds[bounds.length - 1]! + p.length);
    for (let cut = 0; cut <= buf.length; cut++) {
      const r = await scanAll(buf.subarray(0, cut));
      const whole = bounds.filter((b) => b <= cut);
      const last = whole[whole.length - 1]!;
      expect(r.end, `cut ${cut}`).toBe(last);
      expect(r.truncatedBytes, `cut ${cut}`).toBe(cut - last);
      expect(r.cmds.length).toBe(whole.length - 1);
    }
  });

  it('refuses garbage in the middle and names the offset of the bad command', async () => {
    const a = encodeCommand(['SET', 'a', '1']);
    const b = encodeCommand(['SET', 'b', '2']);
    const bad = Buffer.from(b);
    bad[4] = 0x3f; // '$' of the first argument header → '?'
    const buf = Buffer.concat([a, bad, a]);
    await expect(scanAll(buf)).rejects.toMatchObject({ name: 'AofFormatError', offset: a.length });
    const inline = Buffer.concat([a, Buffer.from('SET x y\r\n'), a]);
    await expect(scanAll(inline)).rejects.toBeInstanceOf(AofFormatError);
  });

  it('calls a garbage tail that is not a command prefix corrupt, not truncated', async () => {
    const a = encodeCommand(['SET', 'a', '1']);
    await expect(scanAll(Buffer.concat([a, Buffer.from('garb')]))).rejects.toMatchObject({ offset: a.length });
  });
});
