// Set commands of the node (Redis 7.0 replies and errors). Sets are DenseSet
// values (O(1) add/remove/membership/random member). SPOP is propagated as
// SREM of the popped members (or DEL when it emptied the set), so replicas and
// the AOF do not depend on the random choice. Must not touch sockets.
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { SET_ELEM } from '../memory.js';
import type { NodeReply } from '../reply.js';
import { DenseSet } from '../types/dense-set.js';
import { parseScanArgs, walk } from './scan.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, parseInt64, lower, str } from './util.js';

/** More elements than this in one SRANDMEMBER reply would only exhaust memory (redis-server 7.0 dies trying). */
const MAX_REPLY_ELEMENTS = 1 << 24;

function getSet(c: Call, key: string, write: boolean): Entry | undefined | ReplyError {
  const e = write ? c.ks.write(key) : c.ks.read(key);
  if (e !== undefined && e.t !== T.Set) return E.wrongType;
  return e;
}

const members = (e: Entry): DenseSet => e.v as DenseSet;

function add(c: Call): NodeReply {
  const key = str(c.argv[1]!);
  let e = getSet(c, key, true);
  if (e instanceof ReplyError) return e;
  e ??= c.ks.set(key, T.Set, new DenseSet());
  const s = members(e);
  let n = 0; let grow = 0;
  for (let i = 2; i < c.argv.length; i++) {
    const m = str(c.argv[i]!);
    if (s.add(m)) { n++; grow += SET_ELEM + m.length; }
  }
  if (n > 0) { c.ks.grow(e, grow); c.ks.dirty++; }
  return n;
}

/** Remove members; deletes the key when it becomes empty. Returns how many were removed. */
function removeMembers(c: Call, key: string, e: Entry, ms: Iterable<string>): number {
  const s = members(e);
  let n = 0; let shrink = 0;
  for (const m of ms) if (s.delete(m)) { n++; shrink += SET_ELEM + m.length; }
  if (n === 0) return 0;
  c.ks.grow(e, -shrink);
  if (s.size === 0) c.ks.delete(key);
  c.ks.dirty++;
  return n;
}

function srem(c: Call): NodeReply {
  const key = str(c.argv[1]!);
  const e = getSet(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return 0;
  return removeMembers(c, key, e, c.argv.slice(2).map(str));
}

function spop(c: Call): NodeReply {
  if (c.argv.length > 3) return E.syntax;
  let count = -1;
  if (c.argv.length === 3) {
    const n = parseInt64(c.argv[2]!);
    if (n === null || n < 0n) return E.positive;
    count = n > BigInt(MAX_REPLY_ELEMENTS) ? MAX_REPLY_ELEMENTS : Number(n);
  }
  const key = str(c.argv[1]!);
  const e = getSet(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return count < 0 ? null : { set: [] };
  const s = members(e);
  if (count === 0) { c.prop = []; return { set: [] }; }
  const n = count < 0 ? 1 : Math.min(count, s.size);
  const all = n === s.size;
  const popped: string[] = [];
  let shrink = 0;
  for (let i = 0; i < n; i++) { const m = s.random(); s.delete(m); popped.push(m); shrink += SET_ELEM + m.length; }
  c.ks.grow(e, -shrink);
  if (all) c.ks.delete(key);
  c.ks.dirty++;
  c.prop = [all ? [buf('DEL'), c.argv[1]!] : [buf('SREM'), c.argv[1]!, ...popped.map(buf)]];
  return count < 0 ? buf(popped[0]!) : { set: popped.map(buf) };
}

function srandmember(c: Call): NodeReply {
  if (c.argv.length > 3) return E.syntax;
  const e = getSet(c, str(c.argv[1]!), false);
  if (c.argv.length === 2) {
    if (e instanceof ReplyError) return e;
    return e === undefined ? null : buf(members(e).random());
  }
  const n = parseInt64(c.argv[2]!);
  if (n === null) return E.notInt;
  if (n < -9223372036854775807n) return new ReplyError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  if (e instanceof ReplyError) return e;
  if (e === undefined || n === 0n) return [];
  const s = members(e);
  if (n < 0n) {
    if (-n > BigInt(MAX_REPLY_ELEMENTS)) return new ReplyError(`ERR value is out of range, must be at least -${MAX_REPLY_ELEMENTS}`);
    const out: Buffer[] = [];
    for (let i = Number(-n); i > 0; i--) out.push(buf(s.random()));
    return out;
  }
  if (n >= BigInt(s.size)) return [...s].map(buf);
  // distinct sample: a partial Fisher-Yates over positions
  const k = Number(n);
  const swapped = new Map<number, number>();
  const out: Buffer[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + ((Math.random() * (s.size - i)) | 0);
    const pick = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(buf(s.at(pick)));
  }
  return out;
}

/** The sets named by argv[from..to), checking every key's type first (as Redis does); null = missing key. */
function loadSets(c: Call, from: number, to: number): (DenseSet | null)[] | ReplyError {
  const out: (DenseSet | null)[] = [];
  for (let i = from; i < to; i++) {
    const e = getSet(c, str(c.argv[i]!), false);
    if (e instanceof ReplyError) return e;
    out.push(e === undefined ? null : members(e));
  }
  return out;
}

type Op = 'inter' | 'union' | 'diff';

function combine(op: Op, sets: (DenseSet | null)[], limit = 0): string[] {
  if (op === 'inter') {
    if (sets.some((s) => s === null)) return [];
    const sorted = (sets as DenseSet[]).slice().sort((a, b) => a.size - b.size);
    const out: string[] = [];
    for (const m of sorted[0]!) {
      if (sorted.every((s, i) => i === 0 || s.has(m))) { out.push(m); if (limit > 0 && out.length >= limit) break; }
    }
    return out;
  }
  if (op === 'union') {
    const u = new Set<string>();
    for (const s of sets) if (s !== null) for (const m of s) u.add(m);
    return [...u];
  }
  const [first, ...rest] = sets;
  if (first === null || first === undefined) return [];
  const out: string[] = [];
  for (const m of first) if (!rest.some((s) => s !== null && s.has(m))) out.push(m);
  return out;
}

function setOp(c: Call, op: Op): NodeReply {
  const sets = loadSets(c, 1, c.argv.length);
  if (sets instanceof ReplyError) return sets;
  return { set: combine(op, sets).map(buf) };
}

function setOpStore(c: Call, op: Op): NodeReply {
  const sets = loadSets(c, 2, c.argv.length);
  if (sets instanceof ReplyError) return sets;
  const result = combine(op, sets);
  const dst = str(c.argv[1]!);
  const existed = c.ks.write(dst) !== undefined;
  if (result.length === 0) {
    if (existed) { c.ks.delete(dst); c.ks.dirty++; c.prop = [[buf('DEL'), c.argv[1]!]]; } else c.prop = [];
    return 0;
  }
  const s = new DenseSet();
  for (const m of result) s.add(m);
  c.ks.set(dst, T.Set, s);
  c.ks.dirty++;
  return result.length;
}

function sintercard(c: Call): NodeReply {
  const nk = parseInt64(c.argv[1]!);
  if (nk === null || nk <= 0n) return new ReplyError('ERR numkeys should be greater than 0');
  if (nk > BigInt(c.argv.length - 2)) return new ReplyError("ERR Number of keys can't be greater than number of args");
  const end = 2 + Number(nk);
  let limit = 0;
  for (let i = end; i < c.argv.length; i++) {
    if (lower(c.argv[i]!) === 'limit' && i + 1 < c.argv.length) {
      const l = parseInt64(c.argv[++i]!);
      if (l === null || l < 0n) return new ReplyError("ERR LIMIT can't be negative");
      limit = l > 1_000_000_000n ? 1_000_000_000 : Number(l);
    } else return E.syntax;
  }
  const sets = loadSets(c, 2, end);
  if (sets instanceof ReplyError) return sets;
  return combine('inter', sets, limit).length;
}

function smove(c: Call): NodeReply {
  const from = str(c.argv[1]!); const to = str(c.argv[2]!); const m = str(c.argv[3]!);
  const src = c.ks.write(from);
  const dst = c.ks.write(to);
  if (src === undefined) return 0;
  if (src.t !== T.Set || (dst !== undefined && dst.t !== T.Set)) return E.wrongType;
  if (from === to) return members(src).has(m) ? 1 : 0;
  if (removeMembers(c, from, src, [m]) === 0) return 0;
  const d = dst ?? c.ks.set(to, T.Set, new DenseSet());
  if (members(d).add(m)) c.ks.grow(d, SET_ELEM + m.length);
  return 1;
}

function sscan(c: Call): NodeReply {
  const a = parseScanArgs(c.argv, 2, false);
  if (a instanceof ReplyError) return a;
  const e = getSet(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return [buf('0'), []];
  const s = members(e);
  const out: Buffer[] = [];
  const next = walk(s.size, a, (i) => s.at(i), (i) => { out.push(buf(s.at(i))); });
  return [buf(String(next)), out];
}

function read(c: Call): DenseSet | null | ReplyError {
  const e = getSet(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  return e === undefined ? null : members(e);
}

export function setCommands(): Cmd[] {
  const k1: [number, number, number] = [1, 1, 1];
  const all: [number, number, number] = [1, -1, 1];
  const store: [number, number, number] = [1, -1, 1];
  return [
    def('sadd', -3, ['write', 'denyoom', 'fast'], k1, add),
    def('srem', -3, ['write', 'fast'], k1, srem),
    def('sismember', 3, ['readonly', 'fast'], k1, (c) => { const s = read(c); return s instanceof ReplyError ? s : s !== null && s.has(str(c.argv[2]!)) ? 1 : 0; }),
    def('smismember', -3, ['readonly', 'fast'], k1, (c) => { const s = read(c); return s instanceof ReplyError ? s : c.argv.slice(2).map((m) => (s !== null && s.has(str(m)) ? 1 : 0)); }),
    def('smembers', 2, ['readonly'], k1, (c) => { const s = read(c); return s instanceof ReplyError ? s : { set: s === null ? [] : [...s].map(buf) }; }),
    def('scard', 2, ['readonly', 'fast'], k1, (c) => { const s = read(c); return s instanceof ReplyError ? s : s === null ? 0 : s.size; }),
    def('spop', -2, ['write', 'fast'], k1, spop),
    def('srandmember', -2, ['readonly'], k1, srandmember),
    def('smove', 4, ['write', 'fast'], [1, 2, 1], smove),
    def('sinter', -2, ['readonly'], all, (c) => setOp(c, 'inter')),
    def('sunion', -2, ['readonly'], all, (c) => setOp(c, 'union')),
    def('sdiff', -2, ['readonly'], all, (c) => setOp(c, 'diff')),
    def('sinterstore', -3, ['write', 'denyoom'], store, (c) => setOpStore(c, 'inter')),
    def('sunionstore', -3, ['write', 'denyoom'], store, (c) => setOpStore(c, 'union')),
    def('sdiffstore', -3, ['write', 'denyoom'], store, (c) => setOpStore(c, 'diff')),
    def('sintercard', -3, ['readonly'], [0, 0, 0], sintercard),
    def('sscan', -3, ['readonly'], k1, sscan),
  ];
}
