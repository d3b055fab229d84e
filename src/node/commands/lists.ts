// List commands of the node that do not block or move between lists (those
// are in list-moves.ts). Lists are Deque values (types/deque.ts): push/pop at
// both ends O(1), LINDEX/LSET O(1), LRANGE O(range), LINSERT/LREM O(n).
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { LIST_ELEM } from '../memory.js';
import { NIL_ARRAY, type NodeReply } from '../reply.js';
import { Deque } from '../types/deque.js';
import { def, type Call, type Cmd } from './types.js';
import { E, lower, parseInt64, str } from './util.js';

export function getList(c: Call, key: string, write: boolean): Entry | undefined | ReplyError {
  const e = write ? c.ks.write(key) : c.ks.read(key);
  if (e !== undefined && e.t !== T.List) return E.wrongType;
  return e;
}

export const listOf = (e: Entry): Deque => e.v as Deque;

/** Push onto a list entry (created by the caller when missing) and wake its blocked clients. */
export function pushTo(c: Call, key: string, e: Entry, left: boolean, v: Buffer): number {
  const l = listOf(e);
  if (left) l.pushFront(v); else l.pushBack(v);
  c.ks.grow(e, LIST_ELEM + v.length);
  c.ks.dirty++;
  c.node.signalReady(key);
  return l.length;
}

/** Pop up to n elements from one end; deletes the key when it empties. */
export function popFrom(c: Call, key: string, e: Entry, left: boolean, n: number): Buffer[] {
  const l = listOf(e);
  const out: Buffer[] = [];
  let shrink = 0;
  for (let i = 0; i < n && l.length > 0; i++) {
    const v = left ? l.popFront()! : l.popBack()!;
    out.push(v);
    shrink += LIST_ELEM + v.length;
  }
  c.ks.grow(e, -shrink);
  if (l.length === 0) c.ks.delete(key);
  c.ks.dirty++;
  return out;
}

function push(c: Call, left: boolean, onlyExisting: boolean): NodeReply {
  const key = str(c.argv[1]!);
  let e = getList(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) {
    if (onlyExisting) return 0;
    e = c.ks.set(key, T.List, new Deque());
  }
  const l = listOf(e);
  let grow = 0;
  for (let i = 2; i < c.argv.length; i++) {
    const v = c.argv[i]!;
    if (left) l.pushFront(v); else l.pushBack(v);
    grow += LIST_ELEM + v.length;
  }
  c.ks.grow(e, grow);
  c.ks.dirty++;
  c.node.signalReady(key);
  return l.length;
}

function pop(c: Call, left: boolean): NodeReply {
  let count = -1;
  if (c.argv.length > 3) return new ReplyError(`ERR wrong number of arguments for '${lower(c.argv[0]!)}' command`);
  if (c.argv.length === 3) {
    const n = parseInt64(c.argv[2]!);
    if (n === null || n < 0n) return E.positive;
    count = n > 2n ** 32n ? 2 ** 32 : Number(n);
  }
  const key = str(c.argv[1]!);
  const e = getList(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return count >= 0 ? NIL_ARRAY : null;
  if (count === 0) return [];
  const out = popFrom(c, key, e, left, count < 0 ? 1 : count);
  return count < 0 ? out[0]! : out;
}

/** Redis's start/end normalisation for LRANGE/LTRIM: [start, end] inclusive within the list, or null when empty. */
function span(s: bigint, en: bigint, len: number): [number, number] | null {
  let start = s < 0n ? BigInt(len) + s : s;
  let end = en < 0n ? BigInt(len) + en : en;
  if (start < 0n) start = 0n;
  if (start > end || start >= BigInt(len)) return null;
  if (end >= BigInt(len)) end = BigInt(len - 1);
  return [Number(start), Number(end)];
}

/** An index argument resolved against the list length (negative from the end); -1 when outside. */
function indexOf(n: bigint, len: number): number {
  const i = n < 0n ? BigInt(len) + n : n;
  return i < 0n || i >= BigInt(len) ? -1 : Number(i);
}

function range(c: Call): NodeReply {
  const s = parseInt64(c.argv[2]!); const en = parseInt64(c.argv[3]!);
  if (s === null || en === null) return E.notInt;
  const e = getList(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return [];
  const l = listOf(e);
  const r = span(s, en, l.length);
  return r === null ? [] : l.slice(r[0], r[1] + 1);
}

function lrem(c: Call): NodeReply {
  const cnt = parseInt64(c.argv[2]!);
  if (cnt === null) return E.notInt;
  const key = str(c.argv[1]!);
  const e = getList(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return 0;
  const l = listOf(e);
  const target = c.argv[3]!;
  let toRemove = cnt === 0n ? Infinity : cnt < 0n ? Number(-cnt) : Number(cnt);
  const items = l.toArray();
  const removed: Buffer[] = [];
  if (cnt >= 0n) {
    for (let i = 0; i < items.length && toRemove > 0; i++) if (items[i]!.equals(target)) { removed.push(items[i]!); items[i] = null as unknown as Buffer; toRemove--; }
  } else {
    for (let i = items.length - 1; i >= 0 && toRemove > 0; i--) if (items[i]!.equals(target)) { removed.push(items[i]!); items[i] = null as unknown as Buffer; toRemove--; }
  }
  if (removed.length === 0) return 0;
  l.replaceAll(items.filter((x) => x !== null));
  let shrink = 0;
  for (const v of removed) shrink += LIST_ELEM + v.length;
  c.ks.grow(e, -shrink);
  if (l.length === 0) c.ks.delete(key);
  c.ks.dirty++;
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
  const l = listOf(e);
  const out: number[] = [];
  const want = count === 0 ? Infinity : count < 0 ? 1 : count;
  let skip = Math.abs(rank) - 1;
  const target = c.argv[2]!;
  for (let j = 0; j < l.length && (maxlen === 0 || j < maxlen) && out.length < want; j++) {
    const idx = rank > 0 ? j : l.length - 1 - j;
    if (l.at(idx).equals(target)) { if (skip > 0) skip--; else out.push(idx); }
  }
  if (count >= 0) return out;
  return out.length > 0 ? out[0]! : null;
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
    def('lrange', 4, ['readonly'], k1, range),
    def('llen', 2, ['readonly', 'fast'], k1, (c) => { const e = getList(c, str(c.argv[1]!), false); return e instanceof ReplyError ? e : e === undefined ? 0 : listOf(e).length; }),
    def('lindex', 3, ['readonly'], k1, (c) => {
      const e = getList(c, str(c.argv[1]!), false);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return null;
      const n = parseInt64(c.argv[2]!);
      if (n === null) return E.notInt;
      const l = listOf(e);
      const i = indexOf(n, l.length);
      return i < 0 ? null : l.at(i);
    }),
    def('lset', 4, ['write', 'denyoom'], k1, (c) => {
      const e = getList(c, str(c.argv[1]!), true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return E.noKey;
      const n = parseInt64(c.argv[2]!);
      if (n === null) return E.notInt;
      const l = listOf(e);
      const i = indexOf(n, l.length);
      if (i < 0) return E.outOfRange;
      const v = c.argv[3]!;
      c.ks.grow(e, v.length - l.at(i).length);
      l.set(i, v); c.ks.dirty++;
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
      const l = listOf(e);
      const r = span(s, en, l.length);
      const front = r === null ? l.length : r[0];
      const back = r === null ? 0 : l.length - 1 - r[1];
      if (front + back === 0) return 'OK';
      let shrink = 0;
      for (let i = 0; i < front; i++) { const v = l.popFront()!; shrink += LIST_ELEM + v.length; }
      for (let i = 0; i < back; i++) { const v = l.popBack()!; shrink += LIST_ELEM + v.length; }
      c.ks.grow(e, -shrink);
      if (l.length === 0) c.ks.delete(key);
      c.ks.dirty++;
      return 'OK';
    }),
    def('linsert', 5, ['write', 'denyoom'], k1, (c) => {
      const where = lower(c.argv[2]!);
      if (where !== 'before' && where !== 'after') return E.syntax;
      const key = str(c.argv[1]!);
      const e = getList(c, key, true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return 0;
      const l = listOf(e);
      const items = l.toArray();
      const i = items.findIndex((x) => x.equals(c.argv[3]!));
      if (i < 0) return -1;
      const v = c.argv[4]!;
      items.splice(where === 'before' ? i : i + 1, 0, v);
      l.replaceAll(items);
      c.ks.grow(e, LIST_ELEM + v.length); c.ks.dirty++;
      c.node.signalReady(key);
      return l.length;
    }),
    def('lpos', -3, ['readonly'], k1, lpos),
  ];
}
