import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { ReplyScanner } from '../../../src/resp/reply-scanner.js';
import { arrayElements, readInteger, skipReply } from '../../../src/resp/reply-read.js';
import { ProtocolError } from '../../../src/errors/index.js';
import { splitAt } from '../../fixtures/chunks.js';

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser');

type V = null | number | string | { err: string } | Buffer | V[];

// Test-side RESP2 encoder (independent of src/).
function enc(v: V): string {
  if (v === null) return '$-1\r\n';
  if (typeof v === 'number') return `:${v}\r\n`;
  if (typeof v === 'string') return `+${v}\r\n`;
  if (Buffer.isBuffer(v)) return `$${v.length}\r\n${v.toString('latin1')}\r\n`;
  if (Array.isArray(v)) return `*${v.length}\r\n${v.map(enc).join('')}`;
  return `-${v.err}\r\n`;
}

/** Decode one raw reply with redis-parser (the oracle for values). */
function oracle(raw: Buffer): unknown {
  const out: unknown[] = [];
  const p = new RedisParser({ returnReply: (r: unknown) => out.push(r), returnError: (e: Error) => out.push({ err: e.message }), returnBuffers: true });
  p.execute(raw);
  expect(out).toHaveLength(1);
  return out[0];
}

function scan(chunks: Buffer[]): { raws: Buffer[]; error: Error | null } {
  const s = new ReplyScanner();
  const raws: Buffer[] = [];
  try {
    for (const c of chunks) s.feed(c, { onReply: (b, st, e) => raws.push(b.subarray(st, e)) });
    return { raws, error: null };
  } catch (e) { return { raws, error: e as Error }; }
}

/** Like scan, but every chunk is fed from one reused buffer that is overwritten right after feed() (as the proxy reads). */
function scanReused(chunks: Buffer[]): Buffer[] {
  const s = new ReplyScanner();
  const shared = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  const raws: Buffer[] = [];
  for (const c of chunks) {
    c.copy(shared);
    s.feed(shared.subarray(0, c.length), { onReply: (b, st, e) => raws.push(Buffer.from(b.subarray(st, e))) });
    shared.fill(0x3f);
  }
  return raws;
}

const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'Z', '1'), maxLength: 8 });
const valArb: fc.Arbitrary<V> = fc.letrec<{ v: V }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.integer(), line, line.map((s) => ({ err: `ERR ${s}` })),
    fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
    fc.array(tie('v'), { maxLength: 4 }),
  ),
})).v;

describe('ReplyScanner', () => {
  it('frames each RESP2 reply; redis-parser decodes each frame to the value sent (random splits)', () => {
    fc.assert(fc.property(fc.array(valArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (vals, cuts) => {
      const wire = Buffer.from(vals.map(enc).join(''), 'latin1');
      const { raws, error } = scan(splitAt(wire, cuts));
      expect(error).toBeNull();
      expect(raws.map((r) => r.toString('latin1'))).toEqual(vals.map(enc));
      for (let i = 0; i < vals.length; i++) expect(skipReply(raws[i], 0)).toBe(raws[i].length);
      expect(raws.map(oracle)).toEqual(vals.map((v) => oracle(Buffer.from(enc(v), 'latin1'))));
    }), { numRuns: 300 });
  });

  it('keeps nothing of a chunk after feed(): chunks read into one reused buffer frame the same replies', () => {
    fc.assert(fc.property(fc.array(valArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (vals, cuts) => {
      const wire = Buffer.from(vals.map(enc).join(''), 'latin1');
      expect(scanReused(splitAt(wire, cuts)).map((r) => r.toString('latin1'))).toEqual(vals.map(enc));
    }), { numRuns: 300 });
  });

  it('frames RESP3 types byte by byte', () => {
    const wire = '%2\r\n+a\r\n:1\r\n+b\r\n~2\r\n,1.5\r\n#t\r\n_\r\n>3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n|1\r\n+k\r\n+v\r\n:7\r\n=8\r\ntxt:abcd\r\n(123456789012345678901\r\n!5\r\nERR x\r\n';
    const { raws, error } = scan([...Buffer.from(wire)].map((b) => Buffer.from([b])));
    expect(error).toBeNull();
    expect(raws.map((r) => r.toString())).toEqual([
      '%2\r\n+a\r\n:1\r\n+b\r\n~2\r\n,1.5\r\n#t\r\n', '_\r\n', '>3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n',
      '|1\r\n+k\r\n+v\r\n:7\r\n', '=8\r\ntxt:abcd\r\n', '(123456789012345678901\r\n', '!5\r\nERR x\r\n',
    ]);
  });

  it('reads integers and array elements of whole replies', () => {
    const b = Buffer.from('*3\r\n$1\r\na\r\n$-1\r\n*1\r\n:5\r\n');
    const els = arrayElements(b, 0)!;
    expect(els.length).toBe(6);
    expect(b.toString('latin1', els[0], els[1])).toBe('$1\r\na\r\n');
    expect(b.toString('latin1', els[2], els[3])).toBe('$-1\r\n');
    expect(b.toString('latin1', els[4], els[5])).toBe('*1\r\n:5\r\n');
    expect(readInteger(Buffer.from(':-42\r\n'), 0, 6)).toBe(-42);
  });

  it('rejects an unknown type byte with a ProtocolError', () => {
    const { error } = scan([Buffer.from('?x\r\n')]);
    expect(error).toBeInstanceOf(ProtocolError);
  });

  it('garbage gives replies or a ProtocolError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const { error } = scan([Buffer.from(bytes)]);
      if (error) expect(error).toBeInstanceOf(ProtocolError);
    }), { numRuns: 500 });
  });
});
