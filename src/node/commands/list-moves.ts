// List commands that move elements between lists or block: LMOVE, RPOPLPUSH,
// LMPOP and their blocking forms BLMOVE, BRPOPLPUSH, BLMPOP, BLPOP, BRPOP.
// A blocking command that can be served at once runs as its plain form and is
// propagated as such; a client that waits is served by NodeState (FIFO per key,
// after the command that pushed) through the serve() closure built here, which
// propagates what it did (LPOP/RPOP, LMOVE, LPOP/RPOP with a count).
import { ReplyError } from '../contracts.js';
import { T } from '../dump.js';
import type { Entry } from '../keyspace.js';
import { NIL_ARRAY, type NodeReply } from '../reply.js';
import { Deque } from '../types/deque.js';
import { getList, popFrom, pushTo } from './lists.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, lower, parseFloatArg, parseInt64, str } from './util.js';

const LEFT = buf('LEFT');
const RIGHT = buf('RIGHT');

/** A blocking timeout in seconds (Redis 7.0: NaN is not a float; negative, infinite or past 2^63 ms is "negative"). Returns ms, 0 = forever. */
export function parseTimeout(b: Buffer): number | ReplyError {
  const t = parseFloatArg(b);
  if (t === null) return new ReplyError('ERR timeout is not a float or out of range');
  // an integer number of seconds is checked exactly (doubles round near 2^63; redis-server uses long double)
  const whole = /^\+?[0-9]+$/.test(str(b)) ? BigInt(str(b).replace('+', '')) * 1000n : null;
  if (t < 0 || !Number.isFinite(t) || (whole !== null ? whole >= 2n ** 63n : t * 1000 >= 2 ** 63)) return new ReplyError('ERR timeout is negative');
  return Math.round(t * 1000);
}

/** LEFT / RIGHT → true for left; null = syntax error */
function side(b: Buffer): boolean | null {
  const s = lower(b);
  return s === 'left' ? true : s === 'right' ? false : null;
}

/**
 * Move one element from `src` (which holds a list) to `dst`. Returns the element, or
 * WRONGTYPE when dst holds something else; nothing moved then.
 */
function moveOne(c: Call, src: string, srcEntry: Entry, dst: string, fromLeft: boolean, toLeft: boolean): Buffer | ReplyError {
  const d = c.ks.write(dst);
  if (d !== undefined && d.t !== T.List) return E.wrongType;
  const [v] = popFrom(c, src, srcEntry, fromLeft, 1);
  // src === dst with one element: the pop deleted the key, the push re-creates it
  pushTo(c, dst, c.ks.peek(dst) ?? c.ks.set(dst, T.List, new Deque()), toLeft, v!);
  return v!;
}

function lmove(c: Call, fromLeft: boolean | null, toLeft: boolean | null): NodeReply {
  if (fromLeft === null || toLeft === null) return E.syntax;
  const src = str(c.argv[1]!); const dst = str(c.argv[2]!);
  const e = getList(c, src, true);
  if (e instanceof ReplyError) return e;
  if (e === undefined) return null;
  return moveOne(c, src, e, dst, fromLeft, toLeft);
}

function blmove(c: Call, fromLeft: boolean | null, toLeft: boolean | null, timeoutArg: Buffer): NodeReply | Promise<NodeReply> {
  if (fromLeft === null || toLeft === null) return E.syntax;
  const timeout = parseTimeout(timeoutArg);
  if (timeout instanceof ReplyError) return timeout;
  const lmoveArgv = [buf('LMOVE'), c.argv[1]!, c.argv[2]!, fromLeft ? LEFT : RIGHT, toLeft ? LEFT : RIGHT];
  const src = str(c.argv[1]!); const dst = str(c.argv[2]!);
  const e = getList(c, src, true);
  if (e instanceof ReplyError) return e;
  if (e !== undefined) {
    c.prop = [lmoveArgv];
    return moveOne(c, src, e, dst, fromLeft, toLeft);
  }
  if (c.client.internal || c.client.inExec) return null;
  c.prop = [];
  return c.node.block(c.client, [src], timeout, (key) => {
    const r = moveOne(c, key, c.ks.write(key)!, dst, fromLeft, toLeft);
    if (r instanceof ReplyError) return undefined; // destination of the wrong type: stays blocked, as in Redis
    c.node.emit(lmoveArgv);
    return r;
  });
}

interface MpopArgs { keys: Buffer[]; left: boolean; count: number }

function parseMpop(argv: Buffer[], numkeysAt: number): MpopArgs | ReplyError {
  const nk = parseInt64(argv[numkeysAt]!);
  if (nk === null || nk <= 0n) return new ReplyError('ERR numkeys should be greater than 0');
  const whereAt = numkeysAt + 1 + Number(nk);
  if (nk > BigInt(argv.length) || whereAt >= argv.length) return E.syntax;
  const left = side(argv[whereAt]!);
  if (left === null) return E.syntax;
  let count = -1;
  for (let i = whereAt + 1; i < argv.length; i++) {
    if (count === -1 && lower(argv[i]!) === 'count' && i + 1 < argv.length) {
      const n = parseInt64(argv[++i]!);
      if (n === null || n <= 0n) return new ReplyError('ERR count should be greater than 0');
      count = n > 2n ** 32n ? 2 ** 32 : Number(n);
    } else return E.syntax;
  }
  return { keys: argv.slice(numkeysAt + 1, whereAt), left, count: count === -1 ? 1 : count };
}

/** Pop from the first non-empty list of a.keys: [key, [elements]], propagated as LPOP/RPOP key count. */
function mpopFrom(c: Call, a: MpopArgs, keyArg: Buffer, e: Entry, propagate: (argv: Buffer[]) => void): NodeReply {
  const out = popFrom(c, str(keyArg), e, a.left, a.count);
  propagate([buf(a.left ? 'LPOP' : 'RPOP'), keyArg, buf(String(out.length))]);
  return [keyArg, out];
}

function lmpop(c: Call, numkeysAt: number, timeoutArg: Buffer | null): NodeReply | Promise<NodeReply> {
  let timeout = 0;
  if (timeoutArg !== null) {
    const t = parseTimeout(timeoutArg);
    if (t instanceof ReplyError) return t;
    timeout = t;
  }
  const a = parseMpop(c.argv, numkeysAt);
  if (a instanceof ReplyError) return a;
  c.prop = [];
  for (const k of a.keys) {
    const e = getList(c, str(k), true);
    if (e instanceof ReplyError) return e;
    if (e !== undefined) return mpopFrom(c, a, k, e, (p) => { c.prop = [p]; });
  }
  if (timeoutArg === null || c.client.internal || c.client.inExec) return NIL_ARRAY;
  const byName = new Map(a.keys.map((k) => [str(k), k]));
  return c.node.block(c.client, [...byName.keys()], timeout, (key) => mpopFrom(c, a, byName.get(key)!, c.ks.write(key)!, (p) => c.node.emit(p)));
}

function bpop(c: Call, left: boolean): NodeReply | Promise<NodeReply> {
  const timeout = parseTimeout(c.argv[c.argv.length - 1]!);
  if (timeout instanceof ReplyError) return timeout;
  const keys = c.argv.slice(1, -1);
  for (const k of keys) {
    const e = getList(c, str(k), true);
    if (e instanceof ReplyError) return e;
    if (e === undefined) continue;
    const [v] = popFrom(c, str(k), e, left, 1);
    c.prop = [[buf(left ? 'LPOP' : 'RPOP'), k]];
    return [k, v!];
  }
  if (c.client.internal || c.client.inExec) return NIL_ARRAY;
  const byName = new Map(keys.map((k) => [str(k), k]));
  return c.node.block(c.client, [...byName.keys()], timeout, (key) => {
    const [v] = popFrom(c, key, c.ks.write(key)!, left, 1);
    c.node.emit([buf(left ? 'LPOP' : 'RPOP'), byName.get(key)!]);
    return [byName.get(key)!, v!];
  });
}

export function listMoveCommands(): Cmd[] {
  const W = ['write', 'denyoom'] as const;
  const B = ['write', 'denyoom', 'blocking'] as const;
  return [
    def('lmove', 5, W, [1, 2, 1], (c) => lmove(c, side(c.argv[3]!), side(c.argv[4]!))),
    def('rpoplpush', 3, W, [1, 2, 1], (c) => lmove(c, false, true)),
    def('blmove', 6, B, [1, 2, 1], (c) => blmove(c, side(c.argv[3]!), side(c.argv[4]!), c.argv[5]!)),
    def('brpoplpush', 4, B, [1, 2, 1], (c) => blmove(c, false, true, c.argv[3]!)),
    def('lmpop', -4, ['write'], [0, 0, 0], (c) => lmpop(c, 1, null)),
    def('blmpop', -5, ['write', 'blocking'], [0, 0, 0], (c) => lmpop(c, 2, c.argv[1]!)),
    def('blpop', -3, ['write', 'blocking'], [1, -2, 1], (c) => bpop(c, true)),
    def('brpop', -3, ['write', 'blocking'], [1, -2, 1], (c) => bpop(c, false)),
  ];
}
