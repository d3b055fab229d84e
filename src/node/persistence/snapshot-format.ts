// The snapshot file format of `shardgate node` (dump.sgdb, the AOF base, and
// the full-sync payload of replication). Pure encode/decode: no files, no
// sockets, no keyspace. Layout (all integers big endian):
//
//   header   "SGDB" | u8 version (1) | u8 flags (0) | u16 reserved (0)
//   aux      0xFA | u32 nameLen | name | u32 valueLen | value     (metadata, any number)
//   entry    0x01 | u32 keyLen | key (latin1 bytes) | u64 expiresAtMs (0 = none) | u32 payloadLen | payload (DUMP format of the core)
//   end      0xFF | u32 entryCount | u32 crc32 of every byte before the crc
//
// The end record makes the format self-delimiting, so an AOF can start with a
// snapshot and continue with RESP commands right after it (hybrid AOF).

import zlib from 'node:zlib';

export const SNAPSHOT_MAGIC = Buffer.from('SGDB', 'latin1');
export const SNAPSHOT_VERSION = 1;
const HEADER_LEN = 8;
const T_AUX = 0xfa;
const T_ENTRY = 0x01;
const T_END = 0xff;
const END_LEN = 9;

/** Malformed or truncated snapshot bytes; `offset` is where decoding stopped (relative to the buffer start). */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
  readonly code = 'SG_ERR_SNAPSHOT_FORMAT';
  constructor(message: string, readonly offset: number) { super(`${message} at offset ${offset}`); }
}

export function startsWithSnapshot(buf: Buffer, offset = 0): boolean {
  return buf.length - offset >= 4 && buf.compare(SNAPSHOT_MAGIC, 0, 4, offset, offset + 4) === 0;
}

/**
 * Streaming encoder: call header(), aux()/entry() any number of times, then end().
 * Each call returns the bytes to append; a running crc32 covers them all.
 */
export class SnapshotEncoder {
  #crc = 0;
  #count = 0;
  #bytes = 0;

  get entries(): number { return this.#count; }
  /** bytes produced so far */
  get size(): number { return this.#bytes; }

  header(): Buffer {
    const b = Buffer.alloc(HEADER_LEN);
    SNAPSHOT_MAGIC.copy(b, 0);
    b[4] = SNAPSHOT_VERSION;
    return this.#out(b);
  }

  aux(name: string, value: string): Buffer {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const b = Buffer.allocUnsafe(9 + n.length + v.length);
    b[0] = T_AUX;
    b.writeUInt32BE(n.length, 1);
    n.copy(b, 5);
    b.writeUInt32BE(v.length, 5 + n.length);
    v.copy(b, 9 + n.length);
    return this.#out(b);
  }

  entry(key: string, payload: Buffer, expiresAtMs: number): Buffer {
    const klen = Buffer.byteLength(key, 'latin1');
    const b = Buffer.allocUnsafe(1 + 4 + klen + 8 + 4 + payload.length);
    let p = 0;
    b[p++] = T_ENTRY;
    b.writeUInt32BE(klen, p); p += 4;
    p += b.write(key, p, 'latin1');
    b.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(expiresAtMs))), p); p += 8;
    b.writeUInt32BE(payload.length, p); p += 4;
    payload.copy(b, p);
    this.#count++;
    return this.#out(b);
  }

  end(): Buffer {
    const b = Buffer.allocUnsafe(END_LEN);
    b[0] = T_END;
    b.writeUInt32BE(this.#count >>> 0, 1);
    this.#crc = zlib.crc32(b.subarray(0, 5), this.#crc);
    b.writeUInt32BE(this.#crc >>> 0, 5);
    this.#bytes += b.length;
    return b;
  }

  #out(b: Buffer): Buffer {
    this.#crc = zlib.crc32(b, this.#crc);
    this.#bytes += b.length;
    return b;
  }
}

export interface DecodedSnapshot {
  aux: Map<string, string>;
  entries: number;
  /** offset just past the end record (where an AOF tail starts) */
  end: number;
}

/**
 * Decode a snapshot that starts at `offset` in `buf`, calling onEntry for every
 * entry in file order. Throws SnapshotFormatError on a bad header, a truncated
 * record, an unknown record type, a count mismatch or a checksum mismatch.
 * Entries are delivered before the checksum is verified: callers load into an
 * empty keyspace and refuse to start (or flush) when decoding throws.
 */
export function decodeSnapshot(
  buf: Buffer,
  onEntry: (key: string, payload: Buffer, expiresAtMs: number) => void,
  offset = 0,
): DecodedSnapshot {
  const base = offset;
  const rel = (p: number): number => p - base;
  if (buf.length - offset < HEADER_LEN) throw new SnapshotFormatError('truncated snapshot header', rel(buf.length));
  if (!startsWithSnapshot(buf, offset)) throw new SnapshotFormatError('not a snapshot (bad magic)', 0);
  const version = buf[offset + 4]!;
  if (version !== SNAPSHOT_VERSION) throw new SnapshotFormatError(`unsupported snapshot version ${version}`, 4);
  let p = offset + HEADER_LEN;
  const aux = new Map<string, string>();
  let count = 0;
  const need = (n: number, what: string): void => {
    if (p + n > buf.length) throw new SnapshotFormatError(`truncated ${what}`, rel(p));
  };
  for (;;) {
    need(1, 'record');
    const type = buf[p]!;
    if (type === T_ENTRY) {
      need(5, 'entry');
      const klen = buf.readUInt32BE(p + 1);
      need(5 + klen + 12, 'entry');
      const key = buf.toString('latin1', p + 5, p + 5 + klen);
      let q = p + 5 + klen;
      const exp = Number(buf.readBigUInt64BE(q)); q += 8;
      const plen = buf.readUInt32BE(q); q += 4;
      if (q + plen > buf.length) throw new SnapshotFormatError('truncated entry payload', rel(p));
      const payload = buf.subarray(q, q + plen);
      p = q + plen;
      count++;
      onEntry(key, payload, exp);
    } else if (type === T_AUX) {
      need(5, 'aux');
      const nlen = buf.readUInt32BE(p + 1);
      need(5 + nlen + 4, 'aux');
      const name = buf.toString('utf8', p + 5, p + 5 + nlen);
      const vlen = buf.readUInt32BE(p + 5 + nlen);
      const vstart = p + 9 + nlen;
      if (vstart + vlen > buf.length) throw new SnapshotFormatError('truncated aux value', rel(p));
      aux.set(name, buf.toString('utf8', vstart, vstart + vlen));
      p = vstart + vlen;
    } else if (type === T_END) {
      need(END_LEN, 'end record');
      const n = buf.readUInt32BE(p + 1);
      if (n !== (count >>> 0)) throw new SnapshotFormatError(`entry count mismatch (${n} recorded, ${count} read)`, rel(p));
      const want = buf.readUInt32BE(p + 5);
      const got = zlib.crc32(buf.subarray(offset, p + 5)) >>> 0;
      if (want !== got) throw new SnapshotFormatError('checksum mismatch', rel(p));
      return { aux, entries: count, end: p + END_LEN };
    } else {
      throw new SnapshotFormatError(`unknown record type 0x${type.toString(16)}`, rel(p));
    }
  }
}
