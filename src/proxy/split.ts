// Multi-key commands split per server and merged: MGET (values back in key
// order), MSET (OK when every part is OK), DEL/UNLINK/TOUCH/EXISTS (sum of
// counts, as nutcracker 0.5.0 does too).
// When every key lands on one server the request is forwarded untouched.
// Fragments are encoded straight from the request bytes into the backend
// connection's output; replies are consumed as they arrive (they may live in
// the shared read buffer), so nothing of them is kept but what the merge needs.
import type { CommandDef } from '../commands/table.js';
import { encodeInteger, OK } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { isErrorReply, readInteger, skipReply } from '../resp/reply-read.js';
import { releaseReq, takeReq, type Entry, type Req, type ReplyTarget } from './request.js';
import { backendFor, forwardWhole, replyNoLiveServer } from './forward.js';
import { keep } from './socket-read.js';
import { copyInto } from './copy.js';
import { timing } from '../metrics/commands.js';
import { slowlog } from '../metrics/slowlog.js';
import type { ClientConn } from './client.js';
import type { TopologyServer } from '../topology/topology.js';
import type { SplitKind } from '../commands/types.js';

/**
 * One multi-key request split over several servers. Each fragment's reply is
 * consumed as it arrives (while its bytes are valid): MGET values are copied
 * into one buffer with their key positions, counts are summed, and the merged
 * reply is built once the last fragment answered.
 */
class SplitRequest implements Entry, ReplyTarget {
  done = false;
  out: Buffer | null = null;
  readonly #client: ClientConn;
  readonly #kind: SplitKind;
  /**
   * The argv indexes of the keys (MSET: of each key/value pair), grouped by
   * fragment: fragment f (Req.tag) carries #positions[#starts[f] .. #starts[f + 1]).
   */
  readonly #positions: number[];
  readonly #starts: number[];
  #remaining = 0;
  /** the error reply of the lowest fragment that failed, and that fragment */
  #error: Buffer | null = null;
  #errorTag = -1;
  #count = 0;
  /** MGET: value replies in arrival order, and per key its [start,end) in #vals */
  #vals: Buffer | null = null;
  #valsLen = 0;
  #slots: Int32Array | null = null;
  /** metrics: as on Req (cmd -1: not measured), and the server of the last fragment answered */
  readonly #cmd: number;
  readonly #t0: number;
  readonly #argc: number;
  #via: { readonly label: string } | null = null;

  constructor(client: ClientConn, kind: SplitKind, positions: number[], starts: number[]) {
    this.#client = client;
    this.#cmd = client.cmd;
    this.#t0 = timing.now;
    this.#argc = client.argc;
    this.#kind = kind;
    this.#positions = positions;
    this.#starts = starts;
  }

  /** Encode fragment `tag` straight into the output of the connection to `server`. */
  addFragment(server: TopologyServer, buf: Buffer, args: Int32Array, tag: number): void {
    const req = takeReq(this);
    req.tag = tag;
    req.via = server;
    this.#remaining++;
    const step = this.#kind === 'mset' ? 2 : 1;
    const from = this.#starts[tag];
    const to = this.#starts[tag + 1];
    const conn = backendFor(this.#client, server).connFor(this.#client.id);
    const off = conn.reserve(req, fragmentSize(args, this.#positions, from, to, step));
    encodeFragment(conn.outBytes, off, buf, args, this.#positions, from, to, step);
  }

  complete(req: Req, buf: Buffer, start: number, end: number): void {
    if (isErrorReply(buf, start)) this.#fail(req.tag, keep(buf, start, end));
    else if (this.#kind === 'count') {
      const v = readInteger(buf, start, end);
      if (Number.isNaN(v)) this.#fail(req.tag, errorReplies.badMergeReply());
      else this.#count += v;
    } else if (this.#kind === 'mget') {
      if (!this.#collect(req.tag, buf, start, end)) this.#fail(req.tag, errorReplies.badMergeReply());
      else if (this.#cmd >= 0) this.#client.ctx.metrics.countValues(this.#cmd, buf, start, end);
    }
    this.#via = req.via;
    // The fragment's reply is consumed and the backend let go of it before handing it over.
    releaseReq(req);
    if (--this.#remaining > 0) return;
    this.out = this.#error ?? (this.#kind === 'mset' ? OK : this.#kind === 'count' ? encodeInteger(this.#count) : this.#assemble());
    this.done = true;
    if (this.#cmd >= 0) this.#measure();
    this.#client.entryDone(this);
  }

  #measure(): void {
    const m = this.#client.ctx.metrics;
    const ms = m.timed(this.#cmd, this.#t0);
    if (this.#error !== null) m.errors[this.#cmd]++;
    if (slowlog.isSlow(ms)) this.#client.slow(this.#cmd, this.#argc, ms, this.#via);
  }

  #fail(tag: number, reply: Buffer): void {
    if (this.#error === null || tag < this.#errorTag) {
      this.#error = reply;
      this.#errorTag = tag;
    }
  }

  /** Copy the elements of one fragment's MGET reply, noting where each key's value is. */
  #collect(tag: number, buf: Buffer, start: number, end: number): boolean {
    const pos = this.#positions;
    const from = this.#starts[tag];
    const to = this.#starts[tag + 1];
    const first = arrayBody(buf, start, end, to - from);
    if (first < 0) return false;
    let vals = this.#vals;
    const need = this.#valsLen + (end - first);
    if (vals === null || need > vals.length) {
      // Room for every fragment's values guessed from this one's size; exact beyond 1 MB (no slack on large values).
      const guess = vals === null ? (end - first) * (this.#starts.length - 1) : need * 2;
      const next = Buffer.allocUnsafe(need > 1 << 20 ? need : Math.max(need, guess));
      if (vals !== null) vals.copy(next, 0, 0, this.#valsLen);
      this.#vals = vals = next;
      this.#slots ??= new Int32Array(this.#positions.length * 2);
    }
    const slots = this.#slots!;
    let o = this.#valsLen;
    let p = first;
    for (let j = from; j < to; j++) {
      const e = skipReply(buf, p);
      const k = (pos[j] - 1) * 2;
      slots[k] = o;
      o += copyInto(buf, p, e, vals, o);
      slots[k + 1] = o;
      p = e;
    }
    this.#valsLen = o;
    return true;
  }

  /** The merged MGET reply: the array header, then every value in key order. */
  #assemble(): Buffer {
    const n = this.#positions.length;
    const vals = this.#vals!;
    const slots = this.#slots!;
    const out = Buffer.allocUnsafe(3 + digits(n) + this.#valsLen);
    let o = writeHeader(out, 0, 42, n);
    for (let k = 0; k < n * 2; k += 2) o += copyInto(vals, slots[k], slots[k + 1], out, o);
    return out;
  }
}

/** Offset of the first element of an array reply of exactly `count` elements at start, or -1. */
function arrayBody(buf: Buffer, start: number, end: number, count: number): number {
  if (buf[start] !== 42) return -1;
  let n = 0;
  let p = start + 1;
  for (; p < end && buf[p] >= 48 && buf[p] <= 57; p++) n = n * 10 + (buf[p] - 48);
  return p === start + 1 || buf[p] !== 13 || n !== count ? -1 : p + 2;
}

/** Scratch for grouping one request's keys by server (requests are routed one at a time). */
let keyServer = new Int32Array(64);
/** per server index: how many keys it gets */
let keysOfServer = new Int32Array(16);
/** per server index: where its next key goes in `positions` (-1: it has no fragment yet) */
let nextSlot = new Int32Array(16);
/** per fragment: its server's index */
let fragmentServer = new Int32Array(16);

export function forwardSplit(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const kind = def.split!;
  const step = kind === 'mset' ? 2 : 1;
  if ((argc - 1) % step !== 0) {
    client.replyLocal(errorReplies.arity(def.name));
    return;
  }
  const pool = client.ctx.pool;
  const servers = pool.servers;
  const keys = (argc - 1) / step;
  if (keyServer.length < keys) keyServer = new Int32Array(keys * 2);
  if (keysOfServer.length < servers.length) {
    keysOfServer = new Int32Array(servers.length * 2);
    nextSlot = new Int32Array(servers.length * 2);
    fragmentServer = new Int32Array(servers.length * 2);
  }
  // Each key's server (index in config order), and how many keys each server gets.
  keysOfServer.fill(0, 0, servers.length);
  let parts = 0;
  for (let k = 0; k < keys; k++) {
    const a = (1 + k * step) * 2;
    const s = pool.route(buf, args[a], args[a + 1]);
    if (s === null) {
      replyNoLiveServer(client);
      return;
    }
    keyServer[k] = s.index;
    if (keysOfServer[s.index]++ === 0) parts++;
  }
  if (parts === 1) {
    forwardWhole(client, servers[keyServer[0]], buf, start, end);
    return;
  }
  // Fragments in order of their server's first key, each holding its keys in request order.
  const starts = new Array<number>(parts + 1);
  nextSlot.fill(-1, 0, servers.length);
  for (let k = 0, f = 0, off = 0; f < parts; k++) {
    const si = keyServer[k];
    if (nextSlot[si] >= 0) continue;
    fragmentServer[f] = si;
    starts[f++] = nextSlot[si] = off;
    off += keysOfServer[si];
  }
  starts[parts] = keys;
  const positions = new Array<number>(keys);
  for (let k = 0; k < keys; k++) positions[nextSlot[keyServer[k]]++] = 1 + k * step;

  const split = new SplitRequest(client, kind, positions, starts);
  client.enqueue(split);
  pool.stats.fragments += parts;
  for (let f = 0; f < parts; f++) split.addFragment(servers[fragmentServer[f]], buf, args, f);
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


/** Bytes of the fragment command: the request's command name plus the keys (MSET: pairs) at positions[from, to). */
function fragmentSize(args: Int32Array, positions: number[], from: number, to: number, step: number): number {
  const argc = 1 + (to - from) * step;
  const nameLen = args[1] - args[0];
  let size = 3 + digits(argc) + 5 + digits(nameLen) + nameLen;
  for (let i = from; i < to; i++) {
    for (let j = 0; j < step; j++) {
      const a = (positions[i] + j) * 2;
      const len = args[a + 1] - args[a];
      size += 5 + digits(len) + len;
    }
  }
  return size;
}

/** Encode the fragment command into out at o, straight from the request bytes. */
function encodeFragment(out: Buffer, o: number, buf: Buffer, args: Int32Array, positions: number[], from: number, to: number, step: number): void {
  o = writeHeader(out, o, 42, 1 + (to - from) * step);
  o = writeHeader(out, o, 36, args[1] - args[0]);
  o += copyInto(buf, args[0], args[1], out, o);
  out[o++] = 13;
  out[o++] = 10;
  for (let i = from; i < to; i++) {
    for (let j = 0; j < step; j++) {
      const a = (positions[i] + j) * 2;
      o = writeHeader(out, o, 36, args[a + 1] - args[a]);
      o += copyInto(buf, args[a], args[a + 1], out, o);
      out[o++] = 13;
      out[o++] = 10;
    }
  }
}
