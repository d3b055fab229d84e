// Generic key commands of the node: DEL, EXISTS, expiry, TYPE, RENAME, SCAN,
// KEYS, FLUSH*, DUMP/RESTORE (our own payload format, see dump.ts), OBJECT.
// Relative expiries are propagated as PEXPIREAT; past ones as DEL.
import { ReplyError } from '../contracts.js';
import { T, dumpValue, loadValue } from '../dump.js';
import type { Entry } from '../keyspace.js';
import type { DenseSet } from '../types/dense-set.js';
import type { Deque } from '../types/deque.js';
import type { ZSet } from '../types/zset.js';
import type { NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, globMatch, lower, parseInt64, str } from './util.js';
import { parseScanArgs, walk } from './scan.js';

const TYPE_NAMES = ['string', 'list', 'hash', 'zset', 'set'];
const MAXLL = 9223372036854775807n;

function del(c: Call): NodeReply {
  let n = 0;
  for (let i = 1; i < c.argv.length; i++) {
    const k = str(c.argv[i]!);
    if (c.ks.write(k) !== undefined && c.ks.delete(k)) { n++; c.ks.dirty++; }
  }
  return n;
}

function expireGeneric(c: Call, unitMs: bigint, absolute: boolean): NodeReply {
  const name = lower(c.argv[0]!);
  const n = parseInt64(c.argv[2]!);
  if (n === null) return E.notInt;
  let nx = false; let xx = false; let gt = false; let lt = false;
  for (let i = 3; i < c.argv.length; i++) {
    const o = lower(c.argv[i]!);
    if (o === 'nx') nx = true; else if (o === 'xx') xx = true; else if (o === 'gt') gt = true; else if (o === 'lt') lt = true;
    else return new ReplyError(`ERR Unsupported option ${str(c.argv[i]!)}`);
  }
  if (nx && (xx || gt || lt)) return new ReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) return new ReplyError('ERR GT and LT options at the same time are not compatible');
  const bad = new ReplyError(`ERR invalid expire time in '${name}' command`);
  // Redis's overflow checks: the unit conversion must fit 64 bits, then so must the addition of now
  if (unitMs !== 1n && (n > MAXLL / unitMs || n < (-MAXLL - 1n) / unitMs)) return bad;
  let when = n * unitMs;
  const now = Date.now();
  if (!absolute) {
    if (when > MAXLL - BigInt(now)) return bad;
    when += BigInt(now);
  }
  const key = str(c.argv[1]!);
  const e = c.ks.write(key);
  if (e === undefined) return 0;
  const at = Number(when);
  if (nx && e.exp !== 0) return 0;
  if (xx && e.exp === 0) return 0;
  if (gt && (e.exp === 0 || at <= e.exp)) return 0;
  if (lt && e.exp !== 0 && at >= e.exp) return 0;
  c.ks.dirty++;
  if (at <= now && !c.client.internal) {
    c.ks.delete(key);
    c.prop = [[buf('DEL'), c.argv[1]!]];
    return 1;
  }
  c.ks.setExpire(key, e, at <= 0 ? 1 : at);
  c.prop = [[buf('PEXPIREAT'), c.argv[1]!, buf(String(at))]];
  return 1;
}

function ttl(c: Call, ms: boolean): NodeReply {
  const e = c.ks.read(str(c.argv[1]!));
  if (e === undefined) return -2;
  if (e.exp === 0) return -1;
  const left = Math.max(0, e.exp - Date.now());
  return ms ? left : Math.floor((left + 500) / 1000);
}

function typeMatches(e: Entry, t: string): boolean { return TYPE_NAMES[e.t] === t; }

function scan(c: Call): NodeReply {
  const a = parseScanArgs(c.argv, 1, true);
  if (a instanceof ReplyError) return a;
  const all = c.ks.allKeys();
  const out: Buffer[] = [];
  const now = Date.now();
  const next = walk(all.length, a, (i) => all[i]!, (i) => {
    const e = c.ks.peek(all[i]!, now);
    if (e !== undefined && (a.type === null || typeMatches(e, a.type))) out.push(buf(all[i]!));
  });
  return [buf(String(next)), out];
}

function restore(c: Call): NodeReply {
  const { argv } = c;
  const key = str(argv[1]!);
  // Redis's order of checks: options, BUSYKEY, TTL, payload
  let replace = false; let abs = false; let idle = false; let freq = false;
  for (let i = 4; i < argv.length; i++) {
    const o = lower(argv[i]!);
    const more = i + 1 < argv.length;
    if (o === 'replace') replace = true;
    else if (o === 'absttl') abs = true;
    else if (o === 'idletime' && more && !freq) {
      const n = parseInt64(argv[++i]!);
      if (n === null) return E.notInt;
      if (n < 0n) return new ReplyError('ERR Invalid IDLETIME value, must be >= 0');
      idle = true;
    } else if (o === 'freq' && more && !idle) {
      const n = parseInt64(argv[++i]!);
      if (n === null) return E.notInt;
      if (n < 0n || n > 255n) return new ReplyError('ERR Invalid FREQ value, must be >= 0 and <= 255');
      freq = true;
    } else return E.syntax;
  }
  if (!replace && c.ks.peek(key) !== undefined) return new ReplyError('BUSYKEY Target key name already exists.');
  const t = parseInt64(argv[2]!);
  if (t === null) return E.notInt;
  if (t < 0n) return new ReplyError('ERR Invalid TTL value, must be >= 0');
  const d = loadValue(argv[3]!);
  if (d === null) return E.dumpBad;
  const now = Date.now();
  let at = Number(t);
  if (at !== 0 && !abs) at += now;
  c.ks.dirty++;
  if (at !== 0 && at <= now && !c.client.internal) {
    if (c.ks.write(key) !== undefined) c.ks.delete(key);
    c.prop = [[buf('DEL'), argv[1]!]];
    return 'OK';
  }
  c.ks.write(key);
  c.ks.set(key, d.t, d.v, at);
  c.prop = [[buf('RESTORE'), argv[1]!, buf(String(at)), argv[3]!, buf('ABSTTL'), buf('REPLACE')]];
  return 'OK';
}

function object(c: Call): NodeReply {
  const sub = lower(c.argv[1]!);
  if (sub === 'help') return [buf('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'), buf('ENCODING <key>'), buf('FREQ <key>'), buf('IDLETIME <key>'), buf('REFCOUNT <key>'), buf('HELP')];
  if (!['encoding', 'freq', 'idletime', 'refcount'].includes(sub)) return new ReplyError(`ERR unknown subcommand '${str(c.argv[1]!)}'. Try OBJECT HELP.`);
  if (c.argv.length !== 3) return new ReplyError(`ERR wrong number of arguments for 'object|${sub}' command`);
  const e = c.ks.peek(str(c.argv[2]!));
  if (e === undefined) return null;
  const lfu = c.node.options.maxmemoryPolicy.includes('lfu');
  if (sub === 'refcount') return 1;
  if (sub === 'idletime') {
    if (lfu) return new ReplyError('ERR An LRU maxmemory policy is not selected, no idle time tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    return Math.floor((Date.now() - e.lru) / 1000);
  }
  if (sub === 'freq') {
    if (!lfu) return new ReplyError('ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    return e.freq;
  }
  return encodingOf(e);
}

function encodingOf(e: Entry): Buffer {
  if (e.t === T.String) {
    const v = e.v as Buffer;
    if (v.length <= 20 && parseInt64(v) !== null) return buf('int');
    return buf(v.length <= 44 ? 'embstr' : 'raw');
  }
  if (e.t === T.List) return buf((e.v as Deque).length <= 128 ? 'listpack' : 'quicklist');
  if (e.t === T.Hash) return buf((e.v as Map<string, Buffer>).size <= 128 ? 'listpack' : 'hashtable');
  if (e.t === T.Set) {
    const st = e.v as DenseSet;
    if (st.size > 512) return buf('hashtable');
    for (const m of st) if (m.length > 20 || parseInt64(buf(m)) === null) return buf('hashtable');
    return buf('intset');
  }
  const z = e.v as ZSet;
  if (z.size <= 128 && [...z.dict.keys()].every((m) => m.length <= 64)) return buf('listpack');
  return buf('skiplist');
}

/** COPY source destination [DB 0] [REPLACE]: a deep copy (through the DUMP format) with the source's TTL; one database only. */
function copy(c: Call): NodeReply {
  let replace = false;
  for (let j = 3; j < c.argv.length; j++) {
    const o = lower(c.argv[j]!);
    if (o === 'replace') replace = true;
    else if (o === 'db' && j + 1 < c.argv.length) {
      const n = parseInt64(c.argv[++j]!);
      if (n === null) return E.notInt;
      if (n > 2147483647n || n < -2147483648n) return new ReplyError('ERR value is out of range, value must between -2147483648 and 2147483647');
      if (n !== 0n) return new ReplyError('ERR DB index is out of range');
    } else return E.syntax;
  }
  const from = str(c.argv[1]!); const to = str(c.argv[2]!);
  if (from === to) return new ReplyError('ERR source and destination objects are the same');
  const e = c.ks.read(from);
  if (e === undefined) return 0;
  if (c.ks.write(to) !== undefined && !replace) return 0;
  const d = loadValue(dumpValue(e.t, e.v))!;
  c.ks.set(to, d.t, d.v, e.exp);
  c.ks.dirty++;
  return 1;
}

export function keyCommands(): Cmd[] {
  const k1: [number, number, number] = [1, 1, 1];
  const none: [number, number, number] = [0, 0, 0];
  const flush = (c: Call): NodeReply => {
    if (c.argv.length > 2 || (c.argv.length === 2 && !['async', 'sync'].includes(lower(c.argv[1]!)))) return E.syntax;
    c.ks.flushAll();
    return 'OK';
  };
  return [
    def('del', -2, ['write'], [1, -1, 1], del),
    def('unlink', -2, ['write', 'fast'], [1, -1, 1], del),
    def('exists', -2, ['readonly', 'fast'], [1, -1, 1], (c) => { let n = 0; for (let i = 1; i < c.argv.length; i++) if (c.ks.read(str(c.argv[i]!)) !== undefined) n++; return n; }),
    def('touch', -2, ['readonly', 'fast'], [1, -1, 1], (c) => { let n = 0; for (let i = 1; i < c.argv.length; i++) if (c.ks.read(str(c.argv[i]!)) !== undefined) n++; return n; }),
    def('expire', -3, ['write', 'fast'], k1, (c) => expireGeneric(c, 1000n, false)),
    def('pexpire', -3, ['write', 'fast'], k1, (c) => expireGeneric(c, 1n, false)),
    def('expireat', -3, ['write', 'fast'], k1, (c) => expireGeneric(c, 1000n, true)),
    def('pexpireat', -3, ['write', 'fast'], k1, (c) => expireGeneric(c, 1n, true)),
    def('ttl', 2, ['readonly', 'fast'], k1, (c) => ttl(c, false)),
    def('pttl', 2, ['readonly', 'fast'], k1, (c) => ttl(c, true)),
    def('expiretime', 2, ['readonly', 'fast'], k1, (c) => { const e = c.ks.read(str(c.argv[1]!)); return e === undefined ? -2 : e.exp === 0 ? -1 : Math.floor(e.exp / 1000); }),
    def('pexpiretime', 2, ['readonly', 'fast'], k1, (c) => { const e = c.ks.read(str(c.argv[1]!)); return e === undefined ? -2 : e.exp === 0 ? -1 : e.exp; }),
    def('persist', 2, ['write', 'fast'], k1, (c) => {
      const k = str(c.argv[1]!);
      const e = c.ks.write(k);
      if (e === undefined || e.exp === 0) return 0;
      c.ks.setExpire(k, e, 0); c.ks.dirty++;
      return 1;
    }),
    def('type', 2, ['readonly', 'fast'], k1, (c) => { const e = c.ks.peek(str(c.argv[1]!)); return e === undefined ? 'none' : TYPE_NAMES[e.t]!; }),
    def('rename', 3, ['write'], [1, 2, 1], (c) => {
      const from = str(c.argv[1]!); const to = str(c.argv[2]!);
      if (c.ks.write(from) === undefined) return E.noKey;
      if (from === to) return 'OK';
      c.ks.write(to);
      c.ks.rename(from, to); c.ks.dirty++;
      return 'OK';
    }),
    def('renamenx', 3, ['write', 'fast'], [1, 2, 1], (c) => {
      const from = str(c.argv[1]!); const to = str(c.argv[2]!);
      if (c.ks.write(from) === undefined) return E.noKey;
      if (from === to || c.ks.peek(to) !== undefined) return 0;
      c.ks.rename(from, to); c.ks.dirty++;
      return 1;
    }),
    def('scan', -2, ['readonly'], none, scan),
    def('keys', 2, ['readonly'], none, (c) => {
      const p = str(c.argv[1]!); const now = Date.now();
      const out: Buffer[] = [];
      for (const [k, e] of c.ks.map) if ((e.exp === 0 || e.exp > now) && (p === '*' || globMatch(p, k))) out.push(buf(k));
      return out;
    }),
    def('randomkey', 1, ['readonly'], none, (c) => { const k = c.ks.randomKey(); return k === null ? null : buf(k); }),
    def('dbsize', 1, ['readonly', 'fast'], none, (c) => c.ks.size),
    def('flushall', -1, ['write'], none, flush),
    def('flushdb', -1, ['write'], none, flush),
    def('dump', 2, ['readonly'], k1, (c) => { const e = c.ks.read(str(c.argv[1]!)); return e === undefined ? null : dumpValue(e.t, e.v); }),
    def('restore', -4, ['write', 'denyoom'], k1, restore),
    def('object', -2, ['readonly'], [2, 2, 1], object),
    def('copy', -3, ['write', 'denyoom'], [1, 2, 1], copy),
  ];
}
