import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RequestScanner } from '../../../src/resp/request-scanner.js';
import { encodeCommand } from '../../../src/resp/encode.js';
import { ProtocolError } from '../../../src/errors/index.js';
import { splitAt } from '../../fixtures/chunks.js';

interface Got { argv: string[]; raw: string; inline: boolean }

/**
 * Scans the chunks in order. With `reuse`, each chunk is fed from one shared buffer that is
 * overwritten right after feed() returns — as the proxy reads sockets.
 */
function scanChunks(chunks: Buffer[], limits = {}, reuse = false): { got: Got[]; error: Error | null } {
  const s = new RequestScanner(limits);
  const shared = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  const got: Got[] = [];
  const sink = {
    onRequest(buf: Buffer, start: number, end: number, argc: number, args: Int32Array, inline: boolean) {
      const argv: string[] = [];
      for (let i = 0; i < argc; i++) argv.push(buf.toString('latin1', args[i * 2], args[i * 2 + 1]));
      got.push({ argv, raw: buf.toString('latin1', start, end), inline });
    },
  };
  try {
    for (const c of chunks) {
      if (!reuse) { s.feed(c, sink); continue; }
      c.copy(shared);
      s.feed(shared.subarray(0, c.length), sink);
      shared.fill(0x3f);
    }
    return { got, error: null };
  } catch (e) {
    return { got, error: e as Error };
  }
}

function whole(b: Buffer) { return [b]; }
function byteByByte(b: Buffer) { return [...b].map((x) => Buffer.from([x])); }
const modes: [string, (b: Buffer) => Buffer[]][] = [['one chunk', whole], ['byte by byte', byteByByte]];

describe('RequestScanner', () => {
  for (const [mode, split] of modes) {
    describe(mode, () => {
      it('scans pipelined RESP arrays with raw ranges', () => {
        const a = encodeCommand(['SET', 'k', 'v\r\nwith crlf']);
        const b = encodeCommand(['GET', 'k']);
        const { got, error } = scanChunks(split(Buffer.concat([a, b])));
        expect(error).toBeNull();
        expect(got.map((g) => g.argv)).toEqual([['SET', 'k', 'v\r\nwith crlf'], ['GET', 'k']]);
        expect(got[0].raw).toBe(a.toString('latin1'));
        expect(got[1].raw).toBe(b.toString('latin1'));
      });
      it('scans inline commands and re-encodes them as RESP', () => {
        const { got, error } = scanChunks(split(Buffer.from('PING\r\nSET a "b c\\x41\\n" \'d\\\'e\'\n\r\n  \nGET a\r\n')));
        expect(error).toBeNull();
        expect(got.map((g) => g.argv)).toEqual([['PING'], ['SET', 'a', 'b cA\n', "d'e"], ['GET', 'a']]);
        expect(got.every((g) => g.inline)).toBe(true);
        expect(got[0].raw).toBe('*1\r\n$4\r\nPING\r\n');
      });
      it('skips *0 and *-1', () => {
        const { got, error } = scanChunks(split(Buffer.from('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')));
        expect(error).toBeNull();
        expect(got.map((g) => g.argv)).toEqual([['PING']]);
      });
      it('accepts empty and binary arguments', () => {
        const bin = Buffer.from([0, 255, 13, 10, 36, 42]);
        const enc = encodeCommand([Buffer.from('SET'), Buffer.alloc(0), bin]);
        const { got } = scanChunks(split(enc));
        expect(got[0].argv).toEqual(['SET', '', bin.toString('latin1')]);
      });
      const bad: [string, string][] = [
        ['*x\r\n', "invalid multibulk length"],
        ['*2\r\n$3\r\nGET\r\n:1\r\n', "expected '$', got ':'"],
        ['*1\r\n$-5\r\n', 'invalid bulk length'],
        ['*1\r\n$abc\r\n', 'invalid bulk length'],
        ['SET "a b\r\n', 'unbalanced quotes in request'],
        ['SET "a"b\r\n', 'unbalanced quotes in request'],
      ];
      for (const [input, msg] of bad) {
        it(`rejects ${JSON.stringify(input)} with "${msg}"`, () => {
          const { error } = scanChunks(split(Buffer.from(input)));
          expect(error).toBeInstanceOf(ProtocolError);
          expect(error!.message).toBe(`Protocol error: ${msg}`);
        });
      }
    });
  }

  it('enforces limits', () => {
    expect(scanChunks([Buffer.from('*1\r\n$100\r\n')], { maxBulkLength: 10 }).error?.message).toBe('Protocol error: invalid bulk length');
    expect(scanChunks([Buffer.from('*5\r\n')], { maxArgs: 4 }).error?.message).toBe('Protocol error: invalid multibulk length');
    expect(scanChunks([Buffer.alloc(100, 'a')], { maxInlineLength: 50 }).error?.message).toBe('Protocol error: too big inline request');
  });

  it('waits for a large bulk without rescanning every chunk', () => {
    const big = Buffer.alloc(1 << 20, 'x');
    const enc = encodeCommand(['SET', 'k', big]);
    const chunks = splitAt(enc, Array.from({ length: 64 }, (_, i) => (i + 1) * 16384));
    const { got } = scanChunks(chunks);
    expect(got).toHaveLength(1);
    expect(got[0].argv[2].length).toBe(1 << 20);
  });

  it('a large bulk trickled a byte at a time holds a few pieces per KB, not one per read, and scans the same', () => {
    const value = Buffer.from(Array.from({ length: 200_000 }, (_, i) => 97 + (i % 26)));
    const enc = encodeCommand(['SET', 'k', value]);
    const s = new RequestScanner();
    const got: string[][] = [];
    const sink = { onRequest(buf: Buffer, _s: number, _e: number, argc: number, args: Int32Array) {
      got.push(Array.from({ length: argc }, (_, i) => buf.toString('latin1', args[i * 2], args[i * 2 + 1])));
    } };
    let most = 0;
    for (let i = 0; i < enc.length; i++) {
      s.feed(enc.subarray(i, i + 1), sink);
      most = Math.max(most, s.pendingPieces);
    }
    expect(got).toEqual([['SET', 'k', value.toString('latin1')]]);
    // one piece per 512 bytes at most (plus the run being filled), where one per byte would be 200000
    expect(most).toBeLessThan(200_000 / 512 + 70);
    // large reads are kept as they came: no merging copies
    const big = new RequestScanner();
    const reads = splitAt(enc, Array.from({ length: 12 }, (_, i) => (i + 1) * 16384));
    for (const c of reads.slice(0, -1)) big.feed(c, sink);
    expect(big.pendingPieces).toBe(reads.length - 1);
  });

  const argArb = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
  const cmdArb = fc.array(argArb, { minLength: 1, maxLength: 6 });

  it('property: any pipeline under random splits yields the same requests', () => {
    fc.assert(fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (cmds, cuts) => {
      const wire = Buffer.concat(cmds.map((c) => encodeCommand(c)));
      const { got, error } = scanChunks(splitAt(wire, cuts));
      expect(error).toBeNull();
      expect(got.map((g) => g.argv)).toEqual(cmds.map((c) => c.map((a) => a.toString('latin1'))));
    }), { numRuns: 300 });
  });

  it('property: keeps nothing of a chunk after feed() (chunks read into one reused buffer give the same requests)', () => {
    fc.assert(fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (cmds, cuts) => {
      const wire = Buffer.concat([...cmds.map((c) => encodeCommand(c)), Buffer.from('PING x\r\n')]);
      const { got, error } = scanChunks(splitAt(wire, cuts), {}, true);
      expect(error).toBeNull();
      expect(got.map((g) => g.argv)).toEqual([...cmds.map((c) => c.map((a) => a.toString('latin1'))), ['PING', 'x']]);
    }), { numRuns: 300 });
  });

  it('property: random garbage gives requests or a ProtocolError, never another exception, and splitting does not change the outcome', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
      const b = Buffer.from(bytes);
      const one = scanChunks([b]);
      const split = scanChunks(splitAt(b, cuts));
      for (const r of [one, split]) if (r.error) expect(r.error).toBeInstanceOf(ProtocolError);
      expect(split.got.map((g) => g.argv)).toEqual(one.got.map((g) => g.argv));
      expect(split.error?.message).toEqual(one.error?.message);
    }), { numRuns: 500 });
  });
});

describe('RequestScanner: argument slots and the request size limit', () => {
  const bytes = (s: Buffer) => Array.from(s, (_, i) => s.subarray(i, i + 1));
  it('a request with more arguments than the first allocation holds: whole, byte by byte, in a reused buffer', () => {
    const argv = ['MSET', ...Array.from({ length: 5000 }, (_, i) => `k${i}`)];
    const wire = Buffer.concat([encodeCommand(argv), encodeCommand(['GET', 'x'])]);
    for (const chunks of [[wire], bytes(wire)]) {
      for (const reuse of [false, true]) {
        const r = scanChunks(chunks, {}, reuse);
        expect(r.error).toBeNull();
        expect(r.got.map((g) => g.argv)).toEqual([argv, ['GET', 'x']]);
      }
    }
  });
  it('past maxRequestBytes: a protocol error as soon as a length line says so, whole or byte by byte', () => {
    const big = encodeCommand(['SET', 'k', 'v'.repeat(200)]);
    const head = big.subarray(0, big.indexOf('$200\r\n') + 6);
    for (const chunks of [[head], bytes(head)]) {
      const r = scanChunks(chunks, { maxRequestBytes: 128 });
      expect(r.error).toBeInstanceOf(ProtocolError);
      expect(r.error!.message).toBe('Protocol error: request larger than 128 bytes (shardgate.limits.max_request_bytes)');
    }
    expect(scanChunks([big], { maxRequestBytes: big.length }).got).toHaveLength(1);
    expect(scanChunks([big], { maxRequestBytes: big.length - 1 }).error).toBeInstanceOf(ProtocolError);
  });
});
