// A request in flight: where its reply goes when it arrives. A request either
// belongs to a client directly (its reply is what the client sees) or is a
// fragment of a split multi-key command (its reply is merged by the parent).

/** A slot in a client's reply queue: done once its reply bytes are in `out`. */
export interface Entry {
  done: boolean;
  out: Buffer | null;
}

export interface ReplyTarget {
  /** A whole RESP reply for `req` (raw bytes buf[start,end)), or an error line. */
  complete(req: Req, buf: Buffer, start: number, end: number): void;
}

export class Req implements Entry {
  /** bytes of the request on the wire (set when it is sent) */
  size = 0;
  /** for the target's own bookkeeping (a split: which fragment this is) */
  tag = 0;
  /** set again when the object is reused (takeReq) */
  target: ReplyTarget;
  /** the proxy's own session setup (AUTH, SELECT): its reply says nothing about the server's health */
  readonly internal: boolean;
  /** ms timestamp after which the request times out; 0 = never */
  deadline = 0;
  done = false;
  /** the reply bytes, once complete (set by the target) */
  out: Buffer | null = null;
  /** metrics: the command's id (CommandDef.id), -1 = not measured; when it was read (timing.now); its argument count */
  cmd = -1;
  t0 = 0;
  argc = 0;
  /** the server it was sent to (the slow log names it) */
  via: { readonly label: string } | null = null;

  constructor(target: ReplyTarget, internal = false) {
    this.target = target;
    this.internal = internal;
  }

  reply(buf: Buffer, start: number, end: number): void {
    if (this.done) return;
    this.done = true;
    this.target.complete(this, buf, start, end);
  }

  fail(errorLine: Buffer): void {
    this.reply(errorLine, 0, errorLine.length);
  }
}

// Requests are reused once their reply is consumed (releaseReq), so the hot
// path allocates no object per command. Only requests whose last holder is
// known are released: a client's own (out of the backend's queue before the
// reply, out of the client's when written) and a split's fragments (consumed
// on arrival); the proxy's setup requests are not.
const free: Req[] = [];
/** spare requests kept at most (a burst's worth; more are left to the GC) */
const FREE_MAX = 4096;

/** A request whose reply goes to `target`: a spare one when there is one. */
export function takeReq(target: ReplyTarget): Req {
  const r = free.pop();
  if (r === undefined) return new Req(target);
  r.target = target;
  return r;
}

/** `r` is referenced by nobody any more: keep it for takeReq. */
export function releaseReq(r: Req): void {
  r.size = 0;
  r.tag = 0;
  r.deadline = 0;
  r.done = false;
  r.out = null;
  r.cmd = -1;
  r.via = null;
  if (free.length < FREE_MAX) free.push(r);
}
