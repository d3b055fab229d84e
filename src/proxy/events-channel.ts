// The proxy's own pub/sub channel `__shardgate__:events`: a client that
// SUBSCRIBEs to it through the proxy gets every event of the control plane
// (failover, ring changes, node health, reloads) as a pub/sub message whose
// payload is the event as JSON — the same object /events streams. Answered
// by the proxy itself; no other channel is served (there is no general
// pub/sub yet). Owns the subscribed clients of this process and the
// SUBSCRIBE / UNSUBSCRIBE / PING replies of a client in that mode. Must not:
// decide anything, or forward pub/sub to backends.
import { encodeArray, encodeBulk, encodeInteger } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import type { ShardgateEvent } from '../events/types.js';
import type { ClientConn } from './client.js';

export const EVENTS_CHANNEL = '__shardgate__:events';

/** Commands a client may send while subscribed (as redis-server allows in RESP2). */
export const SUBSCRIBED_COMMANDS: ReadonlySet<string> = new Set(['subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

export class EventsChannel {
  readonly #clients = new Set<ClientConn>();

  get subscribers(): number {
    return this.#clients.size;
  }

  /** Deliver one event to every subscribed client of this process. */
  publish(e: ShardgateEvent): void {
    if (this.#clients.size === 0) return;
    const msg = encodeArray([encodeBulk('message'), encodeBulk(EVENTS_CHANNEL), encodeBulk(JSON.stringify(e))]);
    for (const c of this.#clients) c.push(msg);
  }

  subscribe(c: ClientConn, argv: Buffer[]): Buffer {
    const channels = argv.slice(1).map((b) => b.toString());
    const other = channels.find((ch) => ch !== EVENTS_CHANNEL);
    if (other !== undefined) return errorReplies.unsupported('subscribe', `the proxy serves only the channel ${EVENTS_CHANNEL}, not '${other.slice(0, 64)}'`);
    const out: Buffer[] = [];
    for (const ch of channels) {
      this.#clients.add(c);
      c.subscribed = true;
      out.push(encodeArray([encodeBulk('subscribe'), encodeBulk(ch), encodeInteger(1)]));
    }
    return Buffer.concat(out);
  }

  unsubscribe(c: ClientConn, argv: Buffer[]): Buffer {
    const channels = argv.length > 1 ? argv.slice(1).map((b) => b.toString()) : [EVENTS_CHANNEL];
    const out: Buffer[] = [];
    for (const ch of channels) {
      if (ch === EVENTS_CHANNEL) this.drop(c);
      out.push(encodeArray([encodeBulk('unsubscribe'), encodeBulk(ch), encodeInteger(c.subscribed ? 1 : 0)]));
    }
    return Buffer.concat(out);
  }

  /** PING while subscribed: ["pong", arg or ""]. */
  static pong(argv: Buffer[]): Buffer {
    return encodeArray([encodeBulk('pong'), encodeBulk(argv[1] ?? '')]);
  }

  /** The client left, or unsubscribed, or sent RESET. */
  drop(c: ClientConn): void {
    this.#clients.delete(c);
    c.subscribed = false;
  }
}
