// The state a client connection carries beyond request/reply: its pub/sub
// subscriptions, its transaction, and the dedicated backend connections it
// holds (blocking commands, transactions). Made on first need, so a plain
// GET/SET client has none (client.session stays null and the router pays one
// null check). Also applies the rules a subscribed RESP2 connection lives by.
// Must not: route requests by key (router.ts), or own sockets of its own.
import { encodeArray, encodeBulk, encodeError } from '../resp/encode.js';
import { Lease } from './dedicated.js';
import { ClientSubs } from './pubsub.js';
import type { CommandDef } from '../commands/table.js';
import type { ClientConn } from './client.js';
import type { ServerBackend } from '../topology/registry.js';
import type { Transaction } from './transaction.js';

/** What a RESP2 connection with subscriptions may still send (as Redis allows). */
const SUBSCRIBED_OK = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'ping', 'quit', 'reset']);
const PONG_PUSH = encodeArray([encodeBulk('pong'), encodeBulk('')]);

export class ClientSession {
  readonly client: ClientConn;
  subs: ClientSubs | null = null;
  tx: Transaction | null = null;
  readonly #leases = new Set<Lease>();

  constructor(client: ClientConn) {
    this.client = client;
  }

  /** A dedicated connection to `backend` for this session until its lease ends. */
  lease(backend: ServerBackend): Lease {
    const l = new Lease(this.client, backend, (x) => this.#leases.delete(x));
    this.#leases.add(l);
    return l;
  }

  get leases(): number {
    return this.#leases.size;
  }

  /**
   * Requests a subscribed RESP2 connection may not send get Redis's error;
   * PING there answers in the subscribed form. True when it answered.
   */
  subscribedRefusal(def: CommandDef, argv1: Buffer | null): boolean {
    const subs = this.subs;
    if (subs === null || subs.total === 0 || this.client.resp !== 2) return false;
    if (def.name === 'ping') {
      this.client.replyLocal(argv1 === null ? PONG_PUSH : encodeArray([encodeBulk('pong'), encodeBulk(argv1)]));
      return true;
    }
    if (SUBSCRIBED_OK.has(def.name)) return false;
    this.client.replyLocal(encodeError(`ERR Can't execute '${def.name.replace('|', ' ')}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`));
    return true;
  }

  /** RESET or the connection closed: subscriptions dropped, transaction discarded, dedicated connections closed. */
  end(): void {
    const pool = this.client.ctx.pool;
    if (this.subs !== null) pool.pubsub?.dropClient(this.client, this.subs);
    this.tx = null;
    for (const l of [...this.#leases]) l.close();
  }
}

export function sessionOf(client: ClientConn): ClientSession {
  return (client.session ??= new ClientSession(client));
}
