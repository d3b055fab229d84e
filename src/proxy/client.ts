// One client connection: scans its requests, hands each to the router, and
// writes the replies back strictly in request order, batched once per turn.
// Bounded: past MAX_PENDING requests or MAX_OUT_BYTES of unsent replies it
// stops reading the socket until the backlog drains (backpressure instead of
// buffering). Owns no routing logic (router.ts) and no backend sockets.
import type net from 'node:net';
import { RequestScanner } from '../resp/request-scanner.js';
import type { RequestSink } from '../resp/types.js';
import { ProtocolError, toRespError } from '../errors/index.js';
import { Fifo } from './queue.js';
import { scheduleFlush, scheduleFlushSoon, type Flushable } from './flush.js';
import { ClientOut } from './client-out.js';
import { Req, releaseReq, type Entry, type ReplyTarget } from './request.js';
import type { ProxyContext } from './context.js';
import type { Proto } from '../resp/encode.js';
import type { ClientSession } from './session.js';
import { routeRequest } from './router.js';
import { keep, readAccepted } from './socket-read.js';
import { startsAuthed } from '../security/users.js';
import { stamp } from '../metrics/commands.js';
import { slowlog } from '../metrics/slowlog.js';
import { commandName } from '../commands/table.js';
import { readProxyHeader } from './proxy-protocol.js';
import { clock } from './client-limits.js';

const MAX_PENDING = 4096;
const MAX_OUT_BYTES = 16 * 1024 * 1024;

let nextClientId = 1;

/** A request kept while a key it touches is moved (key migration): its own bytes and argument offsets. */
interface HeldRequest {
  bytes: Buffer;
  argc: number;
  args: Int32Array;
  /** its keys' moves are done: route it without looking again */
  moved: boolean;
}

function heldCopy(buf: Buffer, start: number, end: number, argc: number, args: Int32Array): HeldRequest {
  const rel = new Int32Array(argc * 2);
  for (let i = 0; i < argc * 2; i++) rel[i] = args[i]! - start;
  return { bytes: Buffer.from(buf.subarray(start, end)), argc, args: rel, moved: false };
}

export class ClientConn implements ReplyTarget, Flushable, RequestSink {
  readonly id = nextClientId++;
  readonly ctx: ProxyContext;
  readonly socket: net.Socket;
  readonly createdAt = Date.now();
  name: string | null = null;
  authed: boolean;
  /** the configured user this client authenticated as (its ACL rules apply); null = the default user */
  aclUser: string | null = null;
  /** the RESP version it speaks (HELLO 3 makes it 3; RESET makes it 2 again) */
  resp: Proto = 2;
  /** for CLIENT LIST's cmd= */
  lastCommand = '';
  /** the request being routed: its command id for metrics (-1: not measured) and argument count */
  cmd = -1;
  argc = 0;
  /** subscriptions, a transaction, dedicated backend connections (session.ts); null for a plain client */
  session: ClientSession | null = null;
  /** CLIENT NO-EVICT (the proxy evicts no client either way; shown by CLIENT INFO) */
  noEvict = false;
  /** when it last sent or was sent something (the coarse clock of client-limits.ts): idle_timeout, CLIENT LIST idle= */
  lastActive = clock.now;
  #scanner: RequestScanner;
  readonly #queue = new Fifo<Entry>(16);
  readonly #out = new ClientOut();
  #flushQueued = false;
  #paused = false;
  #blocked = false;
  #closing = false;
  /** shutting down: nothing more is read; what was read is answered, then the connection ends */
  #draining = false;
  #closed = false;
  /** requests waiting for a key move, in order (null: none) */
  #held: HeldRequest[] | null = null;
  /** PROXY protocol listener: the header bytes read so far (null once read, or when the pool takes none) */
  #header: Buffer | null;
  /** the client's address: the socket's peer, or what a PROXY protocol header said */
  peerAddress: string;
  peerPort: number;

  constructor(socket: net.Socket, ctx: ProxyContext) {
    this.socket = socket;
    this.ctx = ctx;
    this.authed = startsAuthed(ctx.pool.config.redisAuth, ctx.security.users);
    this.#scanner = new RequestScanner(ctx.limits);
    this.#header = ctx.pool.config.proxyProtocol ? Buffer.alloc(0) : null;
    this.peerAddress = socket.remoteAddress ?? '';
    this.peerPort = socket.remotePort ?? 0;
    readAccepted(socket, (chunk) => (this.#header === null ? this.#onData(chunk) : this.#onHeader(chunk)));
    socket.on('drain', () => {
      this.#blocked = false;
      this.#maybeResume();
      if (this.#out.length > 0) this.flush();
    });
    socket.on('error', () => {
      this.ctx.pool.stats.client_err++;
    });
    socket.on('end', () => {
      this.ctx.pool.stats.client_eof++;
    });
    socket.on('close', () => {
      this.#closed = true;
      this.session?.end();
      this.ctx.onClientClosed(this);
    });
  }

  /** A PROXY protocol listener: the header first (copied: the chunk is the shared read buffer), then requests. */
  #onHeader(chunk: Buffer): void {
    this.lastActive = clock.now;
    const got = Buffer.concat([this.#header!, chunk]);
    const v = readProxyHeader(got);
    if (v.kind === 'more') {
      this.#header = got;
      return;
    }
    if (v.kind === 'bad') {
      this.#header = null;
      this.#closing = true;
      this.ctx.log.warn({ remote: this.peerAddress }, `connection refused: ${v.reason}`);
      this.socket.end(Buffer.from(toRespError(new ProtocolError(`${v.reason} (this listener takes clients through a load balancer speaking the PROXY protocol)`))));
      return;
    }
    this.#header = null;
    if (v.peer.address !== null) {
      this.peerAddress = v.peer.address;
      this.peerPort = v.peer.port;
    }
    if (got.length > v.length) this.#onData(got.subarray(v.length));
  }

  #onData(chunk: Buffer): void {
    this.lastActive = clock.now;
    if (this.#closing || this.#draining) return;
    stamp();
    try {
      this.#scanner.feed(chunk, this);
    } catch (err) {
      if (!(err instanceof ProtocolError)) this.ctx.log.error({ err }, 'request handling failed');
      this.replyLocal(Buffer.from(toRespError(err)));
      this.closeAfterReplies();
      return;
    }
    if (this.#queue.length > MAX_PENDING || this.#out.length > MAX_OUT_BYTES) this.#pause();
  }

  onRequest(buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
    if (this.#closing) return;
    if (this.#held !== null) {
      this.#held.push(heldCopy(buf, start, end, argc, args));
      if (this.#held.length > MAX_PENDING) this.#pause();
      return;
    }
    routeRequest(this, buf, start, end, argc, args);
  }

  /**
   * Key migration: keep this request (a copy: buf may be the shared read
   * buffer) and every later one of this client until releaseHeld(), so the
   * client's order is kept while a key it touches is moved.
   */
  hold(buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
    const h = heldCopy(buf, start, end, argc, args);
    h.moved = true;
    if (this.#held === null) this.#held = [h];
    else this.#held.unshift(h);
  }

  /** The moves the head request waited for are done: route it and the ones behind it (until one waits again). */
  releaseHeld(): void {
    const q = this.#held;
    if (q === null) return;
    this.#held = null;
    while (q.length > 0 && !this.#closing) {
      const h = q.shift()!;
      routeRequest(this, h.bytes, 0, h.bytes.length, h.argc, h.args, h.moved);
      if (this.#held !== null) {
        // That one (or one after it) waits for a move again: the rest stays behind it.
        (this.#held as HeldRequest[]).push(...q);
        return;
      }
    }
    if (this.#queue.length > MAX_PENDING || this.#out.length > MAX_OUT_BYTES) this.#pause();
    else this.#maybeResume();
  }

  /** Track a forwarded request (or split parent) in reply order. */
  enqueue(e: Entry): void {
    this.#queue.push(e);
  }

  /** A reply the proxy produced itself, in order with everything before it. */
  replyLocal(bytes: Buffer): void {
    if (this.#queue.length === 0) {
      this.#out.add(bytes);
      this.#wrote();
    } else {
      this.#queue.push({ done: true, out: bytes });
    }
  }

  /** ReplyTarget: a backend reply for a request of this client. */
  complete(req: Req, buf: Buffer, start: number, end: number): void {
    if (req.cmd >= 0) {
      const ms = this.ctx.metrics.replied(req.cmd, req.t0, buf, start, end);
      if (slowlog.isSlow(ms)) this.slow(req.cmd, req.argc, ms, req.via);
    }
    if (this.#queue.peek() !== req) {
      // Replies owed before it are still out: keep it (a copy if it is in the read buffer).
      req.out = keep(buf, start, end);
      return;
    }
    this.#queue.shift();
    if (!this.#closed) this.#out.copy(buf, start, end);
    releaseReq(req);
    this.#advance();
  }

  /** A request of this client took `ms`, past the slow log's threshold: note it. */
  slow(cmd: number, argc: number, ms: number, via: { readonly label: string } | null): void {
    const args = [commandName(cmd)];
    if (argc > 1) args.push(`... (${argc - 1} more arguments)`);
    const s = this.socket;
    slowlog.add({
      durationUs: Math.round(ms * 1000), args, client: `${s.remoteAddress}:${s.remotePort}`,
      info: via === null ? '' : `backend=${via.label}`, pool: this.ctx.pool.name,
    });
  }

  /** An entry other than a direct Req finished (a merged split reply). */
  entryDone(e: Entry): void {
    if (this.#queue.peek() === e) this.#advance();
  }

  /** Move every finished entry at the head of the queue to the output, then schedule the write. */
  #advance(): void {
    const q = this.#queue;
    for (let head = q.peek(); head !== undefined && head.done; head = q.peek()) {
      q.shift();
      if (!this.#closed) this.#out.add(head.out!);
      // Only this client's own forwarded requests are Reqs in its queue (splits and local replies are not).
      if (head instanceof Req) releaseReq(head);
    }
    this.#wrote();
    this.#maybeResume();
  }

  /** Output was added: schedule its write. */
  #wrote(): void {
    if (this.#closed || this.#out.length === 0) return;
    if (!this.#flushQueued && !this.#blocked) {
      this.#flushQueued = true;
      // Nothing else owed: write right after this callback (latency). More replies
      // still coming: wait for the end of the turn so they leave in one write.
      if (this.#queue.length === 0) scheduleFlushSoon(this);
      else scheduleFlush(this);
    }
  }

  flush(): void {
    this.#flushQueued = false;
    if (this.#closed || this.#blocked) return;
    if (this.#out.length > 0) this.lastActive = clock.now;
    if (this.#out.length > 0 && !this.#out.writeTo(this.socket)) {
      this.#blocked = true;
      this.#pause();
    }
    if ((this.#closing || this.#draining) && this.#queue.length === 0 && this.#out.length === 0 && this.#held === null) {
      this.socket.end();
      // A paused socket never reads the peer's FIN: read on (and drop what comes) so the connection can close.
      if (this.#draining) this.socket.resume();
    }
  }

  /** Graceful shutdown: read nothing more, answer every request already read, then end the connection. */
  drain(): void {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    this.#pause();
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      scheduleFlush(this);
    }
  }

  /** QUIT, protocol errors: finish the replies owed, then close. */
  closeAfterReplies(): void {
    this.#closing = true;
    if (this.#queue.length === 0 && !this.#flushQueued) {
      this.#flushQueued = true;
      scheduleFlush(this);
    }
  }

  /** Reply bytes not yet written to the socket. */
  get outBytes(): number {
    return this.#out.length;
  }

  get pendingRequests(): number {
    return this.#queue.length;
  }

  /** Not closed for idleness (Redis's rule): a request in flight (a blocking one too), held requests, or pub/sub subscriptions. */
  get idleExempt(): boolean {
    return this.#queue.length > 0 || this.#held !== null || (this.session?.subs?.total ?? 0) > 0;
  }

  #pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  #maybeResume(): void {
    if (this.#paused && !this.#blocked && this.#held === null && !this.#draining && this.#queue.length <= MAX_PENDING / 2 && this.#out.length <= MAX_OUT_BYTES / 2) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
