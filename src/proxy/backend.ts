// One connection from the proxy to a backend server. Requests from many
// clients are written to it in order (what two consecutive event-loop turns
// read leaves in one write: scheduleFlushNextTurn), and its replies are
// matched to them first-in first-out. Owns the socket, the in-flight queue
// and the per-request timeout; decides nothing about ejection (it reports
// failures to its owner).
import type net from 'node:net';
import type tls from 'node:tls';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { encodeCommand } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { isErrorReply, readLine } from '../resp/reply-read.js';
import { Fifo } from './queue.js';
import { scheduleFlushNextTurn, type Flushable } from './flush.js';
import { Req, type ReplyTarget } from './request.js';
import { OutBuffer } from './out-buffer.js';
import { connectReading, connectReadingTls } from './socket-read.js';
import type { ServerCounters } from '../topology/counters.js';
import { stamp } from '../metrics/commands.js';

export interface BackendAddress {
  readonly host: string | null;
  readonly port: number;
  readonly path: string | null;
  readonly label: string;
}

export interface BackendOptions {
  readonly auth: string | null;
  /** AUTH <authUser> <auth> (Redis 6 ACL) when set */
  readonly authUser: string | null;
  readonly db: number;
  readonly keepalive: boolean;
  /** request timeout in ms; null = wait forever */
  readonly timeout: number | null;
  /** TLS options (a secure context made once per server); null = plaintext */
  readonly tls: tls.ConnectionOptions | null;
  /** 3: the session is opened with HELLO 3 and every reply comes as RESP3 */
  readonly protocol: 2 | 3;
}

/** Why a connection failed: the server closed it, it timed out, or anything else (refused, reset, bad reply). */
export type FailureKind = 'eof' | 'timeout' | 'error';

export interface BackendOwner {
  /** The connection failed; `reason` is for humans (without the server's label); `failed`: clients' requests answered with an error. */
  onBackendFailure(conn: BackendConn, kind: FailureKind, reason: string, failed: number): void;
  /** A reply arrived: the server is alive. */
  onBackendReply(conn: BackendConn): void;
  /** An error reply saying the server does not serve as a master now (-LOADING, -READONLY, -MASTERDOWN): a health signal, the connection stays. */
  onBackendNotServing(conn: BackendConn, reason: string): void;
  /** Counters for stats. */
  onBackendConnected(conn: BackendConn): void;
  onBackendClosed(conn: BackendConn): void;
}

type State = 'idle' | 'connecting' | 'ready';

const HELLO3 = encodeCommand(['HELLO', '3']);

/** Swallows replies of the proxy's own AUTH/SELECT; a refusal fails the connection. */
class SetupTarget implements ReplyTarget {
  constructor(private readonly conn: BackendConn, private readonly what: string) {}
  complete(_req: Req, buf: Buffer, start: number, end: number): void {
    if (isErrorReply(buf, start)) this.conn.fatal('error', `${this.what} refused: ${readLine(buf, start, end)}`);
  }
}

export class BackendConn implements Flushable {
  readonly address: BackendAddress;
  readonly #opts: BackendOptions;
  readonly #owner: BackendOwner;
  #socket: net.Socket | null = null;
  #state: State = 'idle';
  #scanner = new ReplyScanner();
  readonly #inflight = new Fifo<Req>(64);
  /** bytes of the requests not yet written (a suffix of #inflight), copied in, and how many */
  readonly #out = new OutBuffer(16 * 1024, 1024 * 1024, 4096);
  #unsent = 0;
  /** bytes of every request in #inflight, written or not */
  #inflightBytes = 0;
  #queued = false;
  #blocked = false;
  /** the server's counters: shared by its connections, kept across topology swaps */
  readonly #counters: ServerCounters;

  constructor(address: BackendAddress, opts: BackendOptions, owner: BackendOwner, counters: ServerCounters) {
    this.address = address;
    this.#opts = opts;
    this.#owner = owner;
    this.#counters = counters;
  }

  get inflight(): number {
    return this.#inflight.length;
  }

  /** Connected or connecting (false once it failed or was closed). */
  get open(): boolean {
    return this.#state !== 'idle';
  }

  /** Requests waiting to be written, and their bytes (nutcracker's in_queue). */
  get unsent(): number {
    return this.#unsent;
  }

  get unsentBytes(): number {
    return this.#out.length;
  }

  /** Bytes of the requests written and awaiting a reply (nutcracker's out_queue_bytes). */
  get awaitingBytes(): number {
    return this.#inflightBytes - this.#out.length;
  }

  /** Open the connection now (preconnect); requests sent meanwhile wait for it. */
  connect(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'connecting';
    const a = this.address;
    const sink = { onReply: (buf: Buffer, start: number, end: number) => this.#onReply(buf, start, end) };
    const target = a.path !== null ? { path: a.path } : { host: a.host ?? '127.0.0.1', port: a.port };
    const onChunk = (chunk: Buffer): void => {
      if (this.#socket !== socket) return;
      stamp();
      this.#counters.response_bytes += chunk.length;
      try {
        this.#scanner.feed(chunk, sink);
      } catch (err) {
        this.fatal('error', `bad reply: ${(err as Error).message}`);
      }
    };
    const secure = this.#opts.tls;
    const socket = secure === null ? connectReading(target, onChunk) : connectReadingTls(target, secure, onChunk);
    socket.setNoDelay(true);
    if (this.#opts.keepalive) socket.setKeepAlive(true);
    this.#socket = socket;
    this.#scanner = new ReplyScanner();
    // A TLS connection is ready once its handshake is done (the server's certificate verified).
    socket.on(secure === null ? 'connect' : 'secureConnect', () => {
      if (this.#socket !== socket) return;
      this.#state = 'ready';
      this.#owner.onBackendConnected(this);
      this.#flushNow();
    });
    socket.on('drain', () => {
      if (this.#socket !== socket) return;
      this.#blocked = false;
      this.#flushNow();
    });
    socket.on('error', (err) => {
      if (this.#socket === socket) this.fatal('error', err.message);
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.fatal('eof', 'connection closed by server');
    });
    // Session setup goes first on the wire.
    const o = this.#opts;
    if (o.auth !== null) this.#setup('AUTH', encodeCommand(o.authUser === null ? ['AUTH', o.auth] : ['AUTH', o.authUser, o.auth]));
    if (this.#opts.db !== 0) this.#setup('SELECT', encodeCommand(['SELECT', String(this.#opts.db)]));
    if (this.#opts.protocol === 3) this.#setup('HELLO 3', HELLO3);
  }

  #setup(what: string, command: Buffer): void {
    const req = new Req(new SetupTarget(this, what), true);
    // A stalled server must not hold the session setup (the head of the queue) forever: the requests behind it would never time out.
    if (this.#opts.timeout !== null) req.deadline = Date.now() + this.#opts.timeout;
    this.#track(req, command.length);
    this.#out.append(command, 0, command.length);
  }

  /** Send the request whose bytes are buf[start,end) (copied: buf may be a reused read buffer). */
  send(req: Req, buf: Buffer, start: number, end: number): void {
    this.#admit(req, end - start);
    this.#track(req, end - start);
    this.#out.append(buf, start, end);
    this.#queueFlush();
  }

  /**
   * Send a request of `size` bytes that the caller encodes itself into
   * `outBytes` at the returned offset, right away (before anything else is sent here).
   */
  reserve(req: Req, size: number): number {
    this.#admit(req, size);
    this.#track(req, size);
    const at = this.#out.reserve(size);
    this.#queueFlush();
    return at;
  }

  /** Where `reserve` offsets point. */
  get outBytes(): Buffer {
    return this.#out.bytes;
  }

  /** A client's request: connect first if needed (session setup goes first), start its timeout, count it. */
  #admit(req: Req, size: number): void {
    if (this.#state === 'idle') this.connect();
    if (this.#opts.timeout !== null) req.deadline = Date.now() + this.#opts.timeout;
    this.#counters.requests++;
    this.#counters.request_bytes += size;
  }

  /** In flight from now on, written with the next flush. */
  #track(req: Req, size: number): void {
    req.size = size;
    this.#inflight.push(req);
    this.#inflightBytes += size;
    this.#unsent++;
  }

  /**
   * Have what is unsent written at the end of the next turn, so requests that
   * clients send while this turn's are handled join them in one write. No
   * request waits for another's reply (docs/performance.md has the A/B against
   * flushing every turn and against holding batches until replies arrive).
   */
  #queueFlush(): void {
    if (this.#queued || this.#state !== 'ready' || this.#blocked) return;
    this.#queued = true;
    scheduleFlushNextTurn(this);
  }

  flush(): void {
    this.#queued = false;
    this.#flushNow();
  }

  #flushNow(): void {
    if (this.#state !== 'ready' || this.#blocked || this.#out.length === 0 || this.#socket === null) return;
    this.#unsent = 0;
    if (!this.#out.writeTo(this.#socket)) this.#blocked = true;
  }

  #onReply(buf: Buffer, start: number, end: number): void {
    const req = this.#inflight.shift();
    if (req === undefined) {
      this.fatal('error', 'sent a reply nobody asked for');
      return;
    }
    this.#inflightBytes -= req.size;
    this.#counters.responses++;
    if (!req.internal) {
      if (buf[start] === 45 /* - */ && notServing(buf, start)) this.#owner.onBackendNotServing(this, readLine(buf, start, end));
      else this.#owner.onBackendReply(this);
    }
    // Last use of req: once its target has the reply it may be reused (takeReq).
    req.reply(buf, start, end);
  }

  /** Fail the request at the head if its deadline passed: the connection is then out of step and closes. */
  checkTimeout(now: number): void {
    const head = this.#inflight.peek();
    if (head !== undefined && head.deadline !== 0 && head.deadline <= now) {
      this.fatal('timeout', `no reply within ${this.#opts.timeout} ms`);
    }
  }

  /** Close the connection, failing every request in flight with a RESP error, and report why. */
  fatal(kind: FailureKind, reason: string): void {
    if (this.#state === 'idle') return;
    stamp();
    const failed = this.#shutdown(kind === 'timeout' ? errorReplies.timeout(this.address.label) : errorReplies.backendFailed(this.address.label, reason));
    this.#owner.onBackendFailure(this, kind, reason, failed);
  }

  /** Close without reporting a failure (shutdown, reload). In-flight requests get an error. */
  close(): void {
    this.#shutdown(errorReplies.backendClosedByProxy(this.address.label));
  }

  /** Returns how many clients' requests were failed. */
  #shutdown(line: Buffer): number {
    if (this.#state === 'ready') this.#owner.onBackendClosed(this);
    const socket = this.#socket;
    this.#socket = null;
    this.#state = 'idle';
    this.#blocked = false;
    this.#out.clear();
    this.#unsent = 0;
    this.#inflightBytes = 0;
    if (socket !== null) socket.destroy();
    let failed = 0;
    for (const r of this.#inflight.drain()) {
      if (!r.internal) failed++;
      r.fail(line);
    }
    return failed;
  }
}

const NOT_SERVING = ['-LOADING', '-READONLY', '-MASTERDOWN'].map((w) => Buffer.from(w));

/** Whether the error reply at buf[start] is one of the NOT_SERVING words. */
function notServing(buf: Buffer, start: number): boolean {
  for (const w of NOT_SERVING) if (buf.length - start >= w.length && buf.compare(w, 0, w.length, start, start + w.length) === 0) return true;
  return false;
}
