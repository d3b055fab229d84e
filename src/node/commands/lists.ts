// List commands of the node, including blocking pops (BLPOP/BRPOP, FIFO per
// key, woken after the pushing command; served pops propagate as LPOP/RPOP).
// Lists are JS arrays of Buffers (LPUSH is O(n) on long lists: a known limit).
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { LIST_ELEM } from '../memory.js';
import { NIL_ARRAY, type NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, lower, parseFloatArg, parseInt64, str } from './util.js';

function getList(c: Call, key: string, write: boolean): Entry | undefined | ReplyError {
  const e = write ? c.ks.write(key) : c.ks.read(key);
  if (e !== undefined && e.t !== T.List) return E.wrongType;
  return e;
}

function push(c: Call, left: boolean, onlyExisting: boolean): NodeReply {
  const key = str(c.argv[1]!);
  let e = getList(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) {
    if (onlyExisting) return 0;
    e = c.ks.set(key, T.List, []);
  }
  const l = e.v as Buffer[];
  let grow = 0;
  for (let i = 2; i < c.argv.length; i++) {
    const v = Buffer.from(c.argv[i]!);
    if (left) l.unshift(v); else l.push(v);
    grow += LIST_ELEM + v.length;
  }
  c.ks.grow(e, grow);
  c.ks.dirty++;
  c.node.signalReady(key);
  return l.length;
}

function removeElems(c: Call, key: string, e: Entry, removed: Buffer[]): void {
  let g = 0;
  for (const v of removed) g += LIST_ELEM + v.length;
  c.ks.grow(e, -g);
  if ((e.v as Buffer[]).length === 0) c.ks.delete(key);
  c.ks.dirty++;
}

function pop(c: Call, left: boolean): NodeReply {
  let count = -1;
  if (c.argv.length > 3) return new ReplyError(`ERR wrong number of arguments for '${lower(c.argv[0]!)}' command`);
  if (c.argv.length === 3) {
    const n = parseInt64(c.argv[2]!);
    if (n === null || n < 0n) return E.positive;
    count = Number(n);
  }
  const key = str(c.argv[1]!);
  const e = getList(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return count >= 0 ? NIL_ARRAY : null;
  const l = e.v as Buffer[];
  if (count === 0) return [];
  const n = count < 0 ? 1 : Math.min(count, l.length);
  const out = left ? l.splice(0, n) : l.splice(l.length - n, n).reverse();
  removeElems(c, key, e, out);
  return count < 0 ? out[0]! : out;
}

function range(c: Call): NodeReply {
  const s = parseInt64(c.argv[2]!); const en = parseInt64(c.argv[3]!);
  if (s === null || en === null) return E.notInt;
  const e = getList(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return [];
  const l = e.v as Buffer[];
  let start = Number(s); let end = Number(en);
  if (start < 0) start = l.length + start;
  if (end < 0) end = l.length + end;
  if (start < 0) start = 0;
  if (start > end || start >= l.length) return [];
  if (end >= l.length) end = l.length - 1;
  return l.slice(start, end + 1);
}

function lrem(c: Call): NodeReply {
  const cnt = parseInt64(c.argv[2]!);
  if (cnt === null) return E.notInt;
  const key = str(c.argv[1]!);
  const e = getList(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return 0;
  const l = e.v as Buffer[];
  const target = c.argv[3]!;
  let toRemove = cnt === 0n ? Infinity : Math.abs(Number(cnt));
  const removed: Buffer[] = [];
  if (cnt >= 0n) {
    for (let i = 0; i < l.length && toRemove > 0; i++) if (l[i]!.equals(target)) { removed.push(...l.splice(i, 1)); i--; toRemove--; }
  } else {
    for (let i = l.length - 1; i >= 0 && toRemove > 0; i--) if (l[i]!.equals(target)) { removed.push(...l.splice(i, 1)); toRemove--; }
  }
  if (removed.length > 0) removeElems(c, key, e, removed);
  return removed.length;
}

function lpos(c: Call): NodeReply {
  let rank = 1; let count = -1; let maxlen = 0;
  for (let i = 3; i < c.argv.length; i++) {
    const o = lower(c.argv[i]!);
    if (i + 1 >= c.argv.length) return E.syntax;
    const n = parseInt64(c.argv[++i]!);
    if (n === null && o === 'count') return new ReplyError("ERR COUNT can't be negative");
    if (n === null && o === 'maxlen') return new ReplyError("ERR MAXLEN can't be negative");
    if (n === null) return o === 'rank' ? E.notInt : E.syntax;
    if (o === 'rank') {
      if (n === 0n) return new ReplyError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      if (n === -9223372036854775808n) return new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
      rank = Number(n);
    } else if (o === 'count') {
      if (n < 0n) return new ReplyError("ERR COUNT can't be negative");
      count = Number(n);
    } else if (o === 'maxlen') {
      if (n < 0n) return new ReplyError("ERR MAXLEN can't be negative");
      maxlen = Number(n);
    } else return E.syntax;
  }
  const e = getList(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return count >= 0 ? [] : null;
  const l = e.v as Buffer[];
  const out: number[] = [];
  const want = count === 0 ? Infinity : count < 0 ? 1 : count;
  let skip = Math.abs(rank) - 1;
  const target = c.argv[2]!;
  for (let j = 0; j < l.length && (maxlen === 0 || j < maxlen) && out.length < want; j++) {
    const idx = rank > 0 ? j : l.length - 1 - j;
    if (l[idx]!.equals(target)) { if (skip > 0) skip--; else out.push(idx); }
  }
  if (count >= 0) return out;
  return out.length > 0 ? out[0]! : null;
}

function bpop(c: Call, left: boolean): NodeReply | Promise<NodeReply> {
  const t = parseFloatArg(c.argv[c.argv.length - 1]!);
  if (t === null || !Number.isFinite(t)) return new ReplyError('ERR timeout is not a float or out of range');
  if (t < 0) return new ReplyError('ERR timeout is negative');
  const keys = c.argv.slice(1, -1).map(str);
  for (let i = 0; i < keys.length; i++) {
    const e = getList(c, keys[i]!, true);
    if (e instanceof ReplyError) return e;
    if (e === undefined) continue;
    const l = e.v as Buffer[];
    const v = left ? l.shift()! : l.pop()!;
    removeElems(c, keys[i]!, e, [v]);
    c.prop = [[buf(left ? 'LPOP' : 'RPOP'), c.argv[i + 1]!]];
    return [c.argv[i + 1]!, v];
  }
  if (c.client.internal) return NIL_ARRAY;
  return c.node.block(c.client, keys, left, Math.round(t * 1000));
}

export function listCommands(): Cmd[] {
  const W = ['write', 'denyoom', 'fast'] as const;
  const k1: [number, number, number] = [1, 1, 1];
  return [
    def('lpush', -3, W, k1, (c) => push(c, true, false)),
    def('rpush', -3, W, k1, (c) => push(c, false, false)),
    def('lpushx', -3, W, k1, (c) => push(c, true, true)),
    def('rpushx', -3, W, k1, (c) => push(c, false, true)),
    def('lpop', -2, ['write', 'fast'], k1, (c) => pop(c, true)),
    def('rpop', -2, ['write', 'fast'], k1, (c) => pop(c, false)),
    def('blpop', -3, ['write', 'blocking'], [1, -2, 1], (c) => bpop(c, true)),
    def('brpop', -3, ['write', 'blocking'], [1, -2, 1], (c) => bpop(c, false)),
    def('lrange', 4, ['readonly'], k1, range),
    def('llen', 2, ['readonly', 'fast'], k1, (c) => { const e = getList(c, str(c.argv[1]!), false); return e instanceof ReplyError ? e : e === undefined ? 0 : (e.v as Buffer[]).length; }),
    def('lindex', 3, ['readonly'], k1, (c) => {
      const e = getList(c, str(c.argv[1]!), false);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return null;
      const n = parseInt64(c.argv[2]!);
      if (n === null) return E.notInt;
      const l = e.v as Buffer[];
      const i = n < 0n ? l.length + Number(n) : Number(n);
      return l[i] ?? null;
    }),
    def('lset', 4, ['write', 'denyoom'], k1, (c) => {
      const e = getList(c, str(c.argv[1]!), true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return E.noKey;
      const n = parseInt64(c.argv[2]!);
      if (n === null) return E.notInt;
      const l = e.v as Buffer[];
      const i = n < 0n ? l.length + Number(n) : Number(n);
      if (i < 0 || i >= l.length) return E.outOfRange;
      const v = Buffer.from(c.argv[3]!);
      c.ks.grow(e, v.length - l[i]!.length);
      l[i] = v; c.ks.dirty++;
      return 'OK';
    }),
    def('lrem', 4, ['write'], k1, lrem),
    def('ltrim', 4, ['write'], k1, (c) => {
      const s = parseInt64(c.argv[2]!); const en = parseInt64(c.argv[3]!);
      if (s === null || en === null) return E.notInt;
      const key = str(c.argv[1]!);
      const e = getList(c, key, true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return 'OK';
      const l = e.v as Buffer[];
      let start = Number(s); let end = Number(en);
      if (start < 0) start = l.length + start;
      if (end < 0) end = l.length + end;
      if (start < 0) start = 0;
      let keep: Buffer[];
      if (start > end || start >= l.length) keep = [];
      else keep = l.slice(start, Math.min(end, l.length - 1) + 1);
      const removed = [...l.slice(0, start), ...l.slice(start + keep.length)];
      l.length = 0; l.push(...keep);
      removeElems(c, key, e, removed);
      return 'OK';
    }),
    def('linsert', 5, ['write', 'denyoom'], k1, (c) => {
      const where = lower(c.argv[2]!);
      if (where !== 'before' && where !== 'after') return E.syntax;
      const key = str(c.argv[1]!);
      const e = getList(c, key, true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return 0;
      const l = e.v as Buffer[];
      const i = l.findIndex((x) => x.equals(c.argv[3]!));
      if (i < 0) return -1;
      const v = Buffer.from(c.argv[4]!);
      l.splice(where === 'before' ? i : i + 1, 0, v);
      c.ks.grow(e, LIST_ELEM + v.length); c.ks.dirty++;
      c.node.signalReady(key);
      return l.length;
    }),
    def('lpos', -3, ['readonly'], k1, lpos),
  ];
}
