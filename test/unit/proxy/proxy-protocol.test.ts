// The PROXY protocol header parser: v1 and v2, whole and cut at every byte
// (a cut header asks for more, never for a verdict it cannot give yet), and
// what it refuses.
import { describe, expect, it } from 'vitest';
import { readProxyHeader } from '../../../src/proxy/proxy-protocol.js';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v2(cmd: number, family: number, body: Buffer): Buffer {
  const head = Buffer.from([0x20 | cmd, (family << 4) | 1, 0, 0]);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}

function v2ipv4(src: number[], sport: number, tlv = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from([10, 0, 0, 1]).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(6379, 10);
  return v2(1, 1, Buffer.concat([b, tlv]));
}

function v2ipv6(sport: number): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt16BE(0x2001, 0);
  b.writeUInt16BE(0xdb8, 2);
  b.writeUInt16BE(7, 14);
  b.writeUInt16BE(sport, 32);
  return v2(1, 2, b);
}

const cases: Array<[string, Buffer, { address: string | null; port: number }]> = [
  ['v1 TCP4', Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51234 6379\r\n'), { address: '203.0.113.7', port: 51234 }],
  ['v1 TCP6', Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 40000 6379\r\n'), { address: '2001:db8::7', port: 40000 }],
  ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n'), { address: null, port: 0 }],
  ['v2 IPv4', v2ipv4([198, 51, 100, 9], 4242), { address: '198.51.100.9', port: 4242 }],
  ['v2 IPv4 with TLVs', v2ipv4([198, 51, 100, 9], 4242, Buffer.from([0x04, 0x00, 0x02, 0xab, 0xcd])), { address: '198.51.100.9', port: 4242 }],
  ['v2 IPv6', v2ipv6(5555), { address: '2001:db8:0:0:0:0:0:7', port: 5555 }],
  ['v2 LOCAL', v2(0, 0, Buffer.alloc(0)), { address: null, port: 0 }],
];

describe('readProxyHeader', () => {
  for (const [name, header, peer] of cases) {
    it(`${name}: whole, with requests after it, and cut at every byte`, () => {
      const rest = Buffer.from('*1\r\n$4\r\nPING\r\n');
      const whole = readProxyHeader(Buffer.concat([header, rest]));
      expect(whole).toEqual({ kind: 'done', peer, length: header.length });
      for (let cut = 0; cut < header.length; cut++) expect(readProxyHeader(header.subarray(0, cut)).kind).toBe('more');
    });
  }
  it('refuses what is not a header, at the first byte that shows it', () => {
    expect(readProxyHeader(Buffer.from('*1\r\n$4\r\nPING\r\n'))).toMatchObject({ kind: 'bad', reason: /did not start with a PROXY protocol header/ });
    expect(readProxyHeader(Buffer.from('PING\r\n'))).toMatchObject({ kind: 'bad' });
    expect(readProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\n'))).toMatchObject({ kind: 'bad', reason: /address/ });
    expect(readProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 10.0.0.1 99999 2\r\n'))).toMatchObject({ kind: 'bad' });
    expect(readProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`))).toMatchObject({ kind: 'bad', reason: /107 bytes/ });
    const v3 = v2ipv4([1, 2, 3, 4], 1);
    v3[12] = 0x31;
    expect(readProxyHeader(v3)).toMatchObject({ kind: 'bad', reason: /version 3/ });
  });
});
