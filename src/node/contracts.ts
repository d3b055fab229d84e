// Contracts between the parts of the built-in cache node (`shardgate node`):
//  - the data/command core (src/node/{server,keyspace,types,commands}/...)
//  - persistence (src/node/persistence/...) and replication (src/node/replication/...).
// The core owns the keyspace and command execution; persistence and replication
// see it only through these interfaces. Keys are binary-safe strings: the key
// bytes decoded as 'latin1' (one char per byte), so Map lookups need no Buffer.

/** A reply value the core knows how to encode (RESP2 or RESP3 by the client's protocol). */
export type Reply =
  | null                      // nil bulk / nil
  | number                    // integer (must be an integer)
  | bigint                    // integer beyond 2^53
  | string                    // simple string (+OK) — never contains CR/LF
  | Buffer                    // bulk string
  | Reply[]                   // array
  | ReplyError                // -ERR ...
  | { double: number }        // RESP3 double (RESP2: bulk string)
  | { map: [Reply, Reply][] } // RESP3 map (RESP2: flat array)
  | { set: Reply[] }          // RESP3 set (RESP2: array)
  | { verbatim: string };     // RESP3 verbatim txt (RESP2: bulk)

export class ReplyError {
  constructor(readonly message: string) {} // full line without '-' and CRLF, e.g. "ERR syntax error", "WRONGTYPE Operation ..."
}

/** One client's view that command handlers get. */
export interface ClientContext {
  readonly id: number;
  protocol: 2 | 3;
  name: string | null;
  /** true for the replication link and AOF loading: commands run without replies going anywhere and read-only checks skipped */
  readonly internal: boolean;
}

/** Iteration over the whole keyspace for snapshots and full resync. */
export interface KeyspaceSnapshotSource {
  readonly size: number;
  /** All keys with their value serialized in our DUMP format and absolute expiry (ms since epoch, 0 = none). Expired keys are skipped. */
  entries(): IterableIterator<[key: string, payload: Buffer, expiresAtMs: number]>;
  /**
   * Copy-on-write support for point-in-time snapshots written in slices:
   * while set, the core calls it with the key's CURRENT (old) state before the
   * first mutation, deletion, expiry or eviction of that key (payload null when the key did not exist).
   */
  setBeforeWriteHook(hook: ((key: string, oldPayload: Buffer | null, oldExpiresAtMs: number) => void) | null): void;
  /** Insert a key from a DUMP payload (used when loading a snapshot / full sync). */
  restore(key: string, payload: Buffer, expiresAtMs: number): void;
  flushAll(): void;
}

/**
 * The write stream. The core calls onWrite(argv) for every command that changed
 * the dataset, in execution order, rewritten so that replaying it is deterministic
 * (like Redis's propagation): relative TTLs become absolute (SET ... PXAT, PEXPIREAT),
 * INCRBYFLOAT becomes SET ... KEEPTTL, blocked pops become LPOP/RPOP, expired or
 * evicted keys become DEL/UNLINK, SELECT is never emitted. argv[0] is the command name.
 */
export interface WriteListener {
  onWrite(argv: Buffer[]): void;
}

/** Extra commands and INFO sections that persistence/replication plug into the core's command table. */
export interface CommandSpec {
  name: string;         // lower case
  arity: number;        // Redis convention: >0 exact, <0 at least -arity (counting the name)
  flags: readonly ('write' | 'readonly' | 'admin' | 'noscript' | 'loading' | 'stale' | 'fast')[];
  firstKey: number; lastKey: number; step: number; // Redis key spec (0,0,0 for none)
  handler(ctx: ClientContext, argv: Buffer[], conn: NodeConnection): Reply | Promise<Reply> | typeof NO_REPLY;
}

/** Returned by a handler that takes over the connection (PSYNC/SYNC write their own bytes). */
export const NO_REPLY: unique symbol = Symbol('no-reply');

/** What a handler can do with the raw connection (for replication handshakes). */
export interface NodeConnection {
  write(bytes: Buffer | string): boolean;
  /**
   * stop parsing/replying for this connection as a normal client: it becomes a replica link.
   * (Added by persistence/replication, backward compatible:) when `events` is given, the core
   * hands every later chunk read from the socket to events.onData (the replica's REPLCONF ACKs)
   * and calls events.onClose once when the socket closes.
   */
  detachAsReplica(events?: { onData(chunk: Buffer): void; onClose(): void }): void;
  /** (optional, added by replication) close the socket, e.g. a replica that stopped acking */
  close?(): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface NodeCore {
  readonly keyspace: KeyspaceSnapshotSource;
  /** subscribe to the write stream; returns an unsubscribe function */
  addWriteListener(l: WriteListener): () => void;
  /**
   * Run a command as an internal client (AOF load, replication stream); returns its reply. The
   * argv buffers are handed over: the node may keep them as values, so the caller must not write
   * to them again, and none may be a small view of a larger buffer (it would pin it): copy each
   * argument out of a read buffer.
   */
  execute(argv: Buffer[]): Reply | Promise<Reply>;
  registerCommand(spec: CommandSpec): void;
  registerInfoSection(name: string, render: () => Record<string, string | number>): void;
  /** replicas reject writes from normal clients with -READONLY */
  setReadOnly(readonly: boolean): void;
  readonly options: NodeOptions;
  /** (optional) metadata the core keeps in snapshots besides keys (its FUNCTION libraries: 'functions', see applySnapshotAux) */
  snapshotAux?(): Record<string, string>;
  /** (optional) a MIGRATE holds the node or a script is busy: background saves must not start now */
  readonly held?: boolean;
}

export interface NodeOptions {
  port: number;
  bind: string;
  dir: string;
  appendonly: boolean;
  appendfsync: 'always' | 'everysec' | 'no';
  appendfilename: string;      // default 'appendonly.aof'
  dbfilename: string;          // default 'dump.sgdb'
  save: number | null;         // seconds between snapshots when there were writes; null = off
  maxmemory: number;           // bytes, 0 = unlimited
  maxmemoryPolicy: 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-random' | 'volatile-random' | 'volatile-ttl';
  maxmemorySamples: number;    // default 5
  replicaof: { host: string; port: number } | null;
  requirepass: string | null;
  masterauth: string | null;
  aofLoadTruncated: boolean;   // default true
}
