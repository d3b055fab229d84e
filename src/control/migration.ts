// Key migration after a ring change, as the controller runs it: per pool,
// the background walk (src/migration/walker.ts) over every server of the
// current ring and of the earlier rings still consulted, its progress for
// GET /migration and the event stream, and — once a walk has moved everything
// without errors — telling the controller that the earlier rings can go (then
// the request path stops looking for keys on previous owners). The lazy path
// (moving a key when a request touches it) is the data plane's
// (src/proxy/migrate-on-touch.ts). Must not: touch client connections.
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.js';
import { MigrationWalker, type WalkProgress, type WalkServer } from '../migration/walker.js';
import { ringOf } from '../topology/topology.js';
import { connectionAuth, credentialsFor } from '../security/backend-auth.js';
import { backendTlsOptions } from '../security/tls-backend.js';
import type { DataplanePlan, RingSpec } from '../topology/plan.js';
import type { Controller } from './controller.js';
import type { MigrationPoolStatus } from '../admin/migration-types.js';

interface PoolWalk {
  walker: MigrationWalker | null;
  progress: WalkProgress | null;
  /** the earlier ring versions the walk in progress (or last) covered */
  covers: number[];
  startedMs: number;
}

type StartResult = { started: string[] } | { status: number; error: { code: string; message: string } };

export class MigrationManager {
  readonly #controller: Controller;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #walks = new Map<string, PoolWalk>();

  constructor(controller: Controller, bus: EventBus, log: Logger) {
    this.#controller = controller;
    this.#bus = bus;
    this.#log = log;
  }

  /** A plan was applied everywhere; `changed` are pools whose placement changed with migration on. */
  planApplied(_plan: DataplanePlan, changed: readonly string[]): void {
    for (const pool of changed) {
      const st = this.#controller.pool(pool);
      if (st === undefined) continue;
      if (st.config.migration === 'lazy') {
        this.#bus.publish({ type: 'migration_started', pool, mode: 'lazy', ring_version: st.version });
      } else if (st.config.migration === 'background') {
        void this.#restart(pool);
      }
    }
  }

  /** POST /migration: start a background walk of one pool (or every pool with migration on). */
  startWalk(pool: string | null): StartResult {
    const names = pool !== null ? [pool] : this.#controller.config.pools.filter((p) => p.migration !== 'off').map((p) => p.name);
    if (pool !== null) {
      const st = this.#controller.pool(pool);
      if (st === undefined) return { status: 404, error: { code: 'no_such_pool', message: `no pool '${pool}'` } };
      if (st.config.migration === 'off') return { status: 400, error: { code: 'migration_off', message: `pool '${pool}' has migration: off; set shardgate: migration: lazy or background` } };
    }
    const running = names.filter((n) => this.#walks.get(n)?.walker !== null && this.#walks.get(n)?.walker !== undefined);
    if (running.length > 0) return { status: 409, error: { code: 'migration_running', message: `a walk is already running for ${running.join(', ')}` } };
    for (const n of names) void this.#restart(n);
    return { started: names };
  }

  async #restart(pool: string): Promise<void> {
    const w = this.#walks.get(pool);
    if (w?.walker) {
      w.walker.stop();
      await w.walker.start().catch(() => undefined); // the running walk's promise: wait for it to stop
    }
    const st = this.#controller.pool(pool);
    if (st === undefined) return;
    const walker = new MigrationWalker(this.#walkPlan(pool), (p) => this.#onProgress(pool, p));
    const entry: PoolWalk = { walker, progress: walker.progress(), covers: st.prior.map((p) => p.version), startedMs: Date.now() };
    this.#walks.set(pool, entry);
    this.#bus.publish({ type: 'migration_started', pool, mode: 'background', ring_version: st.version });
    this.#log.info({ pool, covers: entry.covers }, `pool ${pool}: background key migration started`);
    const end = await walker.start();
    if (this.#walks.get(pool) !== entry) return; // replaced by a newer walk
    entry.walker = null;
    entry.progress = end;
    if (end.state === 'stopped') return;
    const ms = Date.now() - entry.startedMs;
    this.#bus.publish({ type: 'migration_done', pool, moved: end.moved, errors: end.errors, ms });
    this.#log.info({ progress: end, ms }, `pool ${pool}: key migration ${end.state}: ${end.moved} moved, ${end.busy} already written on their new owner, ${end.errors} errors`);
    if (end.state === 'done' && end.errors === 0) await this.#controller.priorDone(pool, entry.covers);
  }

  #walkPlan(pool: string) {
    const st = this.#controller.pool(pool)!;
    const pc = st.config;
    const toWalk = (s: RingSpec['servers'][number]): WalkServer => ({
      name: s.identity, host: s.path ?? s.host ?? '127.0.0.1', port: s.port, auth: connectionAuth(credentialsFor(pc, s.label)), db: pc.redisDb,
      tls: pc.backendTls === null || s.path !== null ? null : backendTlsOptions(pc.backendTls, s.host),
    });
    const current = st.spec.servers.map(toWalk);
    const byId = new Map(current.map((s) => [s.name, s]));
    const sources = [...current];
    for (const spec of st.prior) for (const s of spec.servers) if (!byId.has(s.identity)) { const w = toWalk(s); byId.set(w.name, w); sources.push(w); }
    const ring = ringOf(st.spec);
    const ids = st.spec.servers.map((s) => s.identity);
    return {
      pool, sources, ratePerSec: pc.migrationRate,
      ownerOf: (key: Buffer): WalkServer | null => {
        const i = ring.pick(key, 0, key.length);
        if (i < 0) return null;
        const id = ids[i]!;
        // A server health has out of the ring is not a destination (its keys stay until it is back).
        return this.#controller.pool(pool)?.health.isDown(id) ? null : byId.get(id) ?? null;
      },
    };
  }

  #onProgress(pool: string, p: WalkProgress): void {
    const w = this.#walks.get(pool);
    if (w !== undefined) w.progress = p;
    this.#bus.publish({
      type: 'migration_progress', pool, scanned: p.scanned, moved: p.moved, misplaced: p.misplaced, busy: p.busy, missing: p.missing,
      errors: p.errors, done: p.state !== 'running',
    });
  }

  /** GET /migration's per-pool view. */
  view(pool: string | null): Record<string, MigrationPoolStatus> {
    const out: Record<string, MigrationPoolStatus> = {};
    for (const pc of this.#controller.config.pools) {
      if (pool !== null && pc.name !== pool) continue;
      const st = this.#controller.pool(pc.name)!;
      const p = this.#walks.get(pc.name)?.progress ?? null;
      out[pc.name] = {
        mode: pc.migration,
        state: p === null ? 'idle' : p.state === 'stopped' ? 'idle' : p.state,
        ring_version: st.version,
        prior_versions: st.prior.map((x) => x.version),
        scanned: p?.scanned ?? 0, misplaced: p?.misplaced ?? 0, moved: p?.moved ?? 0, busy: p?.busy ?? 0, missing: p?.missing ?? 0,
        errors: p?.errors ?? 0, total_keys: p?.totalKeys ?? null, started_at: p?.startedAt ?? null, finished_at: p?.finishedAt ?? null,
        last_error: p?.lastError ?? null,
      };
    }
    return out;
  }

  close(): void {
    for (const w of this.#walks.values()) w.walker?.stop();
  }
}
