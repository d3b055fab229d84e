// HyperLogLog commands of the node: PFADD, PFCOUNT, PFMERGE, on strings in
// Redis's own HLL format (types/hll.ts), so counts and bytes equal
// redis-server 7.0's. PFCOUNT of one key stores the cardinality it computed in
// the key's header, as Redis does, and then propagates itself (PFCOUNT key) so
// replicas and the AOF hold the same bytes; PFCOUNT of several keys writes
// nothing. Dense values are edited in place (types/owned-string.ts); sparse
// ones (at most 3000 bytes) are edited in a scratch copy and stored back.
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import type { NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, str } from './util.js';
import * as H from '../types/hll.js';
import { assign, setOwned, writable } from '../types/owned-string.js';

const notHll = new ReplyError('WRONGTYPE Key is not a valid HyperLogLog string value.');
const corrupt = new ReplyError('INVALIDOBJ Corrupted HLL object detected');

/** The key's HLL bytes (undefined when missing) or the error reply. */
function hllOf(e: Entry | undefined): Buffer | undefined | ReplyError {
  if (e === undefined) return undefined;
  if (e.t !== T.String) return E.wrongType;
  const v = e.v as Buffer;
  return H.isValid(v) ? v : notHll;
}

/** An HLL being edited: dense in place (`dense`), or sparse in `scratch[0, len)`. */
class Edit {
  dense: Uint8Array | null = null;
  scratch: Uint8Array | null = null;
  len = 0;
  constructor(v: Uint8Array, denseInPlace: Uint8Array | null) {
    if (v[4] === H.DENSE) this.dense = denseInPlace ?? v;
    else { this.scratch = new Uint8Array(Math.max(v.length, H.SPARSE_MAX_BYTES) + 8); this.scratch.set(v); this.len = v.length; }
  }

  /** Promote to dense; false when the sparse form is corrupt. */
  promote(): boolean {
    if (this.dense !== null) return true;
    const d = H.sparseToDense(this.scratch!.subarray(0, this.len));
    if (d === null) return false;
    this.dense = d; this.scratch = null;
    return true;
  }

  /** Raise register i to count: 1 changed, 0 not, -1 corrupt. */
  set(i: number, count: number): number {
    if (this.dense !== null) return H.denseSet(this.dense, i, count);
    const [r, len] = H.sparseSet(this.scratch!, this.len, i, count);
    this.len = len;
    if (r !== 2) return r;
    if (!this.promote()) return -1;
    return H.denseSet(this.dense!, i, count);
  }

  bytes(): Uint8Array { return this.dense ?? this.scratch!.subarray(0, this.len); }
}

/** Start editing key's HLL (created when missing): [entry or undefined, edit], or the error reply. */
function beginEdit(c: Call, key: string): [Entry | undefined, Edit] | ReplyError {
  const e = c.ks.write(key);
  const v = hllOf(e);
  if (v instanceof ReplyError) return v;
  if (v === undefined) return [undefined, new Edit(H.create(), null)];
  return [e, new Edit(v, v[4] === H.DENSE ? writable(c.ks, e!, v.length) : null)];
}

/** Store an edit: dense edits already are in place unless promoted or new. */
function finish(c: Call, key: string, e: Entry | undefined, ed: Edit): void {
  const b = ed.bytes();
  H.invalidateCache(b);
  if (e === undefined) { const v = Buffer.alloc(b.length); v.set(b); setOwned(c.ks, key, v); return; }
  if (b !== e.v) assign(c.ks, e, b);
}

function pfadd(c: Call): NodeReply {
  const key = str(c.argv[1]!);
  const r = beginEdit(c, key);
  if (r instanceof ReplyError) return r;
  const [e, ed] = r;
  let updated = e === undefined ? 1 : 0;
  for (let j = 2; j < c.argv.length; j++) {
    const [i, count] = H.patLen(c.argv[j]!);
    const x = ed.set(i, count);
    if (x === -1) return corrupt;
    if (x === 1) updated++;
  }
  if (updated === 0) return 0;
  finish(c, key, e, ed);
  c.ks.dirty += updated;
  return 1;
}

function pfcount(c: Call): NodeReply {
  if (c.argv.length > 2) {
    const max = new Uint8Array(H.REGISTERS);
    for (let j = 1; j < c.argv.length; j++) {
      const v = hllOf(c.ks.read(str(c.argv[j]!)));
      if (v === undefined) continue;
      if (v instanceof ReplyError) return v;
      if (!H.mergeInto(max, v)) return corrupt;
    }
    return H.estimate(H.histogramRaw(max));
  }
  const key = str(c.argv[1]!);
  const v = hllOf(c.ks.read(key));
  if (v === undefined || v instanceof ReplyError) return v ?? 0;
  if (H.cacheValid(v)) return H.readCache(v);
  const h = H.histogram(v);
  if (h === null) return corrupt;
  const card = H.estimate(h);
  const e = c.ks.write(key)!;
  H.writeCache(writable(c.ks, e, v.length), card);
  c.ks.dirty++;
  // a read command that wrote: the stream carries it (a replica recomputes the same bytes); a
  // read-only replica keeps its cache to itself, its stream being its master's
  if (!c.node.readOnly || c.client.internal) c.prop = [[buf('PFCOUNT'), c.argv[1]!]];
  return card;
}

function pfmerge(c: Call): NodeReply {
  const max = new Uint8Array(H.REGISTERS);
  let useDense = false;
  for (let j = 1; j < c.argv.length; j++) {
    const v = hllOf(c.ks.read(str(c.argv[j]!)));
    if (v === undefined) continue;
    if (v instanceof ReplyError) return v;
    if (v[4] === H.DENSE) useDense = true;
    if (!H.mergeInto(max, v)) return corrupt;
  }
  const key = str(c.argv[1]!);
  const r = beginEdit(c, key);
  if (r instanceof ReplyError) return r;
  const [e, ed] = r;
  if (useDense && !ed.promote()) return corrupt;
  for (let j = 0; j < H.REGISTERS; j++) if (max[j] !== 0) ed.set(j, max[j]!);
  finish(c, key, e, ed);
  c.ks.dirty++;
  return 'OK';
}

export function hyperloglogCommands(): Cmd[] {
  const W = ['write', 'denyoom'] as const;
  return [
    def('pfadd', -2, [...W, 'fast'], [1, 1, 1], pfadd),
    def('pfcount', -2, ['readonly'], [1, -1, 1], pfcount),
    def('pfmerge', -2, W, [1, -1, 1], pfmerge),
  ];
}
