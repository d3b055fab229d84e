// Multi-key commands split per server and merged: MGET (values back in key
// order), MSET (OK when every part is OK), DEL/UNLINK/TOUCH/EXISTS (sum of
// counts — Twemproxy forwards EXISTS whole and miscounts; we split it).
// When every key lands on one server the request is forwarded untouched.
import type { CommandDef } from '../commands/table.js';
import { encodeArrayHeader, encodeCommand, encodeError, encodeInteger, OK } from '../resp/encode.js';
import { arrayElements, isErrorReply, readInteger } from '../resp/reply-read.js';
import { Req, type Entry, type ReplyTarget } from './request.js';
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
    const argv: Buffer[] = [this.#name];
    const step = this.#kind === 'mset' ? 2 : 1;
    for (const p of positions) {
      for (let j = 0; j < step; j++) argv.push(buf.subarray(args[(p + j) * 2], args[(p + j) * 2 + 1]));
    }
    const req = new Req(encodeCommand(argv), this, this.#frags.length);
    this.#parts.push(positions);
    this.#frags.push(req);
    this.#remaining++;
    server.connFor(this.#client.id).send(req);
  }

  complete(req: Req, buf: Buffer, start: number, end: number): void {
    req.out = buf.subarray(start, end);
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
          if (Number.isNaN(v)) return encodeError('ERR unexpected reply from a backend while merging');
          n += v;
        }
        return encodeInteger(n);
      }
      case 'mget': {
        const values = new Array<Buffer>(this.#keys);
        for (let i = 0; i < this.#frags.length; i++) {
          const out = this.#frags[i].out!;
          const els = arrayElements(out, 0);
          const pos = this.#parts[i];
          if (els === null || els.length !== pos.length * 2) return encodeError('ERR unexpected reply from a backend while merging');
          for (let j = 0; j < pos.length; j++) values[pos[j] - 1] = out.subarray(els[j * 2], els[j * 2 + 1]);
        }
        return Buffer.concat([encodeArrayHeader(this.#keys), ...values]);
      }
    }
  }
}

export function forwardSplit(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const kind = def.split!;
  const step = kind === 'mset' ? 2 : 1;
  if ((argc - 1) % step !== 0) {
    client.replyLocal(encodeError(`ERR wrong number of arguments for '${def.name}' command`));
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
    pool.stats.forward_error++;
    client.replyLocal(encodeError(`ERR no backend server is live in pool '${pool.config.name}'`));
    return;
  }
  if (groups.size === 1) {
    const [server] = groups.keys();
    const req = new Req(buf.subarray(start, end), client, 0);
    client.enqueue(req);
    server.connFor(client.id).send(req);
    return;
  }
  const split = new SplitRequest(client, kind, buf.subarray(args[0], args[1]), (argc - 1) / step);
  client.enqueue(split);
  pool.stats.fragments += groups.size;
  for (const [server, positions] of groups) split.addFragment(server, buf, args, positions);
}
