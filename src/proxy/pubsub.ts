// Pub/sub through the proxy as a shared subscriber fan-out: per pool, ONE
// subscriber connection to each backend server carries every channel any
// client of this process subscribed to there. A channel (and a shard channel)
// lives on the server the ring picks for its name — where PUBLISH / SPUBLISH
// are routed — and a pattern is subscribed on every live server; a message is
// published on one server only, so each pattern match is delivered once.
// Messages are passed on as the backend framed them (RESP2 from the
// subscriber connection; the first byte becomes '>' for RESP3 clients).
// A client's SUBSCRIBE is answered once the backend confirmed its channels,
// so a PUBLISH sent after the reply reaches it.
// If a subscriber connection fails, the clients that depended on it are
// disconnected (their libraries resubscribe on reconnect) rather than left
// subscribed to a channel that no longer delivers.
// Channels named `__shardgate__:…` never reach a backend: they are served
// by sources registered with setLocalChannel (the proxy's own event stream).
// Must not: route ordinary requests, or block a multiplexed backend connection.
import net from 'node:net';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { arrayElements, isErrorReply, readLine } from '../resp/reply-read.js';
import { encodeBulk, encodeCommand, encodeInteger, encodePush, nullReply, type Proto } from '../resp/encode.js';
import type { Entry } from './request.js';
import type { ClientConn } from './client.js';
import type { PoolRuntime } from './server-pool.js';
import type { TopologyServer } from '../topology/topology.js';

/** 0: channels (SUBSCRIBE), 1: patterns (PSUBSCRIBE), 2: shard channels (SSUBSCRIBE). */
export type SubKind = 0 | 1 | 2;

const SUB = ['subscribe', 'psubscribe', 'ssubscribe'] as const;
const UNSUB = ['unsubscribe', 'punsubscribe', 'sunsubscribe'] as const;
const SUB_BULK = SUB.map((s) => encodeBulk(s));
const UNSUB_BULK = UNSUB.map((s) => encodeBulk(s));

/** Channels with this prefix are the proxy's own (never sent to a backend). */
export const LOCAL_CHANNEL_PREFIX = '__shardgate__:';

/** Publishes into one proxy-local channel: started when its first client subscribes, stopped after its last leaves. */
export interface LocalChannelSource {
  /** Begin delivering: call `publish(payload)` per message; return the function that stops it. */
  start(publish: (payload: Buffer | string) => void): () => void;
}

const localSources = new Map<string, LocalChannelSource>();

/** Serve SUBSCRIBE `name` (which must start with LOCAL_CHANNEL_PREFIX) from `source` in every pool. */
export function setLocalChannel(name: string, source: LocalChannelSource): void {
  if (!name.startsWith(LOCAL_CHANNEL_PREFIX)) throw new Error(`local channel names start with ${LOCAL_CHANNEL_PREFIX}`);
  localSources.set(name, source);
}

/** A subscribed client's output past this is a subscriber that cannot keep up: it is disconnected (Redis: client-output-buffer-limit pubsub). */
const PUBSUB_OUT_LIMIT = 32 * 1024 * 1024;

/** One client's subscriptions (names as latin1 keys), by kind. */
export class ClientSubs {
  readonly sets: [Set<string>, Set<string>, Set<string>] = [new Set(), new Set(), new Set()];
  /** what Redis reports as the count in (un)subscribe replies for this kind */
  count(kind: SubKind): number {
    return kind === 2 ? this.sets[2].size : this.sets[0].size + this.sets[1].size;
  }
  get total(): number {
    return this.sets[0].size + this.sets[1].size + this.sets[2].size;
  }
}

/** A SUBSCRIBE's reply in the client's queue: done when every channel it added is confirmed by its backend. */
class SubscribeReply implements Entry {
  done = false;
  remaining = 0;
  constructor(readonly client: ClientConn, public out: Buffer | null) {}
  confirmed(): void {
    if (--this.remaining > 0 || this.done) return;
    this.done = true;
    this.client.entryDone(this);
  }
}

/** One channel, pattern or shard channel some client of this pool subscribed to. */
class Topic {
  readonly clients = new Set<ClientConn>();
  /** the subscriber connections it is subscribed on (one; every live server for a pattern) */
  links: Subscriber[] = [];
  /** confirmations still expected from links */
  pending = 0;
  waiters: SubscribeReply[] = [];
  /** a proxy-local channel: how its source is stopped */
  stopLocal: (() => void) | null = null;
  constructor(readonly kind: SubKind, readonly key: string, readonly name: Buffer) {}
}

/** The pool's subscriber connection to one backend server. */
class Subscriber {
  readonly key: string;
  readonly identity: string;
  readonly topics = new Set<Topic>();
  readonly #hub: PubSubHub;
  readonly #socket: net.Socket;
  readonly #scanner = new ReplyScanner();
  #closed = false;

  constructor(hub: PubSubHub, server: TopologyServer) {
    this.#hub = hub;
    this.key = server.backend.key;
    this.identity = server.identity;
    const spec = server.backend.spec;
    this.#socket = spec.path !== null ? net.connect({ path: spec.path }) : net.connect({ host: spec.host ?? '127.0.0.1', port: spec.port });
    this.#socket.setNoDelay(true);
    if (spec.keepalive) this.#socket.setKeepAlive(true);
    if (spec.auth !== null) this.#socket.write(encodeCommand(['AUTH', spec.auth]));
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        this.#scanner.feed(chunk, { onReply: (buf, s, e) => this.#onFrame(buf, s, e) });
      } catch (err) {
        this.fail(`bad reply: ${(err as Error).message}`);
      }
    });
    this.#socket.on('error', (err) => this.fail(err.message));
    this.#socket.on('close', () => this.fail('connection closed by server'));
  }

  send(kind: SubKind, subscribe: boolean, name: Buffer): void {
    if (!this.#closed) this.#socket.write(encodeCommand([(subscribe ? SUB : UNSUB)[kind], name]));
  }

  #onFrame(buf: Buffer, start: number, end: number): void {
    if (isErrorReply(buf, start)) {
      this.fail(`refused: ${readLine(buf, start, end)}`);
      return;
    }
    const el = arrayElements(buf, start);
    if (el === null || el.length < 6) return; // +OK of AUTH
    const type = bulkText(buf, el[0]!, el[1]!);
    const second = buf.subarray(bulkBody(buf, el[2]!), el[3]! - 2);
    switch (type) {
      case 'message': this.#hub.deliver(0, second, buf, start, end); break;
      case 'pmessage': this.#hub.deliver(1, second, buf, start, end); break;
      case 'smessage': this.#hub.deliver(2, second, buf, start, end); break;
      case 'subscribe': this.#hub.confirmed(0, second); break;
      case 'psubscribe': this.#hub.confirmed(1, second); break;
      case 'ssubscribe': this.#hub.confirmed(2, second); break;
      default: break; // unsubscribe confirmations
    }
  }

  fail(reason: string): void {
    if (this.#closed) return;
    this.close();
    this.#hub.lost(this, reason);
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }
}

function bulkBody(buf: Buffer, s: number): number {
  let p = s;
  while (buf[p] !== 13) p++;
  return p + 2;
}

function bulkText(buf: Buffer, s: number, e: number): string {
  return buf.toString('latin1', bulkBody(buf, s), e - 2);
}

/** The pub/sub state of one pool: topics by kind, and its subscriber connections by backend. */
export class PubSubHub {
  readonly #pool: PoolRuntime;
  readonly #topics: [Map<string, Topic>, Map<string, Topic>, Map<string, Topic>] = [new Map(), new Map(), new Map()];
  readonly #subscribers = new Map<string, Subscriber>();

  constructor(pool: PoolRuntime) {
    this.#pool = pool;
  }

  /** Topics now subscribed by a client of this pool, by kind (PUBSUB CHANNELS / NUMSUB answer from here). */
  topics(kind: SubKind): ReadonlyMap<string, { readonly clients: ReadonlySet<ClientConn>; readonly name: Buffer }> {
    return this.#topics[kind];
  }

  /**
   * SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE `names` for `client`: its reply entry
   * (already queued), done once the backends confirmed. Null when a channel
   * has no live server (nothing was changed).
   */
  subscribe(client: ClientConn, subs: ClientSubs, kind: SubKind, names: Buffer[]): boolean {
    const proto = client.resp;
    const servers = kind === 1 ? this.#pool.servers.filter((s) => s.live) : null;
    if (servers !== null && servers.length === 0) return false;
    const owners = kind === 1 ? null : names.map((n) => (isLocal(n) ? null : this.#pool.route(n, 0, n.length)));
    if (owners !== null && owners.some((o, i) => o === null && !isLocal(names[i]!))) return false;
    const parts: Buffer[] = [];
    const reply = new SubscribeReply(client, null);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const key = name.toString('latin1');
      if (!subs.sets[kind].has(key)) {
        subs.sets[kind].add(key);
        const t = this.#topic(kind, key, name, servers ?? (owners![i] === null ? [] : [owners![i]!]));
        t.clients.add(client);
        if (t.pending > 0) {
          t.waiters.push(reply);
          reply.remaining++;
        }
      }
      parts.push(encodePush([SUB_BULK[kind]!, encodeBulk(name), encodeInteger(subs.count(kind))], proto));
    }
    reply.out = Buffer.concat(parts);
    reply.done = reply.remaining === 0;
    client.enqueue(reply);
    if (reply.done) client.entryDone(reply);
    return true;
  }

  /** UNSUBSCRIBE-family for `client` (every topic of the kind when `names` is null): the reply bytes. */
  unsubscribe(client: ClientConn, subs: ClientSubs, kind: SubKind, names: Buffer[] | null): Buffer {
    const set = subs.sets[kind];
    const list = names ?? [...set].map((k) => Buffer.from(k, 'latin1'));
    const proto = client.resp;
    if (list.length === 0) return encodePush([UNSUB_BULK[kind]!, nullReply(proto), encodeInteger(subs.count(kind))], proto);
    const parts: Buffer[] = [];
    for (const name of list) {
      const key = name.toString('latin1');
      if (set.delete(key)) this.#leave(kind, key, client);
      parts.push(encodePush([UNSUB_BULK[kind]!, encodeBulk(name), encodeInteger(subs.count(kind))], proto));
    }
    return Buffer.concat(parts);
  }

  /** A client closed (or RESET): drop it from every topic. */
  dropClient(client: ClientConn, subs: ClientSubs): void {
    for (const kind of [0, 1, 2] as const) {
      for (const key of subs.sets[kind]) this.#leave(kind, key, client);
      subs.sets[kind].clear();
    }
  }

  #topic(kind: SubKind, key: string, name: Buffer, servers: readonly TopologyServer[]): Topic {
    let t = this.#topics[kind].get(key);
    if (t !== undefined) return t;
    t = new Topic(kind, key, Buffer.from(name));
    this.#topics[kind].set(key, t);
    if (kind !== 1 && isLocal(name)) {
      const source = localSources.get(key);
      const topic = t;
      if (source !== undefined) topic.stopLocal = source.start((payload) => this.#deliverLocal(topic, payload));
      return t;
    }
    for (const s of servers) this.#link(t, s);
    return t;
  }

  #link(t: Topic, server: TopologyServer): void {
    let sub = this.#subscribers.get(server.backend.key);
    if (sub === undefined) this.#subscribers.set(server.backend.key, sub = new Subscriber(this, server));
    sub.topics.add(t);
    t.links.push(sub);
    t.pending++;
    sub.send(t.kind, true, t.name);
  }

  #unlink(t: Topic, sub: Subscriber): void {
    sub.topics.delete(t);
    sub.send(t.kind, false, t.name);
    if (sub.topics.size === 0) {
      this.#subscribers.delete(sub.key);
      sub.close();
    }
  }

  #leave(kind: SubKind, key: string, client: ClientConn): void {
    const t = this.#topics[kind].get(key);
    if (t === undefined || !t.clients.delete(client) || t.clients.size > 0) return;
    this.#topics[kind].delete(key);
    t.stopLocal?.();
    for (const sub of t.links) this.#unlink(t, sub);
    t.links = [];
    for (const w of t.waiters) w.confirmed();
    t.waiters = [];
  }

  /** A backend confirmed a subscription: replies waiting for it may go. */
  confirmed(kind: SubKind, name: Buffer): void {
    const t = this.#topics[kind].get(name.toString('latin1'));
    if (t === undefined || t.pending === 0 || --t.pending > 0) return;
    const waiters = t.waiters;
    t.waiters = [];
    for (const w of waiters) w.confirmed();
  }

  /** A message frame from a backend (RESP2 bytes buf[start,end)) for the topic `name` of `kind`. */
  deliver(kind: SubKind, name: Buffer, buf: Buffer, start: number, end: number): void {
    const t = this.#topics[kind].get(name.toString('latin1'));
    if (t === undefined) return;
    let two: Buffer | null = null;
    let three: Buffer | null = null;
    for (const c of t.clients) {
      let frame: Buffer;
      if (c.resp === 3) {
        if (three === null) {
          three = Buffer.from(buf.subarray(start, end));
          three[0] = 62; // '>'
        }
        frame = three;
      } else {
        frame = two ??= Buffer.from(buf.subarray(start, end));
      }
      sendMessage(c, frame);
    }
  }

  #deliverLocal(t: Topic, payload: Buffer | string): void {
    const byProto: (Buffer | undefined)[] = [];
    for (const c of t.clients) {
      const p: Proto = c.resp;
      sendMessage(c, byProto[p] ??= encodePush([encodeBulk('message'), encodeBulk(t.name), encodeBulk(payload)], p));
    }
  }

  /** A subscriber connection failed: every client relying on it is disconnected, and its topics lose the link. */
  lost(sub: Subscriber, reason: string): void {
    this.#subscribers.delete(sub.key);
    const clients = new Set<ClientConn>();
    for (const t of sub.topics) {
      t.links = t.links.filter((l) => l !== sub);
      for (const c of t.clients) clients.add(c);
    }
    sub.topics.clear();
    if (clients.size > 0) this.#pool.log.warn({ pool: this.#pool.name, clients: clients.size }, `pub/sub connection to a backend lost (${reason}): its subscribers are disconnected`);
    for (const c of clients) c.close();
  }

  /** The topology changed: channels follow their new owner, patterns cover the servers now live. */
  reconcile(): void {
    const pool = this.#pool;
    const live = pool.servers.filter((s) => s.live);
    const known = new Set(pool.servers.map((s) => s.backend.key));
    for (const kind of [0, 2] as const) {
      for (const t of this.#topics[kind].values()) {
        if (t.stopLocal !== null || isLocal(t.name)) continue;
        const owner = pool.route(t.name, 0, t.name.length);
        if (owner !== null && t.links.length === 1 && t.links[0]!.key === owner.backend.key) continue;
        for (const sub of t.links) this.#unlink(t, sub);
        t.links = [];
        t.pending = 0;
        if (owner !== null) this.#link(t, owner);
      }
    }
    for (const t of this.#topics[1].values()) {
      for (const sub of t.links.filter((l) => !known.has(l.key))) this.#unlink(t, sub);
      t.links = t.links.filter((l) => known.has(l.key));
      for (const s of live) if (!t.links.some((l) => l.key === s.backend.key)) this.#link(t, s);
    }
  }
}

function isLocal(name: Buffer): boolean {
  return name.length > LOCAL_CHANNEL_PREFIX.length && name.toString('latin1', 0, LOCAL_CHANNEL_PREFIX.length) === LOCAL_CHANNEL_PREFIX;
}

/** Whether PUBLISH to this channel is the proxy's own (refused: only the proxy publishes there). */
export function isLocalChannel(buf: Buffer, start: number, end: number): boolean {
  return end - start >= LOCAL_CHANNEL_PREFIX.length && buf.toString('latin1', start, start + LOCAL_CHANNEL_PREFIX.length) === LOCAL_CHANNEL_PREFIX;
}

function sendMessage(c: ClientConn, frame: Buffer): void {
  if (c.outBytes > PUBSUB_OUT_LIMIT) {
    c.ctx.log.warn({ client: c.id }, 'subscriber disconnected: its unsent messages passed 32 MB');
    c.close();
    return;
  }
  c.replyLocal(frame);
}
