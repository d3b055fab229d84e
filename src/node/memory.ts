// Memory estimate of the keyspace: per-entry overhead constants plus byte
// lengths. Constants were calibrated against process.memoryUsage() (heapUsed +
// arrayBuffers) on Node 20; see docs/node.md "Memory". Pure functions.
import { T, type Value } from './dump.js';
import type { ZSet } from './types/zset.js';
import type { DenseSet } from './types/dense-set.js';
import type { Deque } from './types/deque.js';

/** Map slot + Entry object + key string header + index slots. */
export const ENTRY_OVERHEAD = 190;
/** A Buffer object and its backing store header. */
export const BUF_OVERHEAD = 125;
export const LIST_ELEM = 22 + BUF_OVERHEAD;
export const HASH_FIELD = 65 + BUF_OVERHEAD;
export const ZSET_ELEM = 215;
/** Map entry + dense array slot + member string header. */
export const SET_ELEM = 90;

export function valueSize(t: T, v: Value): number {
  switch (t) {
    case T.String: return BUF_OVERHEAD + (v as Buffer).length;
    case T.List: { const l = v as Deque; let s = 32; for (let i = 0; i < l.length; i++) s += LIST_ELEM + l.at(i).length; return s; }
    case T.Hash: { let s = 64; for (const [k, b] of v as Map<string, Buffer>) s += HASH_FIELD + k.length + b.length; return s; }
    case T.Set: { let s = 96; for (const m of v as DenseSet) s += SET_ELEM + m.length; return s; }
    default: { let s = 128; for (const k of (v as ZSet).dict.keys()) s += ZSET_ELEM + k.length; return s; }
  }
}

export function parseMemory(s: string): number {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid memory size '${s}'`);
  const n = Number(m[1]);
  const u = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1000 ** 2, mb: 1024 ** 2, g: 1000 ** 3, gb: 1024 ** 3 };
  return n * mult[u]!;
}
