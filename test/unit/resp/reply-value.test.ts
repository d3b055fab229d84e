import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyScanner } from '../../../src/resp/reply-scanner.js';
import { decodeReply, RespError, type RespValue } from '../../../src/resp/reply-value.js';
import { ProtocolError } from '../../../src/errors/index.js';
import { splitAt } from '../../fixtures/chunks.js';

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

/** What decodeReply should give for v. */
function expected(v: V): RespValue {
  if (v === null || typeof v === 'number' || typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(expected);
  return new RespError(v.err);
}

/** Frame the chunks with ReplyScanner and decode every reply. */
function decodeAll(chunks: Buffer[]): RespValue[] {
  const s = new ReplyScanner();
  const out: RespValue[] = [];
  for (const c of chunks) s.feed(c, { onReply: (b, st, e) => out.push(decodeReply(b, st, e)) });
  return out;
}

const byteByByte = (b: Buffer): Buffer[] => [...b].map((x) => Buffer.from([x]));

const CASES: [string, V][] = [
  ['simple string', 'OK'],
  ['error', { err: 'BUSYKEY Target key name already exists.' }],
  ['integer', 42],
  ['negative integer', -7],
  ['bulk', Buffer.from('hello')],
  ['binary bulk with CRLF inside', Buffer.from([0, 13, 10, 255])],
  ['empty bulk', Buffer.alloc(0)],
  ['nil', null],
  ['empty array', []],
  ['SCAN-like nested array', [Buffer.from('17'), [Buffer.from('a'), Buffer.from('b')]]],
  ['array with error and nil inside', [1, { err: 'ERR x' }, null, ['a', [[]]]]],
];

describe('decodeReply', () => {
  for (const [name, v] of CASES) {
    it(`${name}: one chunk and byte by byte`, () => {
      const wire = Buffer.from(enc(v), 'latin1');
      expect(decodeAll([wire])).toEqual([expected(v)]);
      expect(decodeAll(byteByByte(wire))).toEqual([expected(v)]);
    });
  }

  it('an error reply carries its first word as code', () => {
    const e = decodeReply(Buffer.from('-NOKEY\r\n'), 0, 8) as RespError;
    expect(e).toBeInstanceOf(RespError);
    expect(e.code).toBe('NOKEY');
    expect(e.message).toBe('NOKEY');
    const b = decodeReply(Buffer.from('-ERR unknown command\r\n'), 0, 22) as RespError;
    expect([b.code, b.message]).toEqual(['ERR', 'ERR unknown command']);
  });

  it('a nil array is null', () => {
    expect(decodeReply(Buffer.from('*-1\r\n'), 0, 5)).toBeNull();
  });

  it('bulk values are copies: overwriting the chunk afterwards changes nothing', () => {
    const wire = Buffer.from('*2\r\n$3\r\nabc\r\n$1\r\nz\r\n');
    const v = decodeReply(wire, 0, wire.length);
    wire.fill(0x3f);
    expect(v).toEqual([Buffer.from('abc'), Buffer.from('z')]);
  });

  it('decodes a reply in the middle of a larger buffer', () => {
    const wire = Buffer.from('+A\r\n:5\r\n+B\r\n');
    expect(decodeReply(wire, 4, 8)).toBe(5);
  });

  it('RESP3 types and bad lengths are protocol errors', () => {
    for (const raw of ['%1\r\n+a\r\n+b\r\n', '#t\r\n', ',1.5\r\n', '$5\r\nab\r\n', ':1x\r\n', '*1\r\n']) {
      expect(() => decodeReply(Buffer.from(raw), 0, raw.length), raw).toThrow(ProtocolError);
    }
  });

  const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'Z', '1'), maxLength: 8 });
  const valArb: fc.Arbitrary<V> = fc.letrec<{ v: V }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null), fc.integer(), line, line.map((s) => ({ err: `ERR ${s}` })),
      fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
      fc.array(tie('v'), { maxLength: 4 }),
    ),
  })).v;

  it('random replies decode to the values sent: one chunk, byte by byte, random splits', () => {
    fc.assert(fc.property(fc.array(valArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (vals, cuts) => {
      const wire = Buffer.from(vals.map(enc).join(''), 'latin1');
      const want = vals.map(expected);
      expect(decodeAll([wire])).toEqual(want);
      expect(decodeAll(byteByByte(wire))).toEqual(want);
      expect(decodeAll(splitAt(wire, cuts))).toEqual(want);
    }), { numRuns: 300 });
  });
});
