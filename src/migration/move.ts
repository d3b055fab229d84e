// Moving one batch of keys from a source server to their owner, and what
// became of each key (moved / busy / missing / error). Owns the MIGRATE
// command line and its outcomes, and the DUMP / PTTL / RESTORE / DEL path for
// a source without MIGRATE. Must not: scan, pace, decide owners (walker.ts).
//
// MIGRATE is sent without REPLACE and without COPY: a key the owner already
// has is never overwritten (the owner answers BUSYKEY), and the source deletes
// each key the owner accepted in the same command, atomically for its clients.
// Redis reports a batch as one reply, so the batch is preceded (same pipeline)
// by one EXISTS per key: a key that existed and is gone after +OK was moved; one
// that did not exist was deleted meanwhile (missing). After an error reply the
// keys still present are looked at again: the ones the owner accepted before
// the failing one are already gone (moved); the rest are retried one MIGRATE
// each, unless the error is the owner being unreachable (IOERR), which would
// only repeat itself key by key.
import { RespError, type RedisConnection, type RespValue } from '../redis/connection.js';
import type { WalkServer } from './types.js';

export interface MoveCounts {
  moved: number;
  busy: number;
  missing: number;
  errors: number;
  nonAtomic: number;
  lastError: string | null;
}

export interface MoveOptions {
  migrateTimeoutMs: number;
  /** A connection to a target for the DUMP / RESTORE path (made and kept by the caller). */
  targetConnection(target: WalkServer): Promise<RedisConnection>;
}

/** What the source answers to MIGRATE when it has no such command (redis-server's and our node's wording). */
export function isUnknownMigrate(r: RespValue): boolean {
  return r instanceof RespError && /unknown command/i.test(r.message) && /migrate/i.test(r.message);
}

export class KeyMover {
  #source: RedisConnection;
  readonly #sourceName: string;
  readonly #opts: MoveOptions;
  /** The source answered "unknown command" to MIGRATE: every later batch goes the DUMP / RESTORE way. */
  #dumpPath = false;

  constructor(source: RedisConnection, sourceName: string, opts: MoveOptions) {
    this.#source = source;
    this.#sourceName = sourceName;
    this.#opts = opts;
  }

  /** A new connection to the same source (the last one dropped); what was learnt about the source stays. */
  setSource(conn: RedisConnection): void { this.#source = conn; }

  /** Moves keys (all owned by target) off the source, adding each key's outcome to counts. */
  async move(target: WalkServer, keys: readonly Buffer[], counts: MoveCounts): Promise<void> {
    if (this.#dumpPath) return this.#moveByDump(target, keys, counts);
    if (target.host.startsWith('/')) {
      counts.errors += keys.length;
      counts.lastError = `${target.name} listens on a unix socket (${target.host}): it cannot be a MIGRATE target; ${keys.length} key(s) left on ${this.#sourceName}`;
      return;
    }
    const src = this.#source;
    // One pipeline; awaited together so that a dropped connection rejects once, with nothing left unhandled.
    const [existed, reply] = await Promise.all([
      Promise.all(keys.map((k) => src.command(['EXISTS', k]))),
      src.command(this.#migrateArgv(target, keys), { timeoutMs: this.#migrateCommandTimeout(keys.length) }),
    ]);
    const before = existed.map((r) => r === 1);
    if (reply === 'NOKEY') {
      counts.missing += keys.length;
      return;
    }
    if (reply === 'OK') {
      for (const e of before) if (e) counts.moved++; else counts.missing++;
      return;
    }
    if (isUnknownMigrate(reply)) {
      this.#dumpPath = true;
      counts.lastError = `${this.#sourceName} has no MIGRATE (${(reply as RespError).message}): moving by DUMP / RESTORE / DEL, which is not atomic`;
      return this.#moveByDump(target, keys, counts);
    }
    const batchError = reply instanceof RespError ? reply.message : `unexpected MIGRATE reply ${String(reply)}`;
    // Which keys are still on the source after the failed batch.
    const now = await Promise.all(keys.map((k) => src.command(['EXISTS', k])));
    const left: Buffer[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (now[i] === 1) left.push(keys[i]);
      else if (before[i]) counts.moved++;
      else counts.missing++;
    }
    if (left.length === 0) return;
    if (batchError.startsWith('IOERR')) {
      counts.errors += left.length;
      counts.lastError = `MIGRATE ${this.#sourceName} -> ${target.name}: ${batchError}`;
      return;
    }
    const single = await Promise.all(left.map((k) => src.command(this.#migrateArgv(target, [k]), { timeoutMs: this.#migrateCommandTimeout(1) })));
    const busy: Buffer[] = [];
    for (let i = 0; i < left.length; i++) {
      const r = single[i];
      if (r === 'OK') counts.moved++;
      else if (r === 'NOKEY') counts.missing++;
      else if (r instanceof RespError && r.message.includes('BUSYKEY')) busy.push(left[i]);
      else {
        counts.errors++;
        counts.lastError = `MIGRATE ${this.#sourceName} -> ${target.name}: ${r instanceof RespError ? r.message : String(r)}`;
      }
    }
    await this.#dropBusy(busy, counts);
  }

  /** The owner's copy was written after the ring change and wins: the source's stale copy goes, so nothing can bring it back later. */
  async #dropBusy(keys: readonly Buffer[], counts: MoveCounts): Promise<void> {
    if (keys.length === 0) return;
    await Promise.all(keys.map((k) => this.#source.command(['DEL', k])));
    counts.busy += keys.length;
  }

  #migrateArgv(target: WalkServer, keys: readonly Buffer[]): (string | Buffer | number)[] {
    const argv: (string | Buffer | number)[] = ['MIGRATE', target.host, target.port, '', target.db, this.#opts.migrateTimeoutMs];
    const a = target.auth;
    if (a !== null) {
      if (a.username !== undefined) argv.push('AUTH2', a.username, a.password);
      else argv.push('AUTH', a.password);
    }
    argv.push('KEYS', ...keys);
    return argv;
  }

  /** How long the source may take to answer: connect, write and one read per key, each bounded by the MIGRATE timeout. */
  #migrateCommandTimeout(n: number): number {
    return this.#opts.migrateTimeoutMs * 3 + n * 50 + 5000;
  }

  /**
   * The source has no MIGRATE: DUMP + PTTL on the source, RESTORE (no REPLACE)
   * on the owner, DEL on the source. Not atomic: a write or delete on the
   * source between DUMP and DEL is lost or undone (docs/operations.md).
   */
  async #moveByDump(target: WalkServer, keys: readonly Buffer[], counts: MoveCounts): Promise<void> {
    const src = this.#source;
    let dst: RedisConnection;
    try {
      dst = await this.#opts.targetConnection(target);
    } catch (err) {
      counts.errors += keys.length;
      counts.lastError = `RESTORE ${this.#sourceName} -> ${target.name}: ${(err as Error).message}`;
      return;
    }
    const dumps = await Promise.all(keys.map((k) => Promise.all([src.command(['DUMP', k]), src.command(['PTTL', k])])));
    const restores: Promise<RespValue>[] = [];
    const restoredKeys: Buffer[] = [];
    for (let i = 0; i < keys.length; i++) {
      const [payload, pttl] = dumps[i];
      if (payload === null || pttl === -2) { counts.missing++; continue; }
      if (!Buffer.isBuffer(payload) || typeof pttl !== 'number') {
        counts.errors++;
        counts.lastError = `DUMP on ${this.#sourceName}: ${payload instanceof RespError ? payload.message : pttl instanceof RespError ? pttl.message : 'unexpected reply'}`;
        continue;
      }
      // PTTL -1: no expiry (RESTORE ttl 0); 0: expiring right now, kept for 1 ms rather than for ever.
      restores.push(dst.command(['RESTORE', keys[i], pttl < 0 ? 0 : Math.max(1, pttl), payload]));
      restoredKeys.push(keys[i]);
    }
    let results: RespValue[];
    try {
      results = await Promise.all(restores);
    } catch (err) {
      // The owner's connection failed: some RESTOREs may have landed, so the source keeps every key (a later walk finds the owner's copy BUSY).
      counts.errors += restores.length;
      counts.lastError = `RESTORE ${this.#sourceName} -> ${target.name}: ${(err as Error).message}`;
      return;
    }
    const moved: Buffer[] = [];
    const busy: Buffer[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r === 'OK') moved.push(restoredKeys[i]);
      else if (r instanceof RespError && r.code === 'BUSYKEY') busy.push(restoredKeys[i]);
      else {
        counts.errors++;
        counts.lastError = `RESTORE ${this.#sourceName} -> ${target.name}: ${r instanceof RespError ? r.message : String(r)}`;
      }
    }
    await Promise.all(moved.map((k) => src.command(['DEL', k])));
    counts.moved += moved.length;
    counts.nonAtomic += moved.length;
    await this.#dropBusy(busy, counts);
  }
}
