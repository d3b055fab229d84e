// Sorted-set commands of the node (ZADD, ZRANGE family, ranks, pops).
// Values are ZSet (Map + span-counting skip list, see types/).
import { ReplyError, type Reply } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { ZSET_ELEM } from '../memory.js';
import type { NodeReply } from '../reply.js';
import type { SkipNode } from '../types/skiplist.js';
import { ZSet } from '../types/zset.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, lower, parseFloatArg, parseInt64, str } from './util.js';

export function getZ(c: Call, key: string, write: boolean): Entry | undefined | ReplyError {
  const e = write ? c.ks.write(key) : c.ks.read(key);
  if (e !== undefined && e.t !== T.ZSet) return E.wrongType;
  return e;
}

export const dbl = (d: number): Reply => ({ double: d });

export function withScores(c: Call, nodes: SkipNode[], ws: boolean): NodeReply {
  if (!ws) return nodes.map((n) => buf(n.member));
  if (c.client.protocol === 3) return nodes.map((n) => [buf(n.member), dbl(n.score)]);
  const out: Reply[] = [];
  for (const n of nodes) out.push(buf(n.member), dbl(n.score));
  return out;
}

function zadd(c: Call, incrCmd: boolean): NodeReply {
  const { argv } = c;
  let nx = false; let xx = false; let gt = false; let lt = false; let ch = false; let incr = incrCmd;
  let i = 2;
  if (!incrCmd) {
    for (; i < argv.length; i++) {
      const o = lower(argv[i]!);
      if (o === 'nx') nx = true; else if (o === 'xx') xx = true; else if (o === 'gt') gt = true; else if (o === 'lt') lt = true;
      else if (o === 'ch') ch = true; else if (o === 'incr') incr = true; else break;
    }
  }
  const rest = argv.length - i;
  if (rest === 0 || rest % 2 === 1) return E.syntax;
  if (nx && xx) return new ReplyError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return new ReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && rest > 2) return new ReplyError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = i; j < argv.length; j += 2) {
    const s = parseFloatArg(argv[j]!);
    if (s === null) return E.notFloat;
    scores.push(s);
  }
  const key = str(argv[1]!);
  let e = getZ(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) {
    if (xx) return incr ? null : 0;
    e = c.ks.set(key, T.ZSet, new ZSet());
  }
  const z = e.v as ZSet;
  let added = 0; let changed = 0; let last: number | null = null;
  for (let j = 0; j < scores.length; j++) {
    const m = str(argv[i + 2 * j + 1]!);
    let s = scores[j]!;
    const cur = z.dict.get(m);
    if (cur !== undefined) {
      if (nx) { last = null; continue; }
      if (incr) { s = cur + s; if (Number.isNaN(s)) { if (z.size === 0) c.ks.delete(key); return new ReplyError('ERR resulting score is not a number (NaN)'); } }
      if ((gt && s <= cur) || (lt && s >= cur)) { last = null; continue; }
      last = s;
      if (s !== cur) { z.set(m, s); changed++; }
    } else {
      if (xx) { last = null; continue; }
      z.set(m, s); added++; last = s;
      c.ks.grow(e, ZSET_ELEM + m.length);
    }
  }
  if (z.size === 0) c.ks.delete(key);
  if (added + changed > 0) c.ks.dirty++;
  if (incr) return last === null ? null : dbl(last);
  return ch ? added + changed : added;
}

export type Bound = { v: number; ex: boolean };
export function parseScore(b: Buffer): Bound | null {
  let s = str(b); let ex = false;
  if (s.startsWith('(')) { ex = true; s = s.slice(1); }
  const v = parseFloatArg(buf(s));
  return v === null ? null : { v, ex };
}
export type Lex = { inf: -1 | 1 | 0; v: string; ex: boolean };
export function parseLex(b: Buffer): Lex | null {
  const s = str(b);
  if (s === '-') return { inf: -1, v: '', ex: false };
  if (s === '+') return { inf: 1, v: '', ex: false };
  if (s.startsWith('(')) return { inf: 0, v: s.slice(1), ex: true };
  if (s.startsWith('[')) return { inf: 0, v: s.slice(1), ex: false };
  return null;
}
export const gteMin = (min: Lex) => (m: string): boolean => min.inf === -1 || (min.inf === 0 && (min.ex ? m > min.v : m >= min.v));
export const lteMax = (max: Lex) => (m: string): boolean => max.inf === 1 || (max.inf === 0 && (max.ex ? m < max.v : m <= max.v));

export interface RangeOpts { by: 'rank' | 'score' | 'lex'; rev: boolean; ws: boolean; off: number; count: number; limit: boolean }

function zrangeGeneric(c: Call, startArg: Buffer, stopArg: Buffer, o: RangeOpts): NodeReply {
  const r = zrangeNodes(c, str(c.argv[1]!), startArg, stopArg, o);
  return r instanceof ReplyError ? r : withScores(c, r, o.ws);
}

/** The members of ZRANGE's range (rank, score or lex; REV; LIMIT), [] for a missing key. */
export function zrangeNodes(c: Call, key: string, startArg: Buffer, stopArg: Buffer, o: RangeOpts): SkipNode[] | ReplyError {
  if (o.by === 'rank') {
    const s = parseInt64(startArg); const en = parseInt64(stopArg);
    if (s === null || en === null) return E.notInt;
    const e = getZ(c, key, false);
    if (e instanceof ReplyError) return e;
    if (e === undefined) return [];
    const sl = (e.v as ZSet).sl;
    const len = sl.length;
    let start = Number(s); let end = Number(en);
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (start > end || start >= len) return [];
    if (end >= len) end = len - 1;
    const out: SkipNode[] = [];
    let n = sl.byRank(o.rev ? len - 1 - start : start);
    for (let k = start; k <= end && n !== null; k++) { out.push(n); n = o.rev ? n.prev : n.levels[0]!.next; }
    return out;
  }
  let first: SkipNode | null; let inRange: (n: SkipNode) => boolean;
  const [minArg, maxArg] = o.rev ? [stopArg, startArg] : [startArg, stopArg];
  if (o.by === 'score') {
    const min = parseScore(minArg); const max = parseScore(maxArg);
    if (min === null || max === null) return E.minmaxFloat;
    const e = getZ(c, key, false);
    if (e instanceof ReplyError) return e;
    if (e === undefined) return [];
    const sl = (e.v as ZSet).sl;
    first = o.rev ? sl.lastInScore(max.v, max.ex) : sl.firstInScore(min.v, min.ex);
    inRange = (n) => (min.ex ? n.score > min.v : n.score >= min.v) && (max.ex ? n.score < max.v : n.score <= max.v);
  } else {
    const min = parseLex(minArg); const max = parseLex(maxArg);
    if (min === null || max === null) return E.minmaxLex;
    const e = getZ(c, key, false);
    if (e instanceof ReplyError) return e;
    if (e === undefined) return [];
    const sl = (e.v as ZSet).sl;
    const gm = gteMin(min); const lm = lteMax(max);
    first = o.rev ? sl.lastInLex(lm) : sl.firstInLex(gm);
    inRange = (n) => gm(n.member) && lm(n.member);
  }
  const out: SkipNode[] = [];
  let off = o.off;
  if (off < 0) return [];
  let n = first;
  while (n !== null && off > 0 && inRange(n)) { off--; n = o.rev ? n.prev : n.levels[0]!.next; }
  while (n !== null && inRange(n) && (o.count < 0 || out.length < o.count)) { out.push(n); n = o.rev ? n.prev : n.levels[0]!.next; }
  return out;
}

function zrange(c: Call, by: RangeOpts['by'], rev: boolean, optStart: number, allowBy: boolean): NodeReply {
  const o = parseRangeOpts(c.argv, by, rev, optStart, allowBy);
  return o instanceof ReplyError ? o : zrangeGeneric(c, c.argv[2]!, c.argv[3]!, o);
}

/** ZRANGE's options from argv[optStart..] (allowBy: the ZRANGE form with BYSCORE/BYLEX/REV). */
export function parseRangeOpts(a: Buffer[], by: RangeOpts['by'], rev: boolean, optStart: number, allowBy: boolean): RangeOpts | ReplyError {
  const o: RangeOpts = { by, rev, ws: false, off: 0, count: -1, limit: false };
  for (let i = optStart; i < a.length; i++) {
    const t = lower(a[i]!);
    if (t === 'withscores' && by !== 'lex') o.ws = true;
    else if (t === 'withscores' && allowBy) o.ws = true;
    else if (t === 'limit' && i + 2 < a.length) {
      const off = parseInt64(a[i + 1]!); const cnt = parseInt64(a[i + 2]!);
      if (off === null || cnt === null) return E.notInt;
      o.off = Number(off); o.count = Number(cnt); o.limit = true; i += 2;
    } else if (allowBy && t === 'byscore') o.by = 'score';
    else if (allowBy && t === 'bylex') o.by = 'lex';
    else if (allowBy && t === 'rev') o.rev = true;
    else return E.syntax;
  }
  if (o.count !== -1 && o.by === 'rank') return new ReplyError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (o.ws && o.by === 'lex') return new ReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  return o;
}

function zpop(c: Call, max: boolean): NodeReply {
  let count = 1; const hasCount = c.argv.length === 3;
  if (c.argv.length > 3) return E.syntax;
  if (hasCount) { const n = parseInt64(c.argv[2]!); if (n === null || n < 0n) return E.positive; count = Number(n); }
  const key = str(c.argv[1]!);
  const e = getZ(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined || count === 0) return [];
  const z = e.v as ZSet;
  const out: SkipNode[] = [];
  while (out.length < count && z.size > 0) {
    const n = max ? z.sl.tail! : z.sl.first()!;
    out.push(n); z.delete(n.member);
    c.ks.grow(e, -(ZSET_ELEM + n.member.length));
  }
  if (z.size === 0) c.ks.delete(key);
  c.ks.dirty++;
  if (c.client.protocol === 3 && !hasCount) return [buf(out[0]!.member), dbl(out[0]!.score)];
  return withScores(c, out, true);
}

export function zsetCommands(): Cmd[] {
  const k1: [number, number, number] = [1, 1, 1];
  const R = ['readonly'] as const;
  return [
    def('zadd', -4, ['write', 'denyoom', 'fast'], k1, (c) => zadd(c, false)),
    def('zincrby', 4, ['write', 'denyoom', 'fast'], k1, (c) => zadd(c, true)),
    def('zrange', -4, R, k1, (c) => zrange(c, 'rank', false, 4, true)),
    def('zrevrange', -4, R, k1, (c) => zrange(c, 'rank', true, 4, false)),
    def('zrangebyscore', -4, R, k1, (c) => zrange(c, 'score', false, 4, false)),
    def('zrevrangebyscore', -4, R, k1, (c) => zrange(c, 'score', true, 4, false)),
    def('zrangebylex', -4, R, k1, (c) => zrange(c, 'lex', false, 4, false)),
    def('zrevrangebylex', -4, R, k1, (c) => zrange(c, 'lex', true, 4, false)),
    def('zscore', 3, [...R, 'fast'], k1, (c) => {
      const e = getZ(c, str(c.argv[1]!), false);
      if (e instanceof ReplyError) return e;
      const s = e === undefined ? undefined : (e.v as ZSet).dict.get(str(c.argv[2]!));
      return s === undefined ? null : dbl(s);
    }),
    def('zmscore', -3, [...R, 'fast'], k1, (c) => {
      const e = getZ(c, str(c.argv[1]!), false);
      if (e instanceof ReplyError) return e;
      return c.argv.slice(2).map((m) => { const s = e === undefined ? undefined : (e.v as ZSet).dict.get(str(m)); return s === undefined ? null : dbl(s); });
    }),
    def('zrem', -3, ['write', 'fast'], k1, (c) => {
      const key = str(c.argv[1]!);
      const e = getZ(c, key, true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return 0;
      const z = e.v as ZSet;
      let n = 0;
      for (let i = 2; i < c.argv.length; i++) { const m = str(c.argv[i]!); if (z.delete(m)) { n++; c.ks.grow(e, -(ZSET_ELEM + m.length)); } }
      if (n > 0) { c.ks.dirty++; if (z.size === 0) c.ks.delete(key); }
      return n;
    }),
    def('zcard', 2, [...R, 'fast'], k1, (c) => { const e = getZ(c, str(c.argv[1]!), false); return e instanceof ReplyError ? e : e === undefined ? 0 : (e.v as ZSet).size; }),
    def('zcount', 4, [...R, 'fast'], k1, (c) => {
      const min = parseScore(c.argv[2]!); const max = parseScore(c.argv[3]!);
      if (min === null || max === null) return E.minmaxFloat;
      const e = getZ(c, str(c.argv[1]!), false);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return 0;
      const sl = (e.v as ZSet).sl;
      const f = sl.firstInScore(min.v, min.ex); const l = sl.lastInScore(max.v, max.ex);
      if (f === null || l === null) return 0;
      const a = sl.rank(f.score, f.member); const b = sl.rank(l.score, l.member);
      return b >= a ? b - a + 1 : 0;
    }),
    def('zrank', 3, [...R, 'fast'], k1, (c) => rank(c, false)),
    def('zrevrank', 3, [...R, 'fast'], k1, (c) => rank(c, true)),
    def('zpopmin', -2, ['write', 'fast'], k1, (c) => zpop(c, false)),
    def('zpopmax', -2, ['write', 'fast'], k1, (c) => zpop(c, true)),
  ];
}

function rank(c: Call, rev: boolean): NodeReply {
  const e = getZ(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return null;
  const z = e.v as ZSet; const m = str(c.argv[2]!);
  const s = z.dict.get(m);
  if (s === undefined) return null;
  const r = z.sl.rank(s, m);
  return rev ? z.size - 1 - r : r;
}
