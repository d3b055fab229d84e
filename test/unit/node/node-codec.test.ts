// Pure pieces of the node: reply encoder (RESP2/RESP3), %.17g doubles, glob
// matching, DUMP payloads, argument parsing and CLI option parsing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyError } from '../../../src/node/contracts.js';
import { encodeReply, formatDouble, NIL_ARRAY, Push } from '../../../src/node/reply.js';
import { globMatch, parseFloatArg, parseInt64 } from '../../../src/node/commands/util.js';
import { dumpValue, loadValue, T } from '../../../src/node/dump.js';
import { ZSet } from '../../../src/node/types/zset.js';
import { optionsFromFlags } from '../../../src/node/options.js';

const enc = (r: Parameters<typeof encodeReply>[0], p: 2 | 3): string => encodeReply(r, p).toString('latin1');

describe('reply encoder', () => {
  it('encodes every kind in RESP2 and RESP3', () => {
    expect(enc('OK', 2)).toBe('+OK\r\n');
    expect(enc(null, 2)).toBe('$-1\r\n');
    expect(enc(null, 3)).toBe('_\r\n');
    expect(enc(NIL_ARRAY, 2)).toBe('*-1\r\n');
    expect(enc(NIL_ARRAY, 3)).toBe('_\r\n');
    expect(enc(12, 2)).toBe(':12\r\n');
    expect(enc(2n ** 62n, 2)).toBe(`:${2n ** 62n}\r\n`);
    expect(enc(Buffer.from('a\r\nb'), 2)).toBe('$4\r\na\r\nb\r\n');
    expect(enc([1, [Buffer.from('x')], null], 2)).toBe('*3\r\n:1\r\n*1\r\n$1\r\nx\r\n$-1\r\n');
    expect(enc(new ReplyError('ERR bad\r\nthing'), 2)).toBe('-ERR bad thing\r\n');
    expect(enc({ double: 1.5 }, 2)).toBe('$3\r\n1.5\r\n');
    expect(enc({ double: 1.5 }, 3)).toBe(',1.5\r\n');
    expect(enc({ double: -Infinity }, 3)).toBe(',-inf\r\n');
    expect(enc({ map: [[Buffer.from('k'), 1]] }, 2)).toBe('*2\r\n$1\r\nk\r\n:1\r\n');
    expect(enc({ map: [[Buffer.from('k'), 1]] }, 3)).toBe('%1\r\n$1\r\nk\r\n:1\r\n');
    expect(enc({ set: [1] }, 3)).toBe('~1\r\n:1\r\n');
    expect(enc({ verbatim: 'hi' }, 3)).toBe('=6\r\ntxt:hi\r\n');
    expect(enc({ verbatim: 'hi' }, 2)).toBe('$2\r\nhi\r\n');
    expect(enc(new Push([Buffer.from('m')]), 3)).toBe('>1\r\n$1\r\nm\r\n');
    expect(enc(new Push([Buffer.from('m')]), 2)).toBe('*1\r\n$1\r\nm\r\n');
  });

  it('formatDouble behaves like printf %.17g', () => {
    expect(formatDouble(1.1)).toBe('1.1000000000000001');
    expect(formatDouble(3)).toBe('3');
    expect(formatDouble(1e21)).toBe('1e+21');
    expect(formatDouble(1e-5)).toBe('1.0000000000000001e-05');
    expect(formatDouble(-0.25)).toBe('-0.25');
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => { expect(Number(formatDouble(d))).toBe(d); }));
  });
});

describe('argument parsing', () => {
  it('parseInt64 accepts exactly the 64-bit range', () => {
    expect(parseInt64(Buffer.from('9223372036854775807'))).toBe(9223372036854775807n);
    expect(parseInt64(Buffer.from('9223372036854775808'))).toBe(null);
    expect(parseInt64(Buffer.from('-9223372036854775808'))).toBe(-9223372036854775808n);
    for (const bad of ['', ' 1', '1 ', '+1', '01', '1.0', 'abc']) expect(parseInt64(Buffer.from(bad))).toBe(null);
  });
  it('parseFloatArg takes inf and rejects nan', () => {
    expect(parseFloatArg(Buffer.from('+inf'))).toBe(Infinity);
    expect(parseFloatArg(Buffer.from('-inf'))).toBe(-Infinity);
    expect(parseFloatArg(Buffer.from('nan'))).toBe(null);
    expect(parseFloatArg(Buffer.from('1e3'))).toBe(1000);
    expect(parseFloatArg(Buffer.from(' 1'))).toBe(null);
  });
  it('globMatch handles *, ?, classes, ranges, negation and escapes', () => {
    expect(globMatch('h?llo', 'hello')).toBe(true);
    expect(globMatch('h*o', 'heeeello')).toBe(true);
    expect(globMatch('h[ae]llo', 'hallo')).toBe(true);
    expect(globMatch('h[^e]llo', 'hello')).toBe(false);
    expect(globMatch('h[a-c]llo', 'hbllo')).toBe(true);
    expect(globMatch('h\\*', 'h*')).toBe(true);
    expect(globMatch('h\\*', 'hx')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYc')).toBe(true);
    expect(globMatch('a*b*c', 'aXbY')).toBe(false);
  });
});

describe('DUMP payloads', () => {
  it('round-trip every type and reject any flipped byte or truncation', () => {
    const z = new ZSet(); z.set('a', 1.5); z.set('b', -2);
    const vals: [T, Parameters<typeof dumpValue>[1]][] = [
      [T.String, Buffer.from('hello')], [T.List, [Buffer.from('x'), Buffer.from('')]], [T.Hash, new Map([['f', Buffer.from('v')]])], [T.ZSet, z],
    ];
    for (const [t, v] of vals) {
      const p = dumpValue(t, v);
      const back = loadValue(p)!;
      expect(back.t).toBe(t);
      expect(dumpValue(back.t, back.v)).toEqual(p);
      for (let i = 0; i < p.length; i++) { const q = Buffer.from(p); q[i] ^= 0x41; expect(loadValue(q)).toBe(null); }
      expect(loadValue(p.subarray(0, p.length - 1))).toBe(null);
    }
  });
});

describe('CLI options', () => {
  it('parses redis-server style flags and rejects bad values naming the option', () => {
    expect(optionsFromFlags({ port: '0', maxmemory: '100mb', maxmemoryPolicy: 'allkeys-lru', replicaof: '10.0.0.1 6380', appendonly: 'yes', save: '60' }))
      .toEqual({ port: 0, maxmemory: 100 * 1024 * 1024, maxmemoryPolicy: 'allkeys-lru', replicaof: { host: '10.0.0.1', port: 6380 }, appendonly: true, save: 60 });
    expect(optionsFromFlags({ save: '' })).toEqual({ save: null });
    expect(() => optionsFromFlags({ maxmemoryPolicy: 'lfu' })).toThrow(/maxmemory-policy/);
    expect(() => optionsFromFlags({ maxmemory: 'lots' })).toThrow(/maxmemory/);
    expect(() => optionsFromFlags({ replicaof: 'host' })).toThrow(/replicaof/);
  });
});
