// The node's DUMP/RESTORE value format (also used by snapshots through
// KeyspaceSnapshotSource): type byte, body, then a trailer "SG" + format
// version + CRC-32 of everything before it. Redis's own DUMP payloads (RDB
// version + CRC-64 trailer) do not pass the check. Pure: no keyspace access.
import zlib from 'node:zlib';
import { ZSet } from './types/zset.js';
import { DenseSet } from './types/dense-set.js';
import { Deque } from './types/deque.js';

export const DUMP_VERSION = 1;
export const enum T { String = 0, List = 1, Hash = 2, ZSet = 3, Set = 4 }
export type Value = Buffer | Deque | Map<string, Buffer> | ZSet | DenseSet;

export function dumpValue(t: T, v: Value): Buffer {
  const parts: Buffer[] = [Buffer.from([t])];
  const u32 = (n: number): void => { const b = Buffer.allocUnsafe(4); b.writeUInt32BE(n); parts.push(b); };
  const blob = (b: Buffer): void => { u32(b.length); parts.push(b); };
  if (t === T.String) blob(v as Buffer);
  else if (t === T.List) { const l = v as Deque; u32(l.length); for (let i = 0; i < l.length; i++) blob(l.at(i)); }
  else if (t === T.Hash) { const h = v as Map<string, Buffer>; u32(h.size); for (const [k, x] of h) { blob(Buffer.from(k, 'latin1')); blob(x); } }
  else if (t === T.Set) { const st = v as DenseSet; u32(st.size); for (const m of st) blob(Buffer.from(m, 'latin1')); }
  else {
    const z = v as ZSet; u32(z.size);
    for (let n = z.sl.first(); n !== null; n = n.levels[0]!.next) {
      blob(Buffer.from(n.member, 'latin1'));
      const d = Buffer.allocUnsafe(8); d.writeDoubleBE(n.score); parts.push(d);
    }
  }
  parts.push(Buffer.from([0x53, 0x47, DUMP_VERSION]));
  const body = Buffer.concat(parts);
  const crc = Buffer.allocUnsafe(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}

/** Decode a payload; null when the trailer, version, checksum or body is wrong. */
export function loadValue(p: Buffer): { t: T; v: Value } | null {
  if (p.length < 8) return null;
  const end = p.length - 4;
  if (p[end - 3] !== 0x53 || p[end - 2] !== 0x47 || p[end - 1] !== DUMP_VERSION) return null;
  if ((zlib.crc32(p.subarray(0, end)) >>> 0) !== p.readUInt32BE(end)) return null;
  const lim = end - 3;
  let pos = 1;
  const u32 = (): number => { if (pos + 4 > lim) throw new Error('short'); const n = p.readUInt32BE(pos); pos += 4; return n; };
  const blob = (): Buffer => { const n = u32(); if (pos + n > lim) throw new Error('short'); const b = Buffer.from(p.subarray(pos, pos + n)); pos += n; return b; };
  try {
    const t = p[0] as T;
    let v: Value;
    if (t === T.String) v = blob();
    else if (t === T.List) { const n = u32(); const l = new Deque(); for (let i = 0; i < n; i++) l.pushBack(blob()); v = l; }
    else if (t === T.Hash) { const n = u32(); const h = new Map<string, Buffer>(); for (let i = 0; i < n; i++) h.set(blob().toString('latin1'), blob()); v = h; }
    else if (t === T.ZSet) {
      const n = u32(); const z = new ZSet();
      for (let i = 0; i < n; i++) { const m = blob().toString('latin1'); if (pos + 8 > lim) return null; z.set(m, p.readDoubleBE(pos)); pos += 8; }
      v = z;
    } else if (t === T.Set) {
      const n = u32(); const st = new DenseSet();
      for (let i = 0; i < n; i++) st.add(blob().toString('latin1'));
      v = st;
    } else return null;
    if (pos !== lim) return null;
    return { t, v };
  } catch { return null; }
}
