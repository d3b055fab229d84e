// A dedicated backend connection leased to one client session: a blocking
// command for its duration, a transaction from its first keyed command (or
// WATCH) to EXEC/DISCARD. The connection comes from the server's entry in the
// backend registry (ServerBackend.takeDedicated): no pool `timeout` applies,
// it is not shared, and it goes back there once the session's last request
// on it is answered. A client that disconnects closes its leases at once, so
// the backend ends a block or discards a transaction immediately.
// Must not: decide which server a session uses (blocking.ts, transaction.ts).
import { isErrorReply, readLine } from '../resp/reply-read.js';
import { takeReq, Req, type ReplyTarget } from './request.js';
import type { BackendConn } from './backend.js';
import type { ClientConn } from './client.js';
import type { ServerBackend } from '../topology/registry.js';

/** The reply to a request of the proxy's own on a lease (MULTI, DISCARD): swallowed; an error ends the lease. */
class InternalTarget implements ReplyTarget {
  constructor(private readonly lease: Lease) {}
  complete(_req: Req, buf: Buffer, start: number, end: number): void {
    if (isErrorReply(buf, start)) this.lease.client.ctx.log.debug({ client: this.lease.client.id }, `dedicated connection: ${readLine(buf, start, end)}`);
  }
}

export class Lease implements ReplyTarget {
  readonly client: ClientConn;
  readonly backend: ServerBackend;
  readonly conn: BackendConn;
  #ended = false;
  /** called once the lease is given back or closed */
  readonly #onEnd: (l: Lease) => void;

  constructor(client: ClientConn, backend: ServerBackend, onEnd: (l: Lease) => void) {
    this.client = client;
    this.backend = backend;
    this.conn = backend.takeDedicated();
    this.#onEnd = onEnd;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Send a client request; its reply goes to the client in order. `last`: the lease ends with its reply. */
  send(buf: Buffer, start: number, end: number, last: boolean): void {
    const req = takeReq(last ? this : this.client);
    this.client.enqueue(req);
    this.conn.send(req, buf, start, end);
  }

  /** Send a command of the proxy's own (its reply is not the client's). */
  sendInternal(cmd: Buffer): void {
    this.conn.send(new Req(new InternalTarget(this), true), cmd, 0, cmd.length);
  }

  /** ReplyTarget of the last request: the connection is free again, then the client gets its reply. */
  complete(req: Req, buf: Buffer, start: number, end: number): void {
    this.#end(false);
    this.client.complete(req, buf, start, end);
  }

  /** The session ends without waiting (client gone, RESET): the connection closes, so the backend drops its state now. */
  close(): void {
    this.#end(true);
  }

  #end(close: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    if (close) this.conn.close();
    else this.backend.giveBack(this.conn);
    this.#onEnd(this);
  }
}
