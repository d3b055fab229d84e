// Pub/sub for the smart client, placed as the proxy places it (src/proxy/pubsub.ts):
// a channel and a shard channel live on the server the ring picks for the
// channel's name (where PUBLISH / SPUBLISH go), a pattern is subscribed on
// every live server; a message is published on one server only, so each
// subscription gets it once. Per node, ONE connection in pub/sub mode (its
// own, never a command connection) carries every topic the client has there.
// subscribe() resolves once each node confirmed, so a PUBLISH sent after it
// reaches the listener. A node connection that drops is reopened with the
// client's backoff and its topics subscribed again (messages published
// meanwhile are lost: pub/sub has no replay), reported on the client's
// 'error'. A ring change moves each channel to its new server and covers the
// servers now live with the patterns.
// Must not: run other commands on its connections, or route anything but topics.
import { RespError, type Arg, type RedisConnection, type RespValue } from '../redis/connection.js';
import { NodeError, ReplyError, RequestError, requestErrors } from './errors.js';
import type { NodeLink } from './node-link.js';
import type { RingState } from './ring-state.js';

/** 0: channels (SUBSCRIBE), 1: patterns (PSUBSCRIBE), 2: shard channels (SSUBSCRIBE). */
export type SubKind = 0 | 1 | 2;

/** One message as a listener gets it. */
export interface PubSubMessage {
  /** 'message' from SUBSCRIBE, 'pmessage' from PSUBSCRIBE, 'smessage' from SSUBSCRIBE */
  readonly kind: 'message' | 'pmessage' | 'smessage';
  /** the channel it was published on (UTF-8; channelBuffer has the bytes) */
  readonly channel: string;
  readonly message: string;
  /** the pattern that matched, for 'pmessage' */
  readonly pattern: string | null;
  readonly channelBuffer: Buffer;
  readonly messageBuffer: Buffer;
}
export type PubSubListener = (m: PubSubMessage) => void;

const SUB = ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE'] as const;
const UNSUB = ['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'] as const;
const CONFIRMS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
const KINDS = ['message', 'pmessage', 'smessage'] as const;
/** The proxy's own channels (its event stream): no redis-server publishes there. */
const LOCAL_PREFIX = '__shardgate__:';

const asBuffer = (a: Arg): Buffer => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8'));

class Topic {
  readonly listeners = new Set<PubSubListener>();
  readonly nodes = new Set<SubNode>();
  /** settles once the nodes it was first subscribed on confirmed (a second subscriber waits for it too) */
  confirmed: Promise<unknown> = Promise.resolve();
  constructor(readonly kind: SubKind, readonly key: string, readonly name: Buffer) {}
}

interface Waiter { resolve(): void; reject(e: Error): void }
/** A (P|S)(UN)SUBSCRIBE written and not fully confirmed: redis-server answers one frame per name, or one error. */
interface Sent { kind: SubKind; topics: Topic[]; waiters: (Waiter | null)[]; next: number }

interface Hub {
  deliver(kind: SubKind, key: string, m: PubSubMessage): void;
  /** a subscription the server refused: drop it from that node */
  refused(node: SubNode, topics: readonly Topic[]): void;
  problem(err: Error): void;
  readonly backoff: { first: number; max: number };
}

/** The client's pub/sub connection to one node. */
class SubNode {
  readonly link: NodeLink;
  readonly topics = new Set<Topic>();
  readonly #hub: Hub;
  #conn: RedisConnection | null = null;
  #ready = false;
  #sent: Sent[] = [];
  /** subscriptions asked for before the connection was ready */
  #queued: { topic: Topic; waiter: Waiter | null }[] = [];
  #retry: NodeJS.Timeout | null = null;
  #failures = 0;
  #closed = false;

  constructor(link: NodeLink, hub: Hub) {
    this.link = link;
    this.#hub = hub;
  }

  /** Subscribes `t` here; resolves once the node confirmed (rejects with NodeError / ReplyError). */
  add(t: Topic): Promise<void> {
    this.topics.add(t);
    t.nodes.add(this);
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.#ready) this.#write(t.kind, true, [t], [waiter]);
      else {
        this.#queued.push({ topic: t, waiter });
        if (this.#conn === null && this.#retry === null) this.#open();
      }
    });
  }

  /** Unsubscribes `t` here (the owner closes a node left with no topic). */
  remove(t: Topic): void {
    if (!this.topics.delete(t)) return;
    t.nodes.delete(this);
    // A call still waiting for this node: the topic moved (a ring change) or was dropped; nothing is left to confirm here.
    for (const q of this.#queued) if (q.topic === t) q.waiter?.resolve();
    this.#queued = this.#queued.filter((q) => q.topic !== t);
    if (this.#ready) this.#write(t.kind, false, [t], [null]);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    for (const t of this.topics) t.nodes.delete(this);
    this.topics.clear();
    const conn = this.#conn;
    this.#conn = null;
    this.#ready = false;
    this.#rejectAll(new NodeError('SG_ERR_BACKEND_CLOSED', this.link.server, 'ECLOSED', `node ${this.link.server}: the subscription connection was closed`));
    void conn?.close();
  }

  #open(): void {
    this.#retry = null;
    if (this.#closed) return;
    const conn = this.link.connection(Infinity);
    this.#conn = conn;
    conn.once('close', (err) => { if (this.#conn === conn) this.#lost(this.link.nodeError(err ?? new Error('closed'), this.#ready)); });
    conn.connect().then(() => {
      if (this.#conn !== conn) return;
      this.#failures = 0;
      conn.enterPushMode((v) => this.#onPush(v));
      this.#ready = true;
      // Everything this node carries: after a reconnect its topics again, with the calls that waited.
      const waiting = new Map(this.#queued.map((q) => [q.topic, q.waiter] as const));
      this.#queued = [];
      for (const kind of [0, 1, 2] as const) {
        const topics = [...this.topics].filter((t) => t.kind === kind);
        if (topics.length > 0) this.#write(kind, true, topics, topics.map((t) => waiting.get(t) ?? null));
      }
    }, () => { /* 'close' carried the error */ });
  }

  #write(kind: SubKind, subscribe: boolean, topics: Topic[], waiters: (Waiter | null)[]): void {
    this.#sent.push({ kind, topics, waiters, next: 0 });
    this.#conn!.push([(subscribe ? SUB : UNSUB)[kind], ...topics.map((t) => t.name)]);
  }

  #onPush(v: RespValue): void {
    if (v instanceof RespError) {
      // the oldest command not yet answered was refused (e.g. SSUBSCRIBE on a server without it)
      const s = this.#sent.shift();
      if (s === undefined) return;
      const err = new ReplyError(v.message, this.link.server);
      for (const w of s.waiters) w?.reject(err);
      this.#hub.refused(this, s.topics);
      return;
    }
    if (!Array.isArray(v) || v.length < 3 || !Buffer.isBuffer(v[0])) return;
    const type = v[0].toString('latin1');
    if (CONFIRMS.has(type)) {
      const s = this.#sent[0];
      if (s === undefined) return;
      s.waiters[s.next++]?.resolve();
      if (s.next >= s.topics.length) this.#sent.shift();
      return;
    }
    const kind = KINDS.indexOf(type as typeof KINDS[number]);
    if (kind < 0) return;
    const pattern = kind === 1 ? v[1] as Buffer : null;
    const channel = v[kind === 1 ? 2 : 1] as Buffer;
    const message = v[kind === 1 ? 3 : 2] as Buffer;
    if (!Buffer.isBuffer(channel) || !Buffer.isBuffer(message)) return;
    const key = (pattern ?? channel).toString('latin1');
    this.#hub.deliver(kind as SubKind, key, {
      kind: KINDS[kind]!, channel: channel.toString('utf8'), message: message.toString('utf8'),
      pattern: pattern === null ? null : pattern.toString('utf8'), channelBuffer: channel, messageBuffer: message,
    });
  }

  #rejectAll(err: Error): void {
    const sent = this.#sent;
    const queued = this.#queued;
    this.#sent = [];
    this.#queued = [];
    for (const s of sent) for (const w of s.waiters) w?.reject(err);
    for (const q of queued) q.waiter?.reject(err);
  }

  /** The connection failed: calls waiting fail; the topics are subscribed again after the backoff. */
  #lost(err: NodeError): void {
    this.#conn = null;
    const wasReady = this.#ready;
    this.#ready = false;
    this.#rejectAll(err);
    if (this.#closed || this.topics.size === 0) return;
    if (wasReady) this.#hub.problem(new NodeError(err.code as ConstructorParameters<typeof NodeError>[0], this.link.server, err.reason, `${err.message}; its ${this.topics.size} subscription(s) are renewed once it answers (messages published meanwhile are lost)`));
    const { first, max } = this.#hub.backoff;
    const delay = Math.min(max, first * 2 ** Math.min(this.#failures++, 16));
    this.#retry = setTimeout(() => this.#open(), delay);
    this.#retry.unref();
  }
}

/** The client's subscriptions and their node connections. */
export class PubSub {
  readonly #topics: [Map<string, Topic>, Map<string, Topic>, Map<string, Topic>] = [new Map(), new Map(), new Map()];
  readonly #nodes = new Map<NodeLink, SubNode>();
  readonly #hub: Hub;
  #state: RingState;

  constructor(state: RingState, problem: (err: Error) => void, backoff: { first: number; max: number }) {
    this.#state = state;
    this.#hub = {
      deliver: (kind, key, m) => {
        const t = this.#topics[kind].get(key);
        if (t === undefined) return;
        for (const l of [...t.listeners]) {
          try { l(m); } catch (err) { problem(err as Error); }
        }
      },
      refused: (node, topics) => {
        for (const t of topics) node.remove(t);
        this.#forget(node);
      },
      problem,
      backoff,
    };
  }

  /** The servers (ring indexes) a topic belongs on in `state`: one for a channel, every live one for a pattern. */
  #owners(state: RingState, kind: SubKind, name: Buffer): number[] {
    if (kind === 1) return state.servers.flatMap((s, i) => (s.live ? [i] : []));
    const i = state.ring.pick(name, 0, name.length);
    return i < 0 ? [] : [i];
  }

  #node(link: NodeLink): SubNode {
    let n = this.#nodes.get(link);
    if (n === undefined) this.#nodes.set(link, n = new SubNode(link, this.#hub));
    return n;
  }

  #drop(t: Topic): void {
    this.#topics[t.kind].delete(t.key);
    for (const n of [...t.nodes]) { n.remove(t); this.#forget(n); }
  }

  #forget(n: SubNode): void {
    if (n.topics.size === 0) { n.close(); this.#nodes.delete(n.link); }
  }

  /** Adds `listener` to each name; resolves once every node concerned confirmed. On failure nothing of this call stays subscribed. */
  async subscribe(kind: SubKind, names: readonly Arg[], listener: PubSubListener): Promise<void> {
    if (names.length === 0) throw new RequestError('SG_ERR_ARITY', `${SUB[kind].toLowerCase()} needs at least one ${kind === 1 ? 'pattern' : 'channel'}`);
    if (typeof listener !== 'function') throw new RequestError('SG_ERR_SYNTAX', `${SUB[kind].toLowerCase()} needs a listener function`);
    const state = this.#state;
    for (const n of names) {
      if (typeof n !== 'string' && !Buffer.isBuffer(n)) throw new RequestError('SG_ERR_SYNTAX', `${SUB[kind].toLowerCase()}: a ${kind === 1 ? 'pattern' : 'channel'} is a string or a Buffer (got ${typeof n})`);
    }
    const bufs = names.map(asBuffer);
    for (const b of bufs) {
      if (kind !== 1 && b.toString('latin1', 0, LOCAL_PREFIX.length) === LOCAL_PREFIX) {
        throw new RequestError('SG_ERR_UNSUPPORTED', `channels named ${LOCAL_PREFIX}* are the proxy's own: subscribe to them through the proxy, or read the admin API's /events`);
      }
      if (this.#owners(state, kind, b).length === 0) throw requestErrors.noLiveServer(state.pool);
    }
    const added: Topic[] = [];
    const confirmations: Promise<unknown>[] = [];
    for (const name of bufs) {
      const key = name.toString('latin1');
      let t = this.#topics[kind].get(key);
      if (t === undefined) {
        this.#topics[kind].set(key, t = new Topic(kind, key, Buffer.from(name)));
        t.confirmed = Promise.all(this.#owners(state, kind, name).map((i) => this.#node(state.links[i]!).add(t!)));
        t.confirmed.catch(() => { /* each caller sees it below */ });
      }
      confirmations.push(t.confirmed);
      if (!t.listeners.has(listener)) { t.listeners.add(listener); added.push(t); }
    }
    const settled = await Promise.allSettled(confirmations);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) return;
    for (const t of added) {
      t.listeners.delete(listener);
      if (t.listeners.size === 0 && this.#topics[kind].get(t.key) === t) this.#drop(t);
    }
    throw failed.reason;
  }

  /** Removes `listener` (every listener when absent) from each name (every name of the kind when `names` is null). */
  unsubscribe(kind: SubKind, names: readonly Arg[] | null, listener: PubSubListener | undefined): void {
    const topics = names === null ? [...this.#topics[kind].values()] : names.map((n) => this.#topics[kind].get(asBuffer(n).toString('latin1')));
    for (const t of topics) {
      if (t === undefined) continue;
      if (listener === undefined) t.listeners.clear(); else t.listeners.delete(listener);
      if (t.listeners.size === 0) this.#drop(t);
    }
  }

  /** Names subscribed now, by kind (UTF-8). */
  names(kind: SubKind): string[] {
    return [...this.#topics[kind].values()].map((t) => t.name.toString('utf8'));
  }

  /** A new ring: channels follow their server, patterns cover the servers now live; nodes left behind close. */
  reconcile(state: RingState): void {
    this.#state = state;
    for (const kind of [0, 1, 2] as const) {
      for (const t of this.#topics[kind].values()) {
        const want = new Set(this.#owners(state, kind, t.name).map((i) => state.links[i]!));
        for (const n of [...t.nodes]) if (!want.has(n.link)) { n.remove(t); this.#forget(n); }
        for (const link of want) {
          if ([...t.nodes].some((n) => n.link === link)) continue;
          // No caller waits here: a node that fails is retried with the backoff and reported on 'error'.
          this.#node(link).add(t).catch(() => {});
        }
      }
    }
  }

  close(): void {
    for (const n of this.#nodes.values()) n.close();
    this.#nodes.clear();
    for (const m of this.#topics) m.clear();
  }
}
