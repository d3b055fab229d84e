// MULTI / EXEC / DISCARD / WATCH / UNWATCH of the node (Redis 7.0 replies).
// Owns the per-client transaction state and the watched-keys registry.
// NodeState calls touchWritten() for every write it propagates (so WATCH sees
// client writes, expiry, eviction, MIGRATE's deletes and served blocked pops),
// queue() while a client is in MULTI, and runs EXEC's commands through its
// own dispatch with the write stream wrapped in MULTI … EXEC. Must not touch
// sockets or data types.
import { ReplyError } from './contracts.js';
import { NIL_ARRAY, type NodeReply } from './reply.js';
import type { ClientState, Cmd } from './commands/types.js';
import { str } from './commands/util.js';

/** Commands that run at once inside MULTI instead of being queued. */
const RUN_IN_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

export interface TxnState {
  queue: Buffer[][];
  /** a command was rejected while queueing: EXEC answers EXECABORT */
  failed: boolean;
}

export class Transactions {
  /** watched key → clients watching it */
  readonly #watchers = new Map<string, Set<ClientState>>();
  /** per client: watched key → whether it was already logically expired when watched */
  readonly #watching = new Map<ClientState, Map<string, boolean>>();
  /** clients whose watched keys were written since WATCH */
  readonly #dirty = new Set<ClientState>();

  constructor(readonly commandOf: (name: Buffer) => Cmd | undefined, readonly expiredNow: (key: string) => boolean) {}

  get watching(): boolean { return this.#watchers.size > 0; }

  /** true when the command must be queued (the client is in MULTI and it is not one of the commands that run at once) */
  queues(c: ClientState, name: string): boolean { return c.txn !== null && !RUN_IN_MULTI.has(name); }

  queue(c: ClientState, argv: Buffer[]): NodeReply {
    c.txn!.queue.push(argv.map((a) => Buffer.from(a)));
    return 'QUEUED';
  }

  /** A command was rejected while the client is in MULTI (unknown, arity, OOM, READONLY…). */
  flagFailed(c: ClientState): void { if (c.txn !== null) c.txn.failed = true; }

  multi(c: ClientState): NodeReply {
    if (c.txn !== null) return new ReplyError('ERR MULTI calls can not be nested');
    c.txn = { queue: [], failed: false };
    return 'OK';
  }

  discard(c: ClientState): NodeReply {
    if (c.txn === null) return new ReplyError('ERR DISCARD without MULTI');
    c.txn = null;
    this.unwatch(c);
    return 'OK';
  }

  watch(c: ClientState, keys: Buffer[]): NodeReply {
    if (c.txn !== null) return new ReplyError('ERR WATCH inside MULTI is not allowed');
    let mine = this.#watching.get(c);
    if (mine === undefined) { mine = new Map(); this.#watching.set(c, mine); }
    for (const k of keys) {
      const key = str(k);
      if (mine.has(key)) continue;
      mine.set(key, this.expiredNow(key));
      let set = this.#watchers.get(key);
      if (set === undefined) { set = new Set(); this.#watchers.set(key, set); }
      set.add(c);
    }
    return 'OK';
  }

  unwatch(c: ClientState): void {
    const mine = this.#watching.get(c);
    this.#dirty.delete(c);
    if (mine === undefined) return;
    this.#watching.delete(c);
    for (const key of mine.keys()) {
      const set = this.#watchers.get(key);
      if (set === undefined) continue;
      set.delete(c);
      if (set.size === 0) this.#watchers.delete(key);
    }
  }

  /**
   * EXEC's verdict before running anything: the queue to run, or the reply that ends it
   * (EXEC without MULTI, EXECABORT, or a nil array when a watched key changed or expired).
   */
  begin(c: ClientState): Buffer[][] | NodeReply {
    const t = c.txn;
    if (t === null) return new ReplyError('ERR EXEC without MULTI');
    c.txn = null;
    const touched = this.#dirty.has(c) || [...(this.#watching.get(c) ?? [])].some(([k, wasExpired]) => !wasExpired && this.expiredNow(k));
    this.unwatch(c);
    if (t.failed) return new ReplyError('EXECABORT Transaction discarded because of previous errors.');
    if (touched) return NIL_ARRAY;
    return t.queue;
  }

  /** A write is being propagated: clients watching any key it names will fail their EXEC. */
  touchWritten(argv: Buffer[]): void {
    const cmd = this.commandOf(argv[0]!);
    if (cmd === undefined) return;
    if (cmd.name === 'flushall' || cmd.name === 'flushdb') { for (const set of this.#watchers.values()) for (const c of set) this.#dirty.add(c); return; }
    if (cmd.firstKey === 0) { for (let i = 1; i < argv.length; i++) this.#touch(str(argv[i]!)); return; }
    const last = cmd.lastKey < 0 ? argv.length + cmd.lastKey : cmd.lastKey;
    for (let i = cmd.firstKey; i <= last && i < argv.length; i += cmd.step) this.#touch(str(argv[i]!));
  }

  #touch(key: string): void {
    const set = this.#watchers.get(key);
    if (set !== undefined) for (const c of set) this.#dirty.add(c);
  }

  dropClient(c: ClientState): void { c.txn = null; this.unwatch(c); }
}
