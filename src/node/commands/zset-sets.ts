// More sorted-set commands of the node (Redis 7.0 replies and errors):
// ZLEXCOUNT, ZREMRANGEBYSCORE/RANK/LEX, ZRANGESTORE, ZUNION/ZINTER/ZDIFF and
// their STORE forms (sets count as members of score 1, as in Redis),
// ZINTERCARD, ZRANDMEMBER, ZSCAN. Range parsing and replies come from zsets.ts.
import { ReplyError, type Reply } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { ZSET_ELEM } from '../memory.js';
import type { NodeReply } from '../reply.js';
import { formatDouble } from '../reply.js';
import type { DenseSet } from '../types/dense-set.js';
import type { SkipNode } from '../types/skiplist.js';
import { ZSet } from '../types/zset.js';
import { parseScanArgs, walkMap } from './scan.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, globMatch, lower, parseFloatArg, parseInt64, str } from './util.js';

/** up to this many entries Redis 7.0 keeps a hash or zset as one listpack, which HSCAN/ZSCAN return whole */
export const SMALL = 128;
import { dbl, getZ, gteMin, lteMax, parseLex, parseRangeOpts, parseScore, zrangeNodes } from './zsets.js';

const zsetOf = (e: Entry): ZSet => e.v as ZSet;

function zlexcount(c: Call): NodeReply {
  const min = parseLex(c.argv[2]!); const max = parseLex(c.argv[3]!);
  if (min === null || max === null) return E.minmaxLex;
  const e = getZ(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return 0;
  const sl = zsetOf(e).sl;
  const gm = gteMin(min); const lm = lteMax(max);
  let n = 0;
  for (let x = sl.firstInLex(gm); x !== null && lm(x.member); x = x.levels[0]!.next) n++;
  return n;
}

function removeNodes(c: Call, key: string, e: Entry, nodes: SkipNode[]): number {
  const z = zsetOf(e);
  let shrink = 0;
  for (const n of nodes) { z.delete(n.member); shrink += ZSET_ELEM + n.member.length; }
  if (nodes.length === 0) return 0;
  c.ks.grow(e, -shrink);
  if (z.size === 0) c.ks.delete(key);
  c.ks.dirty++;
  return nodes.length;
}

function zremrange(c: Call, by: 'rank' | 'score' | 'lex'): NodeReply {
  const [a, b] = [c.argv[2]!, c.argv[3]!];
  if (by === 'rank' && (parseInt64(a) === null || parseInt64(b) === null)) return E.notInt;
  if (by === 'score' && (parseScore(a) === null || parseScore(b) === null)) return E.minmaxFloat;
  if (by === 'lex' && (parseLex(a) === null || parseLex(b) === null)) return E.minmaxLex;
  const key = str(c.argv[1]!);
  const e = getZ(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return 0;
  const nodes = zrangeNodes(c, key, a, b, { by, rev: false, ws: false, off: 0, count: -1, limit: false });
  if (nodes instanceof ReplyError) return nodes;
  return removeNodes(c, key, e, nodes);
}

function storeZ(c: Call, dst: string, members: [string, number][]): number {
  const existed = c.ks.write(dst) !== undefined;
  if (members.length === 0) {
    if (existed) { c.ks.delete(dst); c.ks.dirty++; }
    return 0;
  }
  const z = new ZSet();
  for (const [m, s] of members) z.set(m, s);
  c.ks.set(dst, T.ZSet, z);
  c.ks.dirty++;
  return z.size;
}

function zrangestore(c: Call): NodeReply {
  const o = parseRangeOpts(c.argv, 'rank', false, 5, true);
  if (o instanceof ReplyError) return o;
  if (o.ws) return E.syntax;
  const nodes = zrangeNodes(c, str(c.argv[2]!), c.argv[3]!, c.argv[4]!, o);
  if (nodes instanceof ReplyError) return nodes;
  return storeZ(c, str(c.argv[1]!), nodes.map((n) => [n.member, n.score]));
}

type Agg = 'sum' | 'min' | 'max';
type Op = 'union' | 'inter' | 'diff';
interface SetOpArgs { keys: Buffer[]; weights: number[] | null; agg: Agg; ws: boolean; limit: number }

function parseSetOp(c: Call, name: string, op: Op | 'card', numAt: number, store: boolean): SetOpArgs | ReplyError {
  const a = c.argv;
  const nk = parseInt64(a[numAt]!);
  if (nk === null) return E.notInt;
  if (nk < 1n) return new ReplyError(`ERR at least 1 input key is needed for '${name}' command`);
  if (nk > BigInt(a.length - numAt - 1)) return E.syntax;
  const end = numAt + 1 + Number(nk);
  const r: SetOpArgs = { keys: a.slice(numAt + 1, end), weights: null, agg: 'sum', ws: false, limit: 0 };
  for (let i = end; i < a.length; i++) {
    const o = lower(a[i]!);
    const more = a.length - i - 1;
    if (op === 'card') {
      if (o === 'limit' && more >= 1) {
        const l = parseInt64(a[++i]!);
        if (l === null || l < 0n) return new ReplyError("ERR LIMIT can't be negative");
        r.limit = l > 1_000_000_000n ? 1_000_000_000 : Number(l);
      } else return E.syntax;
    } else if (op !== 'diff' && o === 'weights' && more >= r.keys.length) {
      r.weights = [];
      for (let j = 0; j < r.keys.length; j++) {
        const w = parseFloatArg(a[++i]!);
        if (w === null) return new ReplyError('ERR weight value is not a float');
        r.weights.push(w);
      }
    } else if (op !== 'diff' && o === 'aggregate' && more >= 1) {
      const g = lower(a[++i]!);
      if (g !== 'sum' && g !== 'min' && g !== 'max') return E.syntax;
      r.agg = g;
    } else if (!store && o === 'withscores') r.ws = true;
    else return E.syntax;
  }
  return r;
}

/** The inputs as member → score maps (a set counts as score 1 each); null = missing key. */
function loadInputs(c: Call, keys: Buffer[]): (Map<string, number> | null)[] | ReplyError {
  const out: (Map<string, number> | null)[] = [];
  for (const k of keys) {
    const e = c.ks.read(str(k));
    if (e === undefined) { out.push(null); continue; }
    if (e.t === T.ZSet) out.push(zsetOf(e).dict);
    else if (e.t === T.Set) { const m = new Map<string, number>(); for (const x of e.v as DenseSet) m.set(x, 1); out.push(m); }
    else return E.wrongType;
  }
  return out;
}

const noNan = (x: number): number => (Number.isNaN(x) ? 0 : x);

function combine(op: Op, inputs: (Map<string, number> | null)[], a: SetOpArgs): [string, number][] {
  const w = (i: number, s: number): number => noNan(s * (a.weights?.[i] ?? 1));
  const agg = (x: number, y: number): number => (a.agg === 'sum' ? noNan(x + y) : a.agg === 'min' ? Math.min(x, y) : Math.max(x, y));
  const acc = new Map<string, number>();
  if (op === 'union') {
    inputs.forEach((m, i) => { if (m !== null) for (const [k, s] of m) { const v = w(i, s); const old = acc.get(k); acc.set(k, old === undefined ? v : agg(old, v)); } });
  } else if (op === 'inter') {
    if (inputs.some((m) => m === null)) return [];
    // smallest input first, as Redis orders them (so sums round the same way)
    const order = inputs.map((_m, i) => i).sort((x, y) => inputs[x]!.size - inputs[y]!.size);
    const first = order[0]!;
    for (const [k, s] of inputs[first]!) {
      let v = w(first, s); let all = true;
      for (const i of order.slice(1)) { const t = inputs[i]!.get(k); if (t === undefined) { all = false; break; } v = agg(v, w(i, t)); }
      if (all) acc.set(k, v);
    }
  } else {
    const [head, ...rest] = inputs;
    if (head !== null && head !== undefined) for (const [k, s] of head) if (!rest.some((m) => m !== null && m.has(k))) acc.set(k, s);
  }
  return [...acc].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

function zsetop(c: Call, name: string, op: Op, store: boolean): NodeReply {
  const a = parseSetOp(c, name, op, store ? 2 : 1, store);
  if (a instanceof ReplyError) return a;
  const inputs = loadInputs(c, a.keys);
  if (inputs instanceof ReplyError) return inputs;
  const result = combine(op, inputs, a);
  if (store) return storeZ(c, str(c.argv[1]!), result);
  if (!a.ws) return result.map(([m]) => buf(m));
  if (c.client.protocol === 3) return result.map(([m, s]) => [buf(m), dbl(s)]);
  const out: Reply[] = [];
  for (const [m, s] of result) out.push(buf(m), dbl(s));
  return out;
}

function zintercard(c: Call): NodeReply {
  const a = parseSetOp(c, 'zintercard', 'card', 1, false);
  if (a instanceof ReplyError) return a;
  const inputs = loadInputs(c, a.keys);
  if (inputs instanceof ReplyError) return inputs;
  const n = combine('inter', inputs, a).length;
  return a.limit > 0 ? Math.min(n, a.limit) : n;
}

/** count random distinct positions of 0..size-1 (count < size): a partial Fisher-Yates. */
export function samplePositions(size: number, count: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + ((Math.random() * (size - i)) | 0);
    out.push(swapped.get(j) ?? j);
    swapped.set(j, swapped.get(i) ?? i);
  }
  return out;
}

/** HRANDFIELD / ZRANDMEMBER: `at(i)` gives entry i as [name, value reply]. */
export function randomEntries(c: Call, size: number, at: (i: number) => [Buffer, Reply], withValues: string): NodeReply {
  const a = c.argv;
  if (a.length === 2) return size === 0 ? null : at((Math.random() * size) | 0)[0];
  const n = parseInt64(a[2]!);
  if (n === null) return E.notInt;
  if (a.length > 4 || (a.length === 4 && lower(a[3]!) !== withValues)) return E.syntax;
  const wv = a.length === 4;
  if (n < -9223372036854775807n) return new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  if (size === 0 || n === 0n) return [];
  let picks: number[];
  if (n < 0n) {
    if (-n > 1n << 24n) return new ReplyError(`ERR value is out of range, must be at least -${1 << 24}`);
    picks = Array.from({ length: Number(-n) }, () => (Math.random() * size) | 0);
  } else picks = n >= BigInt(size) ? Array.from({ length: size }, (_, i) => i) : samplePositions(size, Number(n));
  const out: Reply[] = [];
  for (const i of picks) {
    const [k, v] = at(i);
    if (!wv) out.push(k);
    else if (c.client.protocol === 3) out.push([k, v]);
    else out.push(k, v);
  }
  return out;
}

function zrandmember(c: Call): NodeReply {
  const e = getZ(c, str(c.argv[1]!), false);
  if (c.argv.length > 2 && parseInt64(c.argv[2]!) === null) return E.notInt;
  if (e instanceof ReplyError) return e;
  const sl = e === undefined ? null : zsetOf(e).sl;
  return randomEntries(c, sl?.length ?? 0, (i) => { const n = sl!.byRank(i)!; return [buf(n.member), dbl(n.score)]; }, 'withscores');
}

function zscan(c: Call): NodeReply {
  const a = parseScanArgs(c.argv, 2, false);
  if (a instanceof ReplyError) return a;
  const e = getZ(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return [buf('0'), []];
  const z = zsetOf(e);
  const out: Buffer[] = [];
  const put = (m: string, s: number): void => { if (a.match === null || globMatch(a.match, m)) out.push(buf(m), buf(formatDouble(s))); };
  if (a.cursor === 0 && z.size <= SMALL) {
    // like Redis's listpack encoding: a small zset comes whole, in score order, cursor 0
    for (let n = z.sl.first(); n !== null; n = n.levels[0]!.next) put(n.member, n.score);
    return [buf('0'), out];
  }
  const next = walkMap(z.dict, a, (m) => m, (m, s) => { out.push(buf(m), buf(formatDouble(s))); });
  return [buf(String(next)), out];
}

export function zsetSetCommands(): Cmd[] {
  const k1: [number, number, number] = [1, 1, 1];
  const R = ['readonly'] as const;
  const W = ['write', 'denyoom'] as const;
  const none: [number, number, number] = [0, 0, 0];
  return [
    def('zlexcount', 4, [...R, 'fast'], k1, zlexcount),
    def('zremrangebyscore', 4, ['write'], k1, (c) => zremrange(c, 'score')),
    def('zremrangebyrank', 4, ['write'], k1, (c) => zremrange(c, 'rank')),
    def('zremrangebylex', 4, ['write'], k1, (c) => zremrange(c, 'lex')),
    def('zrangestore', -5, W, [1, 2, 1], zrangestore),
    def('zunion', -3, R, none, (c) => zsetop(c, 'zunion', 'union', false)),
    def('zinter', -3, R, none, (c) => zsetop(c, 'zinter', 'inter', false)),
    def('zdiff', -3, R, none, (c) => zsetop(c, 'zdiff', 'diff', false)),
    def('zunionstore', -4, W, [1, 1, 1], (c) => zsetop(c, 'zunionstore', 'union', true)),
    def('zinterstore', -4, W, [1, 1, 1], (c) => zsetop(c, 'zinterstore', 'inter', true)),
    def('zdiffstore', -4, W, [1, 1, 1], (c) => zsetop(c, 'zdiffstore', 'diff', true)),
    def('zintercard', -3, R, none, zintercard),
    def('zrandmember', -2, R, k1, zrandmember),
    def('zscan', -3, R, k1, zscan),
  ];
}
