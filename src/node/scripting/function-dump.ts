// FUNCTION DUMP / RESTORE's payload in redis-server 7.0's format, so libraries
// move between shardgate node and redis-server both ways: per library the RDB
// opcode FUNCTION2 (245) and the code as an RDB string, then the RDB version
// (2 bytes, little endian) and a CRC-64 (Jones, reflected; little endian) of
// everything before it. Strings are written plain (Redis may LZF-compress its
// own; both read either). Pure bytes in, bytes out.

/** RDB version of redis-server 7.0; a payload of a newer version is refused as Redis does */
const RDB_VERSION = 10;
const OPCODE_FUNCTION_PRE_GA = 246;
const OPCODE_FUNCTION2 = 245;
const FOOTER = 10;

export class FunctionPayloadError extends Error {
  override readonly name = 'FunctionPayloadError';
  readonly code = 'SG_ERR_FUNCTION_PAYLOAD';
}

export function encodeFunctionDump(codes: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const code of codes) parts.push(Buffer.from([OPCODE_FUNCTION2]), encodeLength(code.length), code);
  parts.push(Buffer.from([RDB_VERSION & 0xff, RDB_VERSION >> 8]));
  const body = Buffer.concat(parts);
  const crc = Buffer.allocUnsafe(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

/** The libraries' codes, or null when the version or checksum is wrong (Redis's first check); FunctionPayloadError for a bad record. */
export function decodeFunctionDump(p: Buffer): Buffer[] | null {
  if (p.length < FOOTER) return null;
  const version = p.readUInt16LE(p.length - FOOTER);
  if (version > RDB_VERSION) return null;
  if (crc64(p.subarray(0, p.length - 8)) !== p.readBigUInt64LE(p.length - 8)) return null;
  const end = p.length - FOOTER;
  const out: Buffer[] = [];
  let o = 0;
  const need = (n: number): void => { if (o + n > end) throw new FunctionPayloadError('payload truncated'); };
  while (o < end) {
    const type = p[o++]!;
    if (type === OPCODE_FUNCTION_PRE_GA) throw new FunctionPayloadError('Pre-GA function format not supported');
    if (type !== OPCODE_FUNCTION2) throw new FunctionPayloadError('given type is not a function');
    const readLen = (): { len: number; enc: number | null } => {
      need(1);
      const b = p[o++]!;
      const kind = b >> 6;
      if (kind === 0) return { len: b & 0x3f, enc: null };
      if (kind === 1) { need(1); return { len: ((b & 0x3f) << 8) | p[o++]!, enc: null }; }
      if (kind === 3) return { len: 0, enc: b & 0x3f };
      if (b === 0x80) { need(4); const v = p.readUInt32BE(o); o += 4; return { len: v, enc: null }; }
      if (b === 0x81) { need(8); const v = Number(p.readBigUInt64BE(o)); o += 8; return { len: v, enc: null }; }
      throw new FunctionPayloadError('bad length encoding');
    };
    const h = readLen();
    let s: Buffer;
    if (h.enc === null) { need(h.len); s = Buffer.from(p.subarray(o, o + h.len)); o += h.len; }
    else if (h.enc === 0) { need(1); s = Buffer.from(String(p.readInt8(o))); o += 1; }
    else if (h.enc === 1) { need(2); s = Buffer.from(String(p.readInt16LE(o))); o += 2; }
    else if (h.enc === 2) { need(4); s = Buffer.from(String(p.readInt32LE(o))); o += 4; }
    else if (h.enc === 3) {
      const clen = readLen().len;
      const len = readLen().len;
      need(clen);
      s = lzfDecompress(p.subarray(o, o + clen), len);
      o += clen;
    } else throw new FunctionPayloadError('bad string encoding');
    out.push(s);
  }
  return out;
}

function encodeLength(n: number): Buffer {
  if (n < 64) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.allocUnsafe(5);
  b[0] = 0x80;
  b.writeUInt32BE(n, 1);
  return b;
}

/** liblzf's format: literal runs (ctrl < 32) and back references (length in the top 3 bits). */
function lzfDecompress(src: Buffer, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  const bad = (): never => { throw new FunctionPayloadError('bad LZF data'); };
  while (ip < src.length) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLen || ip + n > src.length) bad();
      src.copy(out, op, ip, ip + n);
      ip += n; op += n;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) { if (ip >= src.length) bad(); len += src[ip++]!; }
      if (ip >= src.length) bad();
      ref -= src[ip++]!;
      len += 2;
      if (ref < 0 || op + len > outLen) bad();
      for (let i = 0; i < len; i++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLen) bad();
  return out;
}

let TABLE: BigUint64Array | null = null;

/** CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor). */
export function crc64(b: Buffer): bigint {
  const t = (TABLE ??= makeTable());
  let crc = 0n;
  for (let i = 0; i < b.length; i++) crc = t[Number((crc ^ BigInt(b[i]!)) & 0xffn)]! ^ (crc >> 8n);
  return crc;
}

function makeTable(): BigUint64Array {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 bit-reversed
  const t = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    t[i] = c;
  }
  return t;
}
