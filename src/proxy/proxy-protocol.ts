// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a load
// balancer in front of the proxy (AWS NLB, HAProxy, Envoy) sends first on
// each connection, so the client's real address is known. Pure: bytes in, a
// verdict out; never touches a socket. Version 1 is one text line of at most
// 107 bytes ("PROXY TCP4 src dst sport dport\r\n", or "PROXY UNKNOWN…");
// version 2 is a 12-byte signature, a version/command byte, a family byte, a
// 2-byte length and the addresses (TLVs after them are skipped).

export interface ProxiedPeer {
  /** the client's address and port as the balancer saw them; null for LOCAL / UNKNOWN (health checks) */
  readonly address: string | null;
  readonly port: number;
}

export type HeaderVerdict =
  | { kind: 'more' }
  | { kind: 'done'; peer: ProxiedPeer; length: number }
  | { kind: 'bad'; reason: string };

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;
const V1_PREFIX = Buffer.from('PROXY ');

/** Read a header at the start of `buf` (all bytes received so far on the connection). */
export function readProxyHeader(buf: Buffer): HeaderVerdict {
  if (buf.length === 0) return { kind: 'more' };
  if (buf[0] === 0x0d) return readV2(buf);
  if (buf[0] === 0x50) return readV1(buf);
  return { kind: 'bad', reason: 'the connection did not start with a PROXY protocol header' };
}

function readV1(buf: Buffer): HeaderVerdict {
  const n = Math.min(buf.length, V1_PREFIX.length);
  if (buf.compare(V1_PREFIX, 0, n, 0, n) !== 0) return { kind: 'bad', reason: 'the connection did not start with a PROXY protocol header' };
  const cr = buf.indexOf('\r\n');
  if (cr < 0) return buf.length >= V1_MAX ? { kind: 'bad', reason: 'PROXY v1 header longer than 107 bytes' } : { kind: 'more' };
  if (cr + 2 > V1_MAX) return { kind: 'bad', reason: 'PROXY v1 header longer than 107 bytes' };
  const parts = buf.toString('latin1', 0, cr).split(' ');
  const length = cr + 2;
  if (parts[1] === 'UNKNOWN') return { kind: 'done', peer: { address: null, port: 0 }, length };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) return { kind: 'bad', reason: `bad PROXY v1 header '${parts.join(' ').slice(0, 60)}'` };
  const port = Number(parts[4]);
  const ok4 = parts[1] === 'TCP4' && /^\d{1,3}(\.\d{1,3}){3}$/.test(parts[2]!);
  const ok6 = parts[1] === 'TCP6' && /^[0-9a-fA-F:.]+$/.test(parts[2]!) && parts[2]!.includes(':');
  if ((!ok4 && !ok6) || !/^\d{1,5}$/.test(parts[4]!) || port > 65535) return { kind: 'bad', reason: `bad PROXY v1 address '${parts.slice(2).join(' ').slice(0, 60)}'` };
  return { kind: 'done', peer: { address: parts[2]!, port }, length };
}

function readV2(buf: Buffer): HeaderVerdict {
  const n = Math.min(buf.length, V2_SIG.length);
  if (buf.compare(V2_SIG, 0, n, 0, n) !== 0) return { kind: 'bad', reason: 'the connection did not start with a PROXY protocol header' };
  if (buf.length < 16) return { kind: 'more' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { kind: 'bad', reason: `PROXY v2 header with version ${verCmd >> 4}` };
  const cmd = verCmd & 0x0f;
  const family = buf[13]! >> 4;
  const len = buf.readUInt16BE(14);
  if (buf.length < 16 + len) return { kind: 'more' };
  const length = 16 + len;
  if (cmd === 0) return { kind: 'done', peer: { address: null, port: 0 }, length }; // LOCAL: the balancer's own check
  if (cmd !== 1) return { kind: 'bad', reason: `PROXY v2 header with command ${cmd}` };
  if (family === 1) {
    if (len < 12) return { kind: 'bad', reason: 'PROXY v2 IPv4 header too short' };
    return { kind: 'done', peer: { address: `${buf[16]}.${buf[17]}.${buf[18]}.${buf[19]}`, port: buf.readUInt16BE(24) }, length };
  }
  if (family === 2) {
    if (len < 36) return { kind: 'bad', reason: 'PROXY v2 IPv6 header too short' };
    const words: string[] = [];
    for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(16 + i * 2).toString(16));
    return { kind: 'done', peer: { address: words.join(':'), port: buf.readUInt16BE(48) }, length };
  }
  return { kind: 'done', peer: { address: null, port: 0 }, length }; // UNSPEC or unix: no address to show
}
