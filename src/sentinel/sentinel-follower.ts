// `failover: redis-sentinel`: a pool's masters as real Redis Sentinel sees
// them. Subscribes to `+switch-master` on every sentinel (any one of them is
// enough), asks them `SENTINEL MASTER <name>` at start, whenever a sentinel
// (re)connects, after each switch and every few seconds, and moves a
// server's address (its identity, so its keys, stay) to the master they
// report. Several sentinels may disagree for a moment during a failover: the
// answer with the highest config epoch wins, and an answer never takes a
// server back to an older epoch. A sentinel that goes away is retried every
// second; the others keep answering. Quorum and promotion are Sentinel's.
// Must not: promote or demote nodes, or decide health (shard.ts does).
import type { Logger } from 'pino';
import { RedisConnection, RespError, type RespValue } from '../redis/connection.js';
import { RedisSubscriber } from '../redis/subscriber.js';
import { addressText, sameAddress, type FailoverControl, type HostPort } from './types.js';

export interface FollowedServer {
  readonly identity: string;
  readonly label: string;
  readonly masterName: string;
}

interface Followed extends FollowedServer {
  /** config epoch of the address we hold; -1 = not known yet */
  epoch: number;
}

const RETRY_MS = 1000;
const REFRESH_MS = 5000;
const CHANNEL = '+switch-master';

/** The fields of a `SENTINEL MASTER` reply (a flat list of names and values). */
export function parseSentinelMaster(v: RespValue): { address: HostPort; epoch: number; flags: string[] } | null {
  if (!Array.isArray(v)) return null;
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < v.length; i += 2) f.set(String(v[i]), String(v[i + 1]));
  const port = Number(f.get('port'));
  const ip = f.get('ip');
  if (ip === undefined || !Number.isInteger(port)) return null;
  return { address: { host: ip, port }, epoch: Number(f.get('config-epoch') ?? -1), flags: (f.get('flags') ?? '').split(',') };
}

export class SentinelFollower {
  readonly #pool: string;
  readonly #servers: Followed[];
  readonly #sentinels: readonly HostPort[];
  readonly #control: FailoverControl;
  readonly #log: Logger;
  readonly #subs: (RedisSubscriber | null)[];
  readonly #conns: (RedisConnection | null)[];
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #refreshing: Promise<void> | null = null;
  #refreshAgain = false;
  readonly #unknownNames = new Set<string>();

  constructor(pool: string, servers: readonly FollowedServer[], sentinels: readonly HostPort[], control: FailoverControl, log: Logger) {
    this.#pool = pool;
    this.#servers = servers.map((s) => ({ ...s, epoch: -1 }));
    this.#sentinels = sentinels;
    this.#control = control;
    this.#log = log;
    this.#subs = sentinels.map(() => null);
    this.#conns = sentinels.map(() => null);
  }

  start(): void {
    this.#sentinels.forEach((_, i) => this.#subscribe(i));
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    for (const s of this.#subs) s?.close();
    for (const c of this.#conns) void c?.close();
  }

  /** How many sentinels are subscribed now. */
  get connected(): number {
    return this.#subs.filter((s) => s !== null).length;
  }

  #subscribe(i: number): void {
    if (this.#stopped) return;
    const at = this.#sentinels[i]!;
    const sub = new RedisSubscriber(at, [CHANNEL], { connectTimeoutMs: RETRY_MS * 2 });
    let subscribed = false;
    sub.on('subscribed', () => {
      subscribed = true;
      this.#subs[i] = sub;
      this.#log.info({ pool: this.#pool, sentinel: addressText(at) }, `sentinel: following ${addressText(at)}`);
      void this.refresh();
    });
    sub.on('message', (_channel, payload) => this.#onSwitch(payload, at));
    sub.on('close', (err) => {
      if (this.#subs[i] === sub) this.#subs[i] = null;
      if (this.#stopped) return;
      if (subscribed) this.#log.warn({ pool: this.#pool, sentinel: addressText(at) }, `sentinel: lost ${addressText(at)} (${err?.message ?? 'closed'}); retrying every ${RETRY_MS} ms`);
      setTimeout(() => this.#subscribe(i), RETRY_MS).unref();
    });
  }

  /** `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`: Sentinel promoted a replica. */
  #onSwitch(payload: string, from: HostPort): void {
    const [name, oldIp, oldPort, ip, port] = payload.split(' ');
    const s = this.#servers.find((x) => x.masterName === name);
    if (s === undefined || ip === undefined || !Number.isInteger(Number(port))) return;
    const to = { host: ip, port: Number(port) };
    void this.#control.moveServer(this.#pool, s.identity, to, 'redis-sentinel', `+switch-master from sentinel ${addressText(from)}: ${oldIp}:${oldPort} -> ${addressText(to)}`)
      .then(() => this.refresh());
  }

  /** Ask every reachable sentinel where each master is; one refresh at a time (a request during one runs another after it). */
  refresh(): Promise<void> {
    if (this.#refreshing !== null) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = this.#refresh().catch((err: Error) => this.#log.error({ err, pool: this.#pool }, 'sentinel: asking the sentinels failed'))
      .finally(() => {
        this.#refreshing = null;
        if (this.#refreshAgain && !this.#stopped) { this.#refreshAgain = false; void this.refresh(); }
      });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    if (this.#stopped) return;
    for (const s of this.#servers) {
      const answers = (await Promise.all(this.#sentinels.map((_, i) => this.#ask(i, s.masterName)))).filter((a) => a !== null);
      if (answers.length === 0) continue;
      const best = answers.reduce((a, b) => (b.epoch > a.epoch ? b : a));
      if (s.epoch !== -1 && best.epoch <= s.epoch) continue;
      const cur = this.#control.addressOf(this.#pool, s.identity);
      s.epoch = best.epoch;
      if (cur !== null && sameAddress(cur, best.address)) continue;
      await this.#control.moveServer(this.#pool, s.identity, best.address, 'redis-sentinel',
        `Sentinel reports master '${s.masterName}' at ${addressText(best.address)} (config epoch ${best.epoch}, ${answers.length} of ${this.#sentinels.length} sentinels answered)`);
    }
  }

  async #ask(i: number, name: string): Promise<{ address: HostPort; epoch: number } | null> {
    if (this.#subs[i] === null) return null;
    try {
      let c = this.#conns[i];
      if (c === null || !c.ready) {
        void c?.close();
        c = new RedisConnection(this.#sentinels[i]!, { connectTimeoutMs: RETRY_MS, commandTimeoutMs: RETRY_MS, name: 'shardgate-sentinel-follower' });
        this.#conns[i] = c;
        await c.connect();
      }
      const v = await c.command(['SENTINEL', 'MASTER', name]);
      if (v instanceof RespError) {
        if (!this.#unknownNames.has(name)) this.#log.error({ pool: this.#pool, sentinel: addressText(this.#sentinels[i]!) }, `sentinel: ${addressText(this.#sentinels[i]!)} does not know master '${name}': ${v.message}`);
        this.#unknownNames.add(name);
        return null;
      }
      return parseSentinelMaster(v);
    } catch {
      return null;
    }
  }
}
