// A small promise-based connection to one Redis server (redis-server or our
// built-in node) for the control plane: key migration now, heartbeats and INFO
// polls later. Owns one socket, its handshake (AUTH, SELECT, CLIENT SETNAME),
// a FIFO of commands in flight (pipelined: many may be pending), and their
// timeouts. Must not: sit on the proxy's request path (it decodes every reply
// into JS values, which the proxy never does), reconnect by itself (a caller
// that wants another try makes a new connection), or retry a command.
//
// Contract:
// - command() resolves with the decoded reply; an error reply (`-ERR …`) is a
//   RespError VALUE, not a rejection: callers that inspect outcomes (MIGRATE
//   answering NOKEY / BUSYKEY / IOERR) need no try/catch per command, and a
//   rejection always means the connection itself is gone.
// - It rejects with a RedisConnectionError whose `code` says why: a socket
//   code (ECONNREFUSED, ECONNRESET, ENOENT, …), ETIMEDOUT (connect or command
//   timeout), ECLOSED (closed by the peer or by close()), EPROTO (a reply that
//   is not RESP2), EAUTH (AUTH refused, or none given and the server wants
//   one: connect() PINGs when it has nothing else to send), ESETUP (SELECT /
//   CLIENT SETNAME refused),
//   ENOTCONNECTED (command() before connect()). Whatever ends the connection
//   fails every pending command with that error, then 'close' is emitted once.
//   Over TLS (`tls` option) a certificate that does not verify fails with
//   node:tls's code (ERR_TLS_CERT_ALTNAME_INVALID, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …).
// - A command timeout of Infinity never times out (a block with no end).
// - Pub/sub: after connect(), enterPushMode() hands every later reply to a
//   callback instead of matching it to a command; writes go out with push().
// - A command timeout ends the connection: replies are matched in order, so
//   once one is overdue the ones behind it cannot arrive before it anyway.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { encodeCommand } from '../resp/encode.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { decodeReply, RespError, type RespValue } from '../resp/reply-value.js';
import type { ReplySink } from '../resp/types.js';


/** what #decode returns for a reply that did not decode */
const NOT_DECODED = Symbol('not decoded');
export { RespError, type RespValue };

export type RedisAddress = { host: string; port: number } | { path: string };

export interface RedisConnectionOptions {
  /** AUTH password, or AUTH username password (ACL). null / absent: no AUTH. */
  auth?: { username?: string; password: string } | null;
  /** SELECT db after AUTH (not sent for 0). */
  db?: number;
  /** From connect() until the handshake is answered (default 3000 ms). */
  connectTimeoutMs?: number;
  /** Default per-command timeout (default 5000 ms); command() may override it. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, so the connection is recognisable in CLIENT LIST. */
  name?: string;
  /** TLS to a host:port server (node:tls options: a secure context, servername); null / absent: plaintext. */
  tls?: tls.ConnectionOptions | null;
}

/** Why a connection failed or a command could not be answered. */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';
  /** ECONNREFUSED, ECONNRESET, ENOENT, … (from the socket), ETIMEDOUT, ECLOSED, EPROTO, EAUTH, ESETUP, ENOTCONNECTED. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export type Arg = string | Buffer | number;

interface Pending {
  resolve(v: RespValue): void;
  reject(e: Error): void;
  deadline: number;
}

type State = 'new' | 'connecting' | 'ready' | 'closed';

export class RedisConnection extends EventEmitter<{ close: [error: RedisConnectionError | null] }> {
  readonly #address: RedisAddress;
  readonly #opts: Required<Omit<RedisConnectionOptions, 'auth' | 'name' | 'tls'>> & Pick<RedisConnectionOptions, 'auth' | 'name' | 'tls'>;
  readonly #label: string;
  #state: State = 'new';
  #sock: net.Socket | null = null;
  readonly #scanner = new ReplyScanner();
  /** Commands written and not yet answered, oldest at #head. */
  #pending: Pending[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = 0;
  #corked = false;
  /** set by enterPushMode(): every reply goes here */
  #onPush: ((v: RespValue) => void) | null = null;
  readonly #sink: ReplySink = { onReply: (buf, start, end) => this.#onReply(buf, start, end) };

  constructor(address: RedisAddress, opts: RedisConnectionOptions = {}) {
    super();
    this.#address = address;
    this.#opts = {
      auth: opts.auth ?? null,
      db: opts.db ?? 0,
      connectTimeoutMs: opts.connectTimeoutMs ?? 3000,
      commandTimeoutMs: opts.commandTimeoutMs ?? 5000,
      name: opts.name,
      tls: opts.tls ?? null,
    };
    this.#label = 'path' in address ? address.path : `${address.host}:${address.port}`;
  }

  /** host:port or the socket path, for messages. */
  get label(): string { return this.#label; }
  get ready(): boolean { return this.#state === 'ready'; }
  /** Commands written and not answered yet. */
  get inFlight(): number { return this.#pending.length - this.#head; }

  /** Opens the socket and runs AUTH / SELECT / CLIENT SETNAME; rejects (and closes) if any of them fails. */
  async connect(): Promise<void> {
    if (this.#state !== 'new') throw new RedisConnectionError('ECLOSED', `connection to ${this.#label} was already used; make a new one`);
    this.#state = 'connecting';
    const a = this.#address;
    const t = this.#opts.tls;
    // A TLS socket holds what is written before its handshake, as a plain one does before it connects.
    const sock = 'path' in a ? net.connect({ path: a.path }) : t ? tls.connect({ ...t, host: a.host, port: a.port }) : net.connect({ host: a.host, port: a.port });
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      try {
        this.#scanner.feed(chunk, this.#sink);
      } catch (err) {
        this.#fail(new RedisConnectionError('EPROTO', `bad reply from ${this.#label}: ${(err as Error).message}`));
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      this.#fail(new RedisConnectionError(err.code ?? 'ECLOSED', `${this.#label}: ${err.message}`));
    });
    sock.on('close', () => this.#fail(new RedisConnectionError('ECLOSED', `${this.#label} closed the connection`)));

    const timeout = this.#opts.connectTimeoutMs;
    const timer = setTimeout(() => {
      this.#fail(new RedisConnectionError('ETIMEDOUT', `${this.#label}: not connected and ready within ${timeout} ms`));
    }, timeout);
    timer.unref();
    try {
      const { auth, db, name } = this.#opts;
      const steps: [string, Promise<RespValue>][] = [];
      // Pipelined: the socket holds the writes until it connects.
      if (auth) steps.push(['EAUTH', this.#send(auth.username !== undefined ? ['AUTH', auth.username, auth.password] : ['AUTH', auth.password], timeout)]);
      if (db !== 0) steps.push(['ESETUP', this.#send(['SELECT', db], timeout)]);
      if (name !== undefined) steps.push(['ESETUP', this.#send(['CLIENT', 'SETNAME', name], timeout)]);
      if (steps.length === 0) steps.push(['ESETUP', this.#send(['PING'], timeout)]);
      // A refused step ends the connection, which rejects the steps behind it: those are not awaited.
      for (const [, step] of steps) step.catch(() => {});
      for (const [code, step] of steps) {
        const reply = await step;
        if (reply instanceof RespError) {
          const why = reply.code === 'NOAUTH' || reply.code === 'WRONGPASS' ? 'EAUTH' : code;
          const err = new RedisConnectionError(why, `${this.#label} refused the handshake: ${reply.message}`);
          this.#fail(err);
          throw err;
        }
      }
    } finally {
      clearTimeout(timer);
    }
    if (this.#state !== 'connecting') throw new RedisConnectionError('ECLOSED', `${this.#label} closed during the handshake`);
    this.#state = 'ready';
  }

  /**
   * Send one command; resolves with its reply (an error reply as a RespError
   * value). May be called while connect() is still running: the command is
   * queued behind the handshake.
   */
  command(argv: readonly Arg[], opts: { timeoutMs?: number } = {}): Promise<RespValue> {
    if (this.#state === 'new') return Promise.reject(new RedisConnectionError('ENOTCONNECTED', `connection to ${this.#label}: connect() first`));
    if (this.#state === 'closed') return Promise.reject(new RedisConnectionError('ECLOSED', `connection to ${this.#label} is closed`));
    return this.#send(argv, opts.timeoutMs ?? this.#opts.commandTimeoutMs);
  }

  /**
   * Pub/sub mode: from now on every reply (subscribe confirmations, messages,
   * error replies as RespError) is handed to `onPush` and none is matched to
   * a command; send with push(). Only on a ready connection with nothing in flight.
   */
  enterPushMode(onPush: (v: RespValue) => void): void {
    if (this.#state !== 'ready' || this.inFlight > 0) throw new RedisConnectionError('ESETUP', `connection to ${this.#label}: push mode needs a ready connection with nothing in flight`);
    this.#onPush = onPush;
  }

  /** Writes a command whose replies arrive through the push-mode callback (false when the connection is closed). */
  push(argv: readonly Arg[]): boolean {
    if (this.#state !== 'ready' || this.#onPush === null) return false;
    this.#write(this.#sock!, encodeCommand(argv.map((a) => (typeof a === 'number' ? String(a) : a))));
    return true;
  }

  /** Closes the socket; pending commands fail with ECLOSED. Resolves once the socket is closed. */
  close(): Promise<void> {
    const sock = this.#sock;
    this.#fail(null);
    if (sock === null || sock.closed) return Promise.resolve();
    return new Promise((resolve) => sock.once('close', () => resolve()));
  }

  #send(argv: readonly Arg[], timeoutMs: number): Promise<RespValue> {
    const sock = this.#sock!;
    const bytes = encodeCommand(argv.map((a) => (typeof a === 'number' ? String(a) : a)));
    return new Promise<RespValue>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      this.#pending.push({ resolve, reject, deadline });
      if (deadline !== Infinity && (this.#timer === null || deadline < this.#timerAt)) this.#arm(deadline);
      this.#write(sock, bytes);
    });
  }

  /** One write per event-loop turn for everything sent in it. */
  #write(sock: net.Socket, bytes: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      sock.cork();
      process.nextTick(() => { this.#corked = false; sock.uncork(); });
    }
    sock.write(bytes);
  }

  /** One reply decoded; a reply that does not decode ends the connection (NOT_DECODED). */
  #decode(buf: Buffer, start: number, end: number): RespValue | typeof NOT_DECODED {
    try {
      return decodeReply(buf, start, end);
    } catch (err) {
      this.#fail(new RedisConnectionError('EPROTO', `bad reply from ${this.#label}: ${(err as Error).message}`));
      return NOT_DECODED;
    }
  }

  #onReply(buf: Buffer, start: number, end: number): void {
    if (this.#onPush !== null) {
      const v = this.#decode(buf, start, end);
      if (v !== NOT_DECODED) this.#onPush(v);
      return;
    }
    const p = this.#pending[this.#head];
    if (p === undefined) {
      this.#fail(new RedisConnectionError('EPROTO', `${this.#label} sent a reply nobody asked for`));
      return;
    }
    const value = this.#decode(buf, start, end);
    if (value === NOT_DECODED) return;
    this.#pending[this.#head++] = undefined as unknown as Pending;
    if (this.#head === this.#pending.length) {
      this.#pending = [];
      this.#head = 0;
      this.#disarm();
    } else if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    p.resolve(value);
  }

  #arm(at: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = at;
    // setTimeout takes at most 2^31-1 ms (a longer delay would fire at once); a later deadline is re-armed then.
    this.#timer = setTimeout(() => this.#onTimer(), Math.min(2 ** 31 - 1, Math.max(0, at - Date.now())));
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #onTimer(): void {
    this.#timer = null;
    const now = Date.now();
    let next = Infinity;
    for (let i = this.#head; i < this.#pending.length; i++) {
      const d = this.#pending[i].deadline;
      if (d <= now) {
        this.#fail(new RedisConnectionError('ETIMEDOUT', `${this.#label} did not reply within the command timeout`));
        return;
      }
      if (d < next) next = d;
    }
    if (next !== Infinity) this.#arm(next);
  }

  /** Ends the connection once: fails what is pending with err (ECLOSED when the caller closed), emits 'close'. */
  #fail(err: RedisConnectionError | null): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#disarm();
    const pending = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    this.#sock?.destroy();
    const reason = err ?? new RedisConnectionError('ECLOSED', `connection to ${this.#label} closed by the caller`);
    for (const p of pending) p.reject(reason);
    this.emit('close', err);
  }
}
