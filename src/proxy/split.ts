// Multi-key commands split per server and merged: MGET (values back in key
// order), MSET (OK when every part is OK), DEL/UNLINK/TOUCH/EXISTS (sum of
// counts, as nutcracker 0.5.0 does too).
// When every key lands on one server the request is forwarded untouched.
import type { CommandDef } from '../commands/table.js';
import { encodeArrayHeader, encodeInteger, OK } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { arrayElements, isErrorReply, readInteger } from '../resp/reply-read.js';
import { Req, type Entry, type ReplyTarget } from './request.js';
import { forwardWhole, replyNoLiveServer } from './forward.js';
import { keep } from './socket-read.js';
import type { ClientConn } from './client.js';
import type { ServerRuntime } from './server-pool.js';
import type { SplitKind } from '../commands/types.js';

class SplitRequest implements Entry, ReplyTarget {
  done = false;
  out: Buffer | null = null;
  readonly #client: ClientConn;
  readonly #kind: SplitKind;
  readonly #name: Buffer;
  /** per fragment: the argv indexes (of the key, for mset of the key/value pair) it carries */
  readonly #parts: number[][] = [];
  readonly #frags: Req[] = [];
  #remaining = 0;
  readonly #keys: number;

  constructor(client: ClientConn, kind: SplitKind, name: Buffer, keys: number) {
    this.#client = client;
    this.#kind = kind;
    this.#name = name;
    this.#keys = keys;
  }

  addFragment(server: ServerRuntime, buf: Buffer, args: Int32Array, positions: number[]): void {
    const req = new Req(this);
    const frag = encodeFragment(this.#name, buf, args, positions, this.#kind === 'mset' ? 2 : 1);
    this.#parts.push(positions);
    this.#frags.push(req);
    this.#remaining++;
    server.connFor(this.#client.id).send(req, frag, 0, frag.length);
  }

  complete(req: Req, buf: Buffer, start: number, end: number): void {
    req.out = keep(buf, start, end);
    if (--this.#remaining > 0) return;
    this.out = this.#merge();
    this.done = true;
    this.#client.entryDone(this);
  }

  #merge(): Buffer {
    for (const f of this.#frags) if (isErrorReply(f.out!, 0)) return f.out!;
    switch (this.#kind) {
      case 'mset':
        return OK;
      case 'count': {
        let n = 0;
        for (const f of this.#frags) {
          const v = readInteger(f.out!, 0, f.out!.length);
          if (Number.isNaN(v)) return errorReplies.badMergeReply();
          n += v;
        }
        return encodeInteger(n);
      }
      case 'mget': {
        // Copy each value's reply bytes, in key order, into one buffer.
        const n = this.#keys;
        const from = new Array<Buffer>(n);
        const at = new Int32Array(n * 2);
        const header = encodeArrayHeader(n);
        let total = header.length;
        for (let i = 0; i < this.#frags.length; i++) {
          const out = this.#frags[i].out!;
          const els = arrayElements(out, 0);
          const pos = this.#parts[i];
          if (els === null || els.length !== pos.length * 2) return errorReplies.badMergeReply();
          for (let j = 0; j < pos.length; j++) {
            const k = pos[j] - 1;
            from[k] = out;
            at[k * 2] = els[j * 2];
            at[k * 2 + 1] = els[j * 2 + 1];
            total += els[j * 2 + 1] - els[j * 2];
          }
        }
        const merged = Buffer.allocUnsafe(total);
        let o = copyBytes(header, 0, header.length, merged, 0);
        for (let k = 0; k < n; k++) o += copyBytes(from[k], at[k * 2], at[k * 2 + 1], merged, o);
        return merged;
      }
    }
  }
}

export function forwardSplit(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const kind = def.split!;
  const step = kind === 'mset' ? 2 : 1;
  if ((argc - 1) % step !== 0) {
    client.replyLocal(errorReplies.arity(def.name));
    return;
  }
  const pool = client.ctx.pool;
  const groups = new Map<ServerRuntime, number[]>();
  let dead = false;
  for (let i = 1; i < argc; i += step) {
    const s = pool.route(buf, args[i * 2], args[i * 2 + 1]);
    if (s === null) { dead = true; break; }
    const g = groups.get(s);
    if (g === undefined) groups.set(s, [i]); else g.push(i);
  }
  if (dead) {
    replyNoLiveServer(client);
    return;
  }
  if (groups.size === 1) {
    forwardWhole(client, groups.keys().next().value!, buf, start, end);
    return;
  }
  const split = new SplitRequest(client, kind, buf.subarray(args[0], args[1]), (argc - 1) / step);
  client.enqueue(split);
  pool.stats.fragments += groups.size;
  for (const [server, positions] of groups) split.addFragment(server, buf, args, positions);
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) { n = Math.floor(n / 10); d++; }
  return d;
}

function writeHeader(out: Buffer, o: number, type: number, n: number): number {
  out[o++] = type;
  const d = digits(n);
  for (let i = d - 1, v = n; i >= 0; i--, v = Math.floor(v / 10)) out[o + i] = 48 + (v % 10);
  o += d;
  out[o++] = 13;
  out[o++] = 10;
  return o;
}

/** Buffer.copy costs more than a loop for the short keys and values this path moves. */
function copyBytes(src: Buffer, s: number, e: number, dst: Buffer, o: number): number {
  if (e - s > 64) return src.copy(dst, o, s, e);
  for (let i = s; i < e; i++) dst[o++] = src[i];
  return e - s;
}

/** One fragment command (name + the keys, or key/value pairs, at `positions`) encoded straight from the request bytes. */
function encodeFragment(name: Buffer, buf: Buffer, args: Int32Array, positions: number[], step: number): Buffer {
  const argc = 1 + positions.length * step;
  let size = 3 + digits(argc) + 5 + digits(name.length) + name.length;
  for (let i = 0; i < positions.length; i++) {
    for (let j = 0; j < step; j++) {
      const a = (positions[i] + j) * 2;
      const len = args[a + 1] - args[a];
      size += 5 + digits(len) + len;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let o = writeHeader(out, 0, 42, argc);
  o = writeHeader(out, o, 36, name.length);
  o += copyBytes(name, 0, name.length, out, o);
  out[o++] = 13;
  out[o++] = 10;
  for (let i = 0; i < positions.length; i++) {
    for (let j = 0; j < step; j++) {
      const a = (positions[i] + j) * 2;
      o = writeHeader(out, o, 36, args[a + 1] - args[a]);
      o += copyBytes(buf, args[a], args[a + 1], out, o);
      out[o++] = 13;
      out[o++] = 10;
    }
  }
  return out;
}
