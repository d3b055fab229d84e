// Hash commands of the node. Hashes are Map<field latin1, Buffer>.
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { HASH_FIELD } from '../memory.js';
import { formatLongDouble } from './strings.js';
import type { NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { E, arity, buf, lower, parseFloatArg, parseInt64, str } from './util.js';
import { parseScanArgs, walkMap } from './scan.js';
import { SMALL, randomEntries } from './zset-sets.js';

function getHash(c: Call, key: string, write: boolean): Entry | undefined | ReplyError {
  const e = write ? c.ks.write(key) : c.ks.read(key);
  if (e !== undefined && e.t !== T.Hash) return E.wrongType;
  return e;
}

function hashForWrite(c: Call, key: string): Entry | ReplyError {
  const e = getHash(c, key, true);
  if (e instanceof ReplyError) return e;
  return e ?? c.ks.set(key, T.Hash, new Map<string, Buffer>());
}

function putField(c: Call, e: Entry, f: string, v: Buffer): boolean {
  const h = e.v as Map<string, Buffer>;
  const old = h.get(f);
  h.set(f, v);
  c.ks.grow(e, old === undefined ? HASH_FIELD + f.length + v.length : v.length - old.length);
  return old === undefined;
}

function hset(c: Call, countNew: boolean): NodeReply {
  if (c.argv.length % 2 === 1) return arity(lower(c.argv[0]!));
  const e = hashForWrite(c, str(c.argv[1]!));
  if (e instanceof ReplyError) return e;
  let n = 0;
  for (let i = 2; i < c.argv.length; i += 2) if (putField(c, e, str(c.argv[i]!), c.argv[i + 1]!)) n++;
  c.ks.dirty++;
  return countNew ? n : 'OK';
}

function read(c: Call): Map<string, Buffer> | null | ReplyError {
  const e = getHash(c, str(c.argv[1]!), false);
  if (e instanceof ReplyError) return e;
  return e === undefined ? null : e.v as Map<string, Buffer>;
}

function hscan(c: Call): NodeReply {
  const a = parseScanArgs(c.argv, 2, false);
  if (a instanceof ReplyError) return a;
  const h = read(c);
  if (h instanceof ReplyError) return h;
  if (h === null) return [buf('0'), []];
  const out: Buffer[] = [];
  // like Redis's listpack encoding: a small hash comes whole (insertion order), cursor 0
  if (a.cursor === 0 && h.size <= SMALL) a.count = SMALL + 1;
  const next = walkMap(h, a, (f) => f, (f, v) => { out.push(buf(f), v); });
  return [buf(String(next)), out];
}

function hrandfield(c: Call): NodeReply {
  const h = read(c);
  if (c.argv.length > 2 && parseInt64(c.argv[2]!) === null) return E.notInt;
  if (h instanceof ReplyError) return h;
  // a Map has no positional access: the fields are listed once per call (O(n), Redis is O(count))
  const fields = h === null ? [] : [...h];
  return randomEntries(c, fields.length, (i) => [buf(fields[i]![0]), fields[i]![1]], 'withvalues');
}

export function hashCommands(): Cmd[] {
  const k1: [number, number, number] = [1, 1, 1];
  const W = ['write', 'denyoom', 'fast'] as const;
  return [
    def('hset', -4, W, k1, (c) => hset(c, true)),
    def('hmset', -4, W, k1, (c) => hset(c, false)),
    def('hsetnx', 4, W, k1, (c) => {
      const e = hashForWrite(c, str(c.argv[1]!));
      if (e instanceof ReplyError) return e;
      const f = str(c.argv[2]!);
      if ((e.v as Map<string, Buffer>).has(f)) return 0;
      putField(c, e, f, c.argv[3]!); c.ks.dirty++;
      return 1;
    }),
    def('hget', 3, ['readonly', 'fast'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : h?.get(str(c.argv[2]!)) ?? null; }),
    def('hmget', -3, ['readonly', 'fast'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : c.argv.slice(2).map((f) => h?.get(str(f)) ?? null); }),
    def('hdel', -3, ['write', 'fast'], k1, (c) => {
      const key = str(c.argv[1]!);
      const e = getHash(c, key, true);
      if (e instanceof ReplyError) return e;
      if (e === undefined) return 0;
      const h = e.v as Map<string, Buffer>;
      let n = 0;
      for (let i = 2; i < c.argv.length; i++) {
        const f = str(c.argv[i]!);
        const v = h.get(f);
        if (v === undefined) continue;
        h.delete(f); n++;
        c.ks.grow(e, -(HASH_FIELD + f.length + v.length));
      }
      if (n > 0) { c.ks.dirty++; if (h.size === 0) c.ks.delete(key); }
      return n;
    }),
    def('hgetall', 2, ['readonly'], k1, (c) => {
      const h = read(c);
      if (h instanceof ReplyError) return h;
      const m: [NodeReply & Buffer, Buffer][] = [];
      if (h) for (const [f, v] of h) m.push([buf(f), v]);
      return { map: m };
    }),
    def('hkeys', 2, ['readonly'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : h ? [...h.keys()].map(buf) : []; }),
    def('hvals', 2, ['readonly'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : h ? [...h.values()] : []; }),
    def('hscan', -3, ['readonly'], k1, hscan),
    def('hrandfield', -2, ['readonly'], k1, hrandfield),
    def('hlen', 2, ['readonly', 'fast'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : h?.size ?? 0; }),
    def('hstrlen', 3, ['readonly', 'fast'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : h?.get(str(c.argv[2]!))?.length ?? 0; }),
    def('hexists', 3, ['readonly', 'fast'], k1, (c) => { const h = read(c); return h instanceof ReplyError ? h : h?.has(str(c.argv[2]!)) ? 1 : 0; }),
    def('hincrby', 4, W, k1, (c) => {
      const by = parseInt64(c.argv[3]!);
      if (by === null) return E.notInt;
      const e = hashForWrite(c, str(c.argv[1]!));
      if (e instanceof ReplyError) return e;
      const f = str(c.argv[2]!);
      const cur = (e.v as Map<string, Buffer>).get(f);
      let n = 0n;
      if (cur !== undefined) { const p = parseInt64(cur); if (p === null) return new ReplyError('ERR hash value is not an integer'); n = p; }
      const r = n + by;
      if (r > 9223372036854775807n || r < -9223372036854775808n) return E.overflow;
      putField(c, e, f, buf(r.toString())); c.ks.dirty++;
      return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
    }),
    def('hincrbyfloat', 4, W, k1, (c) => {
      const by = parseFloatArg(c.argv[3]!);
      if (by === null) return E.notFloat;
      const e = hashForWrite(c, str(c.argv[1]!));
      if (e instanceof ReplyError) return e;
      const f = str(c.argv[2]!);
      const cur = (e.v as Map<string, Buffer>).get(f);
      let n = 0;
      if (cur !== undefined) { const p = parseFloatArg(cur); if (p === null) return new ReplyError('ERR hash value is not a float'); n = p; }
      const r = n + by;
      if (!Number.isFinite(r)) return new ReplyError('ERR increment would produce NaN or Infinity');
      const v = buf(formatLongDouble(r));
      putField(c, e, f, v); c.ks.dirty++;
      c.prop = [[buf('HSET'), c.argv[1]!, c.argv[2]!, v]];
      return v;
    }),
  ];
}
