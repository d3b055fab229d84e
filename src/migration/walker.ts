// The background key walk after a ring change (`migration: background`):
// scan every source server with SCAN, and move each key whose owner by the
// current ring is another server to that owner, rate-limited, with progress
// events. Owns: the walk's order, pacing, counters and end state. Must not:
// compute owners (the plan's ownerOf does, with the proxy's ring), touch the
// request path, or overwrite a key on its owner.
//
// Why MIGRATE (and never GET/SET-style copying): redis-server runs MIGRATE as
// one command on the source. While it runs, the source serves no other client:
// it dumps the keys, restores them on the owner (without REPLACE), waits for
// the owner's answers, and deletes each accepted key locally, all before it
// reads the next command of anybody. So for a client of the source every key
// is either still on the source or already on the owner (and gone from the
// source), never both or in-between. The proxy deletes a key after a ring
// change by sending DEL to the old owner first and then to the new owner: if
// the DEL reaches the source before the MIGRATE, there is nothing left to move;
// if after, the key is already on the owner, and the second DEL removes it
// there. Either way no moved copy survives the delete: the walk cannot
// resurrect a deleted key. A key written through the proxy after the change
// lives on its owner, so MIGRATE without REPLACE answers BUSYKEY for it: the
// owner's copy wins and the stale source copy is deleted (so no later walk or
// lazy move can bring it back). The DUMP / RESTORE path for a source without
// MIGRATE has none of this atomicity and says so (progress.nonAtomic,
// lastError). Full write-up: docs/operations.md, "Key migration".
//
// Failure policy: a source that cannot be reached (connect, AUTH, DBSIZE), or
// whose connection drops mid-scan and cannot be re-established (3 tries), is
// recorded in lastError, the walk carries on with the other sources, and ends
// `failed` (its keys were not all looked at). Per-key failures (owner unreachable, RESTORE refused) are counted in
// `errors`, keep the key on the source, and do not fail the walk.
import { RedisConnection, RedisConnectionError, RespError, type RespValue } from '../redis/connection.js';
import { KeyMover, type MoveCounts } from './move.js';
import { TokenBucket } from './token-bucket.js';
import type { WalkPlan, WalkProgress, WalkServer } from './types.js';

export type { WalkPlan, WalkProgress, WalkServer } from './types.js';

const PROGRESS_EVERY_MS = 250;
const CONNECT_TIMEOUT_MS = 3000;
const COMMAND_TIMEOUT_MS = 10_000;
/** Times a source's connection may drop mid-walk and be replaced before the source counts as failed. */
const MAX_RECONNECTS = 3;

function idleProgress(pool: string): WalkProgress {
  return {
    pool, state: 'idle', scanned: 0, misplaced: 0, moved: 0, busy: 0, missing: 0, errors: 0, nonAtomic: 0,
    totalKeys: null, startedAt: null, finishedAt: null, lastError: null,
  };
}

/** The server's name, with its address when the name does not already say it. */
function serverLabel(s: WalkServer): string {
  const address = s.host.startsWith('/') ? s.host : `${s.host}:${s.port}`;
  return s.name === address ? s.name : `${s.name} (${address})`;
}

export class MigrationWalker {
  readonly #plan: WalkPlan;
  readonly #onProgress: (p: WalkProgress) => void;
  #progress: WalkProgress;
  #running: Promise<WalkProgress> | null = null;
  #stopRequested = false;
  #lastEmit = 0;
  /** Sources that could not be walked to the end, with why. */
  #failures: string[] = [];
  /** Connections of this walk (sources, and targets of the DUMP path), closed at its end. */
  #conns: RedisConnection[] = [];
  /** Target connections of the DUMP path, by server name, made once per walk. */
  #targets = new Map<string, Promise<RedisConnection>>();

  constructor(plan: WalkPlan, onProgress: (p: WalkProgress) => void) {
    this.#plan = plan;
    this.#onProgress = onProgress;
    this.#progress = idleProgress(plan.pool);
  }

  /** A copy of the current progress. */
  progress(): WalkProgress { return { ...this.#progress }; }

  /** Begins a fresh walk (counters from zero); while one runs, returns that one's promise. Resolves when it is done, failed or stopped. */
  start(): Promise<WalkProgress> {
    if (this.#running !== null) return this.#running;
    this.#stopRequested = false;
    this.#failures = [];
    this.#progress = { ...idleProgress(this.#plan.pool), state: 'running', startedAt: new Date().toISOString() };
    this.#lastEmit = 0;
    this.#running = this.#walk().finally(() => { this.#running = null; });
    return this.#running;
  }

  /** The walk ends after the batch in flight (state `stopped`). */
  stop(): void {
    if (this.#running !== null) this.#stopRequested = true;
  }

  async #walk(): Promise<WalkProgress> {
    const p = this.#progress;
    this.#emit(true);
    try {
      // First every source's size (for totalKeys), on a short-lived connection: a connection kept
      // idle while other sources are walked could meet the server's idle `timeout`.
      const reached: WalkServer[] = [];
      for (const server of this.#plan.sources) {
        if (this.#stopRequested) break;
        const conn = await this.#open(server);
        if (conn === null) continue;
        const size = await this.#count(server, conn);
        await this.#release(conn);
        if (size === null) continue;
        p.totalKeys = (p.totalKeys ?? 0) + size;
        reached.push(server);
      }
      this.#emit(false);
      const bucket = new TokenBucket(this.#plan.ratePerSec);
      for (const server of reached) {
        if (this.#stopRequested) break;
        await this.#walkSource(server, bucket);
      }
    } catch (err) {
      // A bug or a throwing ownerOf: the walk cannot go on.
      this.#failures.push(`walk aborted: ${(err as Error).message}`);
    } finally {
      await Promise.all(this.#conns.map((c) => c.close()));
      this.#conns = [];
      this.#targets.clear();
    }
    p.state = this.#failures.length > 0 ? 'failed' : this.#stopRequested ? 'stopped' : 'done';
    if (this.#failures.length > 0) p.lastError = this.#failures.join('; ');
    p.finishedAt = new Date().toISOString();
    this.#emit(true);
    return this.progress();
  }

  /** A connected connection of this walk to server (closed when the walk ends). */
  async #connect(server: WalkServer): Promise<RedisConnection> {
    const address = server.host.startsWith('/') ? { path: server.host } : { host: server.host, port: server.port };
    const conn = new RedisConnection(address, {
      auth: server.auth, db: server.db, name: `shardgate-migrate-${this.#plan.pool.replace(/[^!-~]/g, '_')}`, // SETNAME refuses spaces
      connectTimeoutMs: CONNECT_TIMEOUT_MS, commandTimeoutMs: COMMAND_TIMEOUT_MS, tls: server.tls ?? null,
    });
    this.#conns.push(conn);
    await conn.connect();
    return conn;
  }

  async #release(conn: RedisConnection): Promise<void> {
    this.#conns = this.#conns.filter((c) => c !== conn);
    await conn.close();
  }

  async #open(server: WalkServer): Promise<RedisConnection | null> {
    try {
      return await this.#connect(server);
    } catch (err) {
      this.#failures.push(`source ${serverLabel(server)} unreachable: ${(err as Error).message}`);
      return null;
    }
  }

  async #count(server: WalkServer, conn: RedisConnection): Promise<number | null> {
    try {
      const r = await conn.command(['DBSIZE']);
      if (typeof r === 'number') return r;
      this.#failures.push(`source ${serverLabel(server)} answered DBSIZE with ${describe(r)}`);
    } catch (err) {
      this.#failures.push(`source ${serverLabel(server)} failed: ${(err as Error).message}`);
    }
    return null;
  }

  /**
   * SCAN the source to the end, moving its misplaced keys. A connection that
   * drops mid-walk is replaced (up to MAX_RECONNECTS times) and the SCAN
   * resumes at the page it was on; that page is looked at again (its keys
   * already moved then count as missing).
   */
  async #walkSource(source: WalkServer, bucket: TokenBucket): Promise<void> {
    const plan = this.#plan;
    const cursor = { at: '0' };
    let mover: KeyMover | null = null;
    for (let drops = 0; ; drops++) {
      const conn = await this.#open(source);
      if (conn === null) return;
      if (mover === null) mover = new KeyMover(conn, serverLabel(source), { migrateTimeoutMs: plan.migrateTimeoutMs ?? 5000, targetConnection: (t) => this.#targetConnection(t) });
      else mover.setSource(conn);
      try {
        await this.#scan(source, conn, mover, bucket, cursor);
        return;
      } catch (err) {
        if (!(err instanceof RedisConnectionError) || drops >= MAX_RECONNECTS) {
          this.#failures.push(`source ${serverLabel(source)} failed mid-walk: ${(err as Error).message}`);
          return;
        }
        this.#progress.lastError = `source ${serverLabel(source)}: connection lost mid-walk (${err.message}); reconnecting`;
      } finally {
        await this.#release(conn);
      }
    }
  }

  /** SCAN from cursor.at to the end (cursor.at advances after each page is done); returns early when stopped. */
  async #scan(source: WalkServer, conn: RedisConnection, mover: KeyMover, bucket: TokenBucket, cursor: { at: string }): Promise<void> {
    const p = this.#progress;
    const plan = this.#plan;
    const scanCount = plan.scanCount ?? 200;
    const batchMax = Math.max(1, Math.min(scanCount, bucket.capacity));
    const counts: MoveCounts = p;
    do {
      if (this.#stopRequested) return;
      const r = await conn.command(['SCAN', cursor.at, 'COUNT', scanCount]);
      const page = readScanPage(r);
      if (page === null) {
        this.#failures.push(`source ${serverLabel(source)} answered SCAN with ${describe(r)}`);
        return;
      }
      p.scanned += page.keys.length;
      // Misplaced keys of this page, by owner: at most one page is held at a time.
      const byOwner = new Map<string, { owner: WalkServer; keys: Buffer[] }>();
      for (const key of page.keys) {
        const owner = plan.ownerOf(key);
        if (owner === null || owner.name === source.name) continue;
        p.misplaced++;
        let g = byOwner.get(owner.name);
        if (g === undefined) byOwner.set(owner.name, g = { owner, keys: [] });
        g.keys.push(key);
      }
      for (const { owner, keys } of byOwner.values()) {
        for (let i = 0; i < keys.length; i += batchMax) {
          if (this.#stopRequested) return;
          const batch = keys.slice(i, i + batchMax);
          await bucket.take(batch.length);
          await mover.move(owner, batch, counts);
          this.#emit(false);
        }
      }
      cursor.at = page.cursor;
      this.#emit(false);
    } while (cursor.at !== '0');
  }

  /** The walk's connection to a DUMP-path target; a new one if the last one closed or never connected. */
  #targetConnection(target: WalkServer): Promise<RedisConnection> {
    let c = this.#targets.get(target.name);
    if (c === undefined) {
      c = this.#connect(target);
      this.#targets.set(target.name, c);
      c.then((conn) => conn.once('close', () => this.#targets.delete(target.name)), () => this.#targets.delete(target.name));
    }
    return c;
  }

  /** Reports progress at most every PROGRESS_EVERY_MS, or now when forced (start, end). */
  #emit(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastEmit < PROGRESS_EVERY_MS) return;
    this.#lastEmit = now;
    this.#onProgress(this.progress());
  }
}

/** [cursor, keys] of a SCAN reply, or null if it is not one. */
function readScanPage(r: RespValue): { cursor: string; keys: Buffer[] } | null {
  if (!Array.isArray(r) || r.length !== 2 || !Buffer.isBuffer(r[0]) || !Array.isArray(r[1])) return null;
  const keys = r[1];
  if (!keys.every((k): k is Buffer => Buffer.isBuffer(k))) return null;
  return { cursor: r[0].toString('latin1'), keys };
}

function describe(r: RespValue): string {
  if (r instanceof RespError) return `an error: ${r.message}`;
  return `an unexpected reply (${Buffer.isBuffer(r) ? 'bulk' : Array.isArray(r) ? 'array' : String(r)})`;
}
