// String commands of the node (GET, SET and friends, counters, ranges).
// Replies and errors match Redis 7.0. Expiry options are propagated as
// absolute PXAT / PEXPIREAT so the write stream replays deterministically.
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import type { NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { outValue, ownedBuffer, setOwned, writable } from '../types/owned-string.js';
import { E, arity, buf, lower, parseFloatArg, parseInt64, str } from './util.js';

const MAX_STR = 512 * 1024 * 1024;

/** Read a string key: undefined when missing, E.wrongType reply when another type. */
export function getStr(c: Call, key: string, write = false): Entry | undefined | ReplyError {
  const e = write ? c.ks.write(key) : c.ks.read(key);
  if (e !== undefined && e.t !== T.String) return E.wrongType;
  return e;
}

export type Exp = { at: number } | { keep: true } | { persist: true } | null;

/** Parse EX/PX/EXAT/PXAT (+KEEPTTL / PERSIST when allowed) at argv[i]; returns [exp, consumed] or an error. */
export function parseExpireOpt(argv: Buffer[], i: number, cmd: string, now: number): [Exp, number] | ReplyError | null {
  const o = lower(argv[i]!);
  if (o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') {
    if (i + 1 >= argv.length) return E.syntax;
    const n = parseInt64(argv[i + 1]!);
    if (n === null) return E.notInt;
    const bad = new ReplyError(`ERR invalid expire time in '${cmd}' command`);
    if (n <= 0n) return bad;
    const mult = o === 'ex' || o === 'exat' ? 1000n : 1n;
    let at = n * mult;
    if (at / mult !== n || at > 9223372036854775807n) return bad;
    if (o === 'ex' || o === 'px') at += BigInt(now);
    if (at > 9223372036854775807n) return bad;
    return [{ at: Number(at) }, 2];
  }
  return null;
}

function set(c: Call): NodeReply {
  const { argv } = c;
  let nx = false; let xx = false; let get = false; let exp: Exp = null;
  const now = Date.now();
  for (let i = 3; i < argv.length; i++) {
    const o = lower(argv[i]!);
    if (o === 'nx' && !xx) nx = true;
    else if (o === 'xx' && !nx) xx = true;
    else if (o === 'get') get = true;
    else if (o === 'keepttl' && exp === null) exp = { keep: true };
    else if ((o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') && exp === null) {
      const r = parseExpireOpt(argv, i, 'set', now);
      if (r instanceof ReplyError) return r;
      if (r === null) return E.syntax;
      exp = r[0]; i++;
    } else return E.syntax;
  }
  const key = str(argv[1]!);
  const old = getStr(c, key, true);
  let oldVal: NodeReply = null;
  if (get) {
    if (old instanceof ReplyError) return old;
    if (old !== undefined) oldVal = outValue(old);
  }
  const exists = old !== undefined;
  if ((nx && exists) || (xx && !exists)) return get ? oldVal : null;
  const ttl = exp !== null && 'at' in exp ? exp.at : exp !== null && 'keep' in exp && old !== undefined && !(old instanceof ReplyError) ? old.exp : 0;
  c.ks.set(key, T.String, argv[2]!, ttl);
  c.ks.dirty++;
  if (exp !== null && 'at' in exp) {
    if (exp.at <= now && !c.client.internal) { c.ks.delete(key); c.prop = [[buf('DEL'), argv[1]!]]; }
    else c.prop = [[buf('SET'), argv[1]!, argv[2]!, buf('PXAT'), buf(String(exp.at))]];
  }
  return get ? oldVal : 'OK';
}

function incrBy(c: Call, key: string, by: bigint): NodeReply {
  const e = getStr(c, key, true);
  if (e instanceof ReplyError) return e;
  let cur = 0n;
  if (e !== undefined) {
    const n = parseInt64(e.v as Buffer);
    if (n === null) return E.notInt;
    cur = n;
  }
  const r = cur + by;
  if (r > 9223372036854775807n || r < -9223372036854775808n) return E.overflow;
  const v = buf(r.toString());
  if (e !== undefined) c.ks.replaceString(e, v);
  else c.ks.set(key, T.String, v);
  c.ks.dirty++;
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
}

function intArg(c: Call, i: number): bigint | ReplyError {
  const n = parseInt64(c.argv[i]!);
  return n === null ? E.notInt : n;
}

export function formatLongDouble(d: number): string {
  let s = String(d);
  if (s.includes('e')) {
    s = Math.abs(d) >= 1 ? BigInt(Math.round(d)).toString() : d.toFixed(17).replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

function incrByFloat(c: Call): NodeReply {
  const key = str(c.argv[1]!);
  const e = getStr(c, key, true);
  if (e instanceof ReplyError) return e;
  let cur = 0;
  if (e !== undefined) {
    const n = parseFloatArg(e.v as Buffer);
    if (n === null || (e.v as Buffer).length > 5000) return E.notFloat;
    cur = n;
  }
  const by = parseFloatArg(c.argv[2]!);
  if (by === null) return E.notFloat;
  const r = cur + by;
  if (!Number.isFinite(r)) return new ReplyError('ERR increment would produce NaN or Infinity');
  const v = buf(formatLongDouble(r));
  if (e !== undefined) c.ks.replaceString(e, v);
  else c.ks.set(key, T.String, v);
  c.ks.dirty++;
  c.prop = [[buf('SET'), c.argv[1]!, v, buf('KEEPTTL')]];
  return v;
}

function getrange(c: Call): NodeReply {
  const s = intArg(c, 2); const en = intArg(c, 3);
  if (s instanceof ReplyError) return s;
  if (en instanceof ReplyError) return en;
  const e = getStr(c, str(c.argv[1]!));
  if (e instanceof ReplyError) return e;
  const v = (e?.v as Buffer | undefined) ?? Buffer.alloc(0);
  let start = Number(s); let end = Number(en);
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return Buffer.alloc(0);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return Buffer.alloc(0);
  return Buffer.from(v.subarray(start, end + 1));
}

function setrange(c: Call): NodeReply {
  const off = intArg(c, 2);
  if (off instanceof ReplyError) return off;
  if (off < 0n) return new ReplyError('ERR offset is out of range');
  const key = str(c.argv[1]!);
  const val = c.argv[3]!;
  const e = getStr(c, key, true);
  if (e instanceof ReplyError) return e;
  if (val.length === 0) return e === undefined ? 0 : (e.v as Buffer).length;
  if (Number(off) + val.length > MAX_STR) return new ReplyError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  const o = Number(off);
  // in place, with spare capacity (types/owned-string.ts): amortized O(len(value)) per call
  if (e === undefined) { const n = ownedBuffer(o + val.length); val.copy(n, o); setOwned(c.ks, key, n); c.ks.dirty++; return n.length; }
  const v = writable(c.ks, e, o + val.length);
  val.copy(v, o);
  c.ks.dirty++;
  return v.length;
}

function getex(c: Call): NodeReply {
  const { argv } = c;
  const now = Date.now();
  let exp: Exp = null;
  let valueErr: ReplyError | null = null;
  for (let i = 2; i < argv.length; i++) {
    const o = lower(argv[i]!);
    if (o === 'persist' && exp === null) { exp = { persist: true }; continue; }
    if (exp !== null) return E.syntax;
    const r = parseExpireOpt(argv, i, 'getex', now);
    if (r === E.syntax || r === null) return E.syntax;
    // as in Redis, a bad expire value is reported only once the key was found (a missing key answers nil)
    if (r instanceof ReplyError) { valueErr = r; exp = { keep: true }; } else exp = r[0];
    i++;
  }
  const key = str(argv[1]!);
  const e = exp === null ? getStr(c, key) : getStr(c, key, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return null;
  if (valueErr !== null) return valueErr;
  const v = outValue(e);
  if (exp !== null && 'at' in exp) {
    if (exp.at <= now && !c.client.internal) { c.ks.delete(key); c.prop = [[buf('DEL'), argv[1]!]]; }
    else { c.ks.setExpire(key, e, exp.at); c.prop = [[buf('PEXPIREAT'), argv[1]!, buf(String(exp.at))]]; }
    c.ks.dirty++;
  } else if (exp !== null && 'persist' in exp && e.exp !== 0) {
    c.ks.setExpire(key, e, 0);
    c.prop = [[buf('PERSIST'), argv[1]!]];
    c.ks.dirty++;
  }
  return v;
}

export function stringCommands(): Cmd[] {
  const W = ['write', 'denyoom'] as const;
  const k1: [number, number, number] = [1, 1, 1];
  return [
    def('get', 2, ['readonly', 'fast'], k1, (c) => { const e = getStr(c, str(c.argv[1]!)); return e === undefined ? null : e instanceof ReplyError ? e : outValue(e); }),
    def('set', -3, W, k1, set),
    def('setnx', 3, [...W, 'fast'], k1, (c) => { const r = set({ ...c, argv: [c.argv[0]!, c.argv[1]!, c.argv[2]!, buf('NX')] } as Call); if (r === 'OK') c.ks.dirty++; return r === 'OK' ? 1 : 0; }),
    def('getdel', 2, ['write', 'fast'], k1, (c) => {
      const key = str(c.argv[1]!);
      const e = getStr(c, key, true);
      if (e instanceof ReplyError || e === undefined) return e ?? null;
      c.ks.delete(key); c.ks.dirty++;
      c.prop = [[buf('DEL'), c.argv[1]!]];
      return e.v as Buffer;
    }),
    def('getex', -2, ['write', 'fast'], k1, getex),
    def('getset', 3, [...W, 'fast'], k1, (c) => set({ ...c, argv: [c.argv[0]!, c.argv[1]!, c.argv[2]!, buf('GET')] } as Call)),
    def('mget', -2, ['readonly', 'fast'], [1, -1, 1], (c) => c.argv.slice(1).map((k) => { const e = c.ks.read(str(k)); return e !== undefined && e.t === T.String ? outValue(e) : null; })),
    def('mset', -3, W, [1, -1, 2], (c) => {
      if (c.argv.length % 2 === 0) return arity('mset');
      const now = Date.now();
      for (let i = 1; i < c.argv.length; i += 2) c.ks.set(str(c.argv[i]!), T.String, c.argv[i + 1]!, 0, now);
      c.ks.dirty += (c.argv.length - 1) / 2;
      return 'OK';
    }),
    def('msetnx', -3, W, [1, -1, 2], (c) => {
      if (c.argv.length % 2 === 0) return arity('msetnx');
      for (let i = 1; i < c.argv.length; i += 2) if (c.ks.peek(str(c.argv[i]!)) !== undefined) return 0;
      const now = Date.now();
      for (let i = 1; i < c.argv.length; i += 2) c.ks.set(str(c.argv[i]!), T.String, c.argv[i + 1]!, 0, now);
      c.ks.dirty += (c.argv.length - 1) / 2;
      return 1;
    }),
    def('incr', 2, [...W, 'fast'], k1, (c) => incrBy(c, str(c.argv[1]!), 1n)),
    def('decr', 2, [...W, 'fast'], k1, (c) => incrBy(c, str(c.argv[1]!), -1n)),
    def('incrby', 3, [...W, 'fast'], k1, (c) => { const n = intArg(c, 2); return n instanceof ReplyError ? n : incrBy(c, str(c.argv[1]!), n); }),
    def('decrby', 3, [...W, 'fast'], k1, (c) => {
      const n = intArg(c, 2);
      if (n instanceof ReplyError) return n;
      if (n === -9223372036854775808n) return new ReplyError('ERR decrement would overflow');
      return incrBy(c, str(c.argv[1]!), -n);
    }),
    def('incrbyfloat', 3, [...W, 'fast'], k1, incrByFloat),
    def('append', 3, W, k1, (c) => {
      const key = str(c.argv[1]!);
      const add = c.argv[2]!;
      const e = getStr(c, key, true);
      if (e instanceof ReplyError) return e;
      // a new key keeps the argument as it is (as SET does); growing copies it once into a buffer with room
      if (e === undefined) { c.ks.set(key, T.String, add); c.ks.dirty++; return add.length; }
      const len = (e.v as Buffer).length;
      if (len + add.length > MAX_STR) return new ReplyError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
      const v = writable(c.ks, e, len + add.length);
      if (add.length < 32) for (let i = 0; i < add.length; i++) v[len + i] = add[i]!; else add.copy(v, len);
      c.ks.dirty++;
      return v.length;
    }),
    def('strlen', 2, ['readonly', 'fast'], k1, (c) => { const e = getStr(c, str(c.argv[1]!)); return e instanceof ReplyError ? e : e === undefined ? 0 : (e.v as Buffer).length; }),
    def('getrange', 4, ['readonly'], k1, getrange),
    def('substr', 4, ['readonly'], k1, getrange),
    def('setrange', 4, W, k1, setrange),
  ];
}
