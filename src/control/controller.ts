// The controller: the one place that decides what the running proxy is —
// the config in force, each pool's ring version, which servers are down, and
// which earlier rings key migration still consults — and tells every serving
// process (this one, or each worker under -w N) with one plan. Reloads
// (file, SIGHUP, PUT /config) and health changes are serialized: a plan is
// built and checked completely before any process applies it. Every change is
// an event on the bus. Must not: touch client or backend sockets (the data
// plane does), or read files other than the config file.
import path from 'node:path';
import fs from 'node:fs';
import type { Logger } from 'pino';
import { parseConfig, type Config, type PoolConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { EventBus } from '../events/bus.js';
import type { ConfigProblem, ConfigSource } from '../events/types.js';
import type { FailureKind } from '../proxy/backend.js';
import type { ControlLink } from '../proxy/server-pool.js';
import type { ApplyOutcome } from '../proxy/index.js';
import { PoolHealth } from '../topology/health.js';
import { ringSpecOf, samePlacement } from '../topology/topology.js';
import type { DataplanePlan, HostPort, RingSpec } from '../topology/plan.js';
import type { FailoverControl, PassiveSignals } from '../sentinel/types.js';
import { diffConfig } from './diff.js';

/** Every serving process, as the controller sees them. */
export interface Dataplane {
  /** Apply a plan everywhere; one outcome per process. */
  apply(plan: DataplanePlan, config: Config): Promise<ApplyOutcome[]>;
}

export type ReloadResult =
  | { ok: true; generation: number; changed: boolean; versions: Record<string, number>; live: string[]; restart: string[]; errors: string[] }
  | { ok: false; errors: ConfigProblem[] };

interface PoolState {
  config: PoolConfig;
  version: number;
  health: PoolHealth;
  /** the ring spec of this version, every server live */
  spec: RingSpec;
  /** newest first: earlier rings whose keys may not have moved yet */
  prior: RingSpec[];
  /** failover: identity -> where the server is now, and the config address it replaced (a reload that changes that address wins) */
  addresses: Map<string, { at: HostPort; configured: string }>;
  /** identity -> replicas serving reads (read_from), best first */
  readReplicas: Map<string, readonly HostPort[]>;
}

/** Earlier rings kept per pool for migration at most (older ones are dropped with a warning). */
const MAX_PRIOR = 4;

export interface ControllerOptions {
  log: Logger;
  bus: EventBus;
  dataplane: Dataplane;
  /** applied to every config read from text (`shardgate up` adds failover for its own cluster); in-process data planes only */
  adjust?: (c: Config) => Config;
}

/** What listens to the controller's decisions besides the data plane (admin server, migration). */
export interface ControllerHooks {
  configApplied?(config: Config, previous: Config | null): Promise<void> | void;
  /** the plan was applied everywhere; `changedRings`: pools whose placement changed with migration on */
  planApplied?(plan: DataplanePlan, changedRings: readonly string[]): void;
}

export function problemsOf(err: unknown): ConfigProblem[] {
  if (err instanceof ConfigError) return [{ file: err.file, line: err.line, key: err.key, message: err.message }];
  return [{ message: (err as Error).message }];
}

export class Controller implements ControlLink, FailoverControl {
  readonly #opts: ControllerOptions;
  readonly #pools = new Map<string, PoolState>();
  #config: Config | null = null;
  #text = '';
  #generation = 0;
  #serial: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #hooks: ControllerHooks = {};
  #lastPlan: DataplanePlan | null = null;
  #passive: PassiveSignals | null = null;

  constructor(opts: ControllerOptions) {
    this.#opts = opts;
  }

  setHooks(h: ControllerHooks): void {
    this.#hooks = h;
  }

  /** Where traffic failures of pools with `sentinel:` go (the heartbeats decide there, not the failure count). */
  setPassiveSignals(p: PassiveSignals | null): void {
    this.#passive = p;
  }

  get config(): Config {
    if (this.#config === null) throw new Error('controller not started');
    return this.#config;
  }

  get generation(): number {
    return this.#generation;
  }

  get lastPlan(): DataplanePlan | null {
    return this.#lastPlan;
  }

  pool(name: string): Readonly<PoolState> | undefined {
    return this.#pools.get(name);
  }

  /** Apply the first config (throws what the data plane throws: a listener that cannot bind). */
  async start(config: Config, text: string): Promise<void> {
    if (this.#opts.adjust !== undefined) config = this.#opts.adjust(config);
    for (const pc of config.pools) this.#pools.set(pc.name, this.#newPoolState(pc));
    this.#config = config;
    this.#text = text;
    const plan = this.#plan();
    await this.#opts.dataplane.apply(plan, config);
    this.#lastPlan = plan;
    await this.#hooks.configApplied?.(config, null);
    this.#opts.bus.publish({ type: 'config_applied', source: 'start', version: plan.generation, pools: config.pools.map((p) => p.name), live: [], restart: [] });
    this.#timer = setInterval(() => this.#tick(), 100);
    this.#timer.unref();
  }

  #newPoolState(pc: PoolConfig): PoolState {
    return { config: pc, version: 1, health: new PoolHealth(policyOf(pc)), spec: ringSpecOf(pc, 1), prior: [], addresses: new Map(), readReplicas: new Map() };
  }

  /** Re-read the config file and apply it. */
  reloadFile(source: ConfigSource): Promise<ReloadResult> {
    const file = this.config.file;
    if (file === null) return Promise.resolve({ ok: false, errors: [{ message: 'the config was not loaded from a file' }] });
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const errors = [{ file, message: `cannot read the config file: ${e.code === 'ENOENT' ? 'no such file' : e.message}` }];
      this.#rejected(source, errors);
      return Promise.resolve({ ok: false, errors });
    }
    return this.applyText(text, source, file);
  }

  /**
   * Validate `text` as a whole config and apply it; a config that does not
   * validate changes nothing. A pushed config (source 'api') is named
   * "PUT /config" in its errors and keeps the file it replaces as its file, so a
   * later SIGHUP or file change reloads that file.
   */
  applyText(text: string, source: ConfigSource, file: string | null = this.config.file): Promise<ReloadResult> {
    return this.#serialized(async () => {
      let next: Config;
      try {
        // A pushed config reads relative certificate paths from the running file's folder.
        next = source === 'api'
          ? parseConfig(text, 'PUT /config', this.config.file === null ? process.cwd() : path.dirname(this.config.file))
          : parseConfig(text, file ?? undefined);
        if (this.#opts.adjust !== undefined) next = this.#opts.adjust(next);
        if (source === 'api') next = Object.freeze({ ...next, file: this.config.file });
      } catch (err) {
        const errors = problemsOf(err);
        this.#rejected(source, errors);
        return { ok: false as const, errors };
      }
      return this.#applyConfig(next, text, source);
    });
  }

  #rejected(source: ConfigSource, errors: ConfigProblem[]): void {
    this.#opts.log.error({ source, errors }, `config ${source === 'api' ? 'pushed' : 'reload'} rejected, the running config stays: ${errors.map((e) => e.message).join('; ')}`);
    this.#opts.bus.publish({ type: 'config_rejected', source, errors });
  }

  async #applyConfig(next: Config, text: string, source: ConfigSource): Promise<ReloadResult> {
    const prev = this.config;
    const diff = diffConfig(prev, next);
    const changedPools = diff.pools.filter((d) => d.kind !== 'same');
    if (changedPools.length === 0 && diff.live.length === 0 && diff.restart.length === 0) {
      this.#text = text;
      return { ok: true, generation: this.#generation, changed: false, versions: this.#versions(), live: [], restart: [], errors: [] };
    }
    const ringEvents: Parameters<EventBus['publish']>[0][] = [];
    const migrating: string[] = [];
    for (const d of diff.pools) {
      if (d.kind === 'removed') { this.#pools.delete(d.pool); continue; }
      const pc = next.pools.find((p) => p.name === d.pool)!;
      if (d.kind === 'added') { this.#pools.set(d.pool, this.#newPoolState(pc)); continue; }
      const st = this.#pools.get(d.pool)!;
      if (d.kind === 'same') { st.config = pc; continue; }
      const old = st.version;
      const spec = ringSpecOf(pc, old + 1);
      const placementChanged = !samePlacement(st.spec, spec);
      const topologyChanged = placementChanged || d.changed.length > 0 || d.settings.length > 0 || d.added.length > 0 || d.removed.length > 0;
      st.health.update(policyOf(pc), spec.servers.map((s) => s.identity));
      keepFailoverState(st, pc, spec);
      if (placementChanged && pc.migration !== 'off' && pc.distribution !== 'random') {
        st.prior = [st.spec, ...st.prior];
        if (st.prior.length > MAX_PRIOR) {
          this.#opts.log.warn({ pool: d.pool }, `pool ${d.pool}: more than ${MAX_PRIOR} ring changes without a finished migration; keys still on the oldest ring's owners are no longer looked for`);
          st.prior.length = MAX_PRIOR;
        }
        migrating.push(d.pool);
      }
      if (pc.migration === 'off') st.prior = [];
      st.config = pc;
      if (topologyChanged) {
        st.version = old + 1;
        st.spec = spec;
        ringEvents.push({ type: 'ring_changed', pool: d.pool, old_version: old, new_version: st.version, added: d.added, removed: d.removed, changed: d.changed, reason: 'config' });
      }
    }
    this.#config = next;
    this.#text = text;
    const plan = this.#plan();
    const outcomes = await this.#opts.dataplane.apply(plan, next);
    this.#lastPlan = plan;
    const errors = [...new Set(outcomes.flatMap((o) => o.errors))];
    await this.#hooks.configApplied?.(next, prev);
    const bus = this.#opts.bus;
    for (const d of diff.pools) {
      const pc = next.pools.find((p) => p.name === d.pool);
      if (d.kind === 'added') bus.publish({ type: 'pool_added', pool: d.pool, listen: pc!.listen.path ?? `${pc!.listen.host}:${pc!.listen.port}` });
      else if (d.kind === 'removed') bus.publish({ type: 'pool_removed', pool: d.pool });
      else if (d.listenChanged) {
        const pa = prev.pools.find((p) => p.name === d.pool)!;
        bus.publish({ type: 'listener_changed', pool: d.pool, old: pa.listen.path ?? `${pa.listen.host}:${pa.listen.port}`, new: pc!.listen.path ?? `${pc!.listen.host}:${pc!.listen.port}` });
      }
    }
    for (const e of ringEvents) bus.publish(e);
    bus.publish({ type: 'config_applied', source, version: plan.generation, pools: changedPools.map((d) => d.pool), live: diff.live, restart: diff.restart });
    this.#opts.log.info({ source, generation: plan.generation, live: diff.live, restart: diff.restart, errors }, `config applied (${source}): ${diff.live.join('; ') || 'no live change'}`);
    this.#hooks.planApplied?.(plan, migrating);
    return { ok: true, generation: plan.generation, changed: true, versions: this.#versions(), live: diff.live, restart: diff.restart, errors };
  }

  #versions(): Record<string, number> {
    return Object.fromEntries([...this.#pools].map(([n, s]) => [n, s.version]));
  }

  #plan(): DataplanePlan {
    this.#generation++;
    const pools: Record<string, DataplanePlan['pools'][string]> = {};
    for (const [name, st] of this.#pools) {
      pools[name] = {
        version: st.version, down: st.health.down(), prior: st.prior,
        addresses: Object.fromEntries([...st.addresses].map(([id, a]) => [id, a.at])),
        unhealthy: st.health.unhealthy(),
        readReplicas: Object.fromEntries(st.readReplicas),
      };
    }
    return { generation: this.#generation, text: this.#text, file: this.config.file, pools };
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /** A health or migration change: a new plan for everyone (same config). */
  #replan(why: string): Promise<void> {
    return this.#serialized(async () => {
      const plan = this.#plan();
      const outcomes = await this.#opts.dataplane.apply(plan, this.config);
      this.#lastPlan = plan;
      const errors = outcomes.flatMap((o) => o.errors);
      if (errors.length > 0) this.#opts.log.error({ errors }, `applying the plan after ${why} failed in part`);
      this.#hooks.planApplied?.(plan, []);
    });
  }

  /** Migration of `pool` finished: its earlier rings are no longer consulted. */
  priorDone(pool: string, versions: readonly number[]): Promise<void> {
    const st = this.#pools.get(pool);
    if (st === undefined) return Promise.resolve();
    const before = st.prior.length;
    st.prior = st.prior.filter((p) => !versions.includes(p.version));
    return st.prior.length === before ? Promise.resolve() : this.#replan(`the migration of pool ${pool} finished`);
  }

  // ControlLink: what the serving processes report.
  backendFailed(pool: string, identity: string, _label: string, _kind: FailureKind, reason: string): void {
    const st = this.#pools.get(pool);
    if (st === undefined || !st.spec.servers.some((s) => s.identity === identity)) return;
    if (st.config.sentinel !== null) {
      st.health.state(identity).lastError = reason;
      this.#passive?.backendFailed(pool, identity, reason);
      return;
    }
    const change = st.health.failed(identity, reason, Date.now());
    if (change === null) return;
    this.#healthChanged(pool, st, [change]);
  }

  backendRecovered(pool: string, identity: string): void {
    this.#pools.get(pool)?.health.recovered(identity);
  }

  #tick(): void {
    const now = Date.now();
    for (const [pool, st] of this.#pools) {
      const changes = st.health.tick(now);
      if (changes.length > 0) this.#healthChanged(pool, st, changes);
    }
  }

  #healthChanged(pool: string, st: PoolState, changes: ReturnType<PoolHealth['tick']>): void {
    const old = st.version;
    const ringChanges = changes.filter((c) => c.ring);
    if (ringChanges.length > 0) st.version++;
    const bus = this.#opts.bus;
    const addressOf = (identity: string) => {
      const s = st.spec.servers.find((x) => x.identity === identity)!;
      const moved = st.addresses.get(identity)?.at;
      return { label: s.label, address: moved !== undefined ? `${moved.host}:${moved.port}` : s.path ?? `${s.host}:${s.port}` };
    };
    for (const c of changes) {
      const { label, address } = addressOf(c.identity);
      if (c.kind === 'down') {
        this.#opts.log.warn({ pool, server: label }, `server ${label} ejected: ${c.reason}`);
        bus.publish({ type: 'node_down', pool, server: label, address, reason: c.reason });
      } else {
        this.#opts.log.info({ pool, server: label }, `server ${label} back in the ring: ${c.reason}`);
        bus.publish({ type: 'node_up', pool, server: label, address });
      }
    }
    const labels = (k: 'down' | 'up') => ringChanges.filter((c) => c.kind === k).map((c) => addressOf(c.identity).label);
    if (ringChanges.length > 0) bus.publish({ type: 'ring_changed', pool, old_version: old, new_version: st.version, added: labels('up'), removed: labels('down'), changed: [], reason: 'health' });
    void this.#replan(`a health change in pool ${pool}`);
  }

  // FailoverControl: what the sentinel module reports and asks.
  addressOf(pool: string, identity: string): HostPort | null {
    const st = this.#pools.get(pool);
    const s = st?.spec.servers.find((x) => x.identity === identity);
    if (st === undefined || s === undefined) return null;
    return st.addresses.get(identity)?.at ?? (s.host !== null ? { host: s.host, port: s.port } : null);
  }

  serverHealth(pool: string, identity: string, up: boolean, reason: string, eject: boolean): void {
    const st = this.#pools.get(pool);
    if (st === undefined || !st.spec.servers.some((s) => s.identity === identity)) return;
    const change = up ? st.health.heartbeatUp(identity, reason) : st.health.heartbeatDown(identity, reason, eject, Date.now());
    if (change !== null) this.#healthChanged(pool, st, [change]);
  }

  moveServer(pool: string, identity: string, to: HostPort, mode: 'local' | 'redis-sentinel' | 'discovered', reason: string): Promise<boolean> {
    return this.#serialized(async () => {
      const st = this.#pools.get(pool);
      const s = st?.spec.servers.find((x) => x.identity === identity);
      if (st === undefined || s === undefined || s.host === null) return false;
      const from = this.addressOf(pool, identity)!;
      if (from.host === to.host && from.port === to.port) return true;
      const configured = `${s.host}:${s.port}`;
      if (to.host === s.host && to.port === s.port) st.addresses.delete(identity);
      else st.addresses.set(identity, { at: { host: to.host, port: to.port }, configured });
      st.readReplicas.delete(identity);
      const old = st.version;
      st.version++;
      // The server behind the identity answers now: whatever health had against the old address is void.
      st.health.heartbeatUp(identity, 'failover');
      const plan = this.#plan();
      const outcomes = await this.#opts.dataplane.apply(plan, this.config);
      this.#lastPlan = plan;
      const errors = outcomes.flatMap((o) => o.errors);
      if (errors.length > 0) this.#opts.log.error({ errors }, `applying the plan after the failover of ${s.label} failed in part`);
      const bus = this.#opts.bus;
      const old_address = `${from.host}:${from.port}`;
      const new_address = `${to.host}:${to.port}`;
      this.#opts.log.warn({ pool, server: s.label, old_address, new_address, mode }, `pool ${pool}: server ${s.label} moved ${old_address} -> ${new_address} (${mode}: ${reason})`);
      bus.publish({ type: 'failover', pool, server: s.label, old_address, new_address, mode, reason, ring_version: st.version });
      bus.publish({ type: 'ring_changed', pool, old_version: old, new_version: st.version, added: [], removed: [], changed: [s.label], reason: 'failover' });
      this.#hooks.planApplied?.(plan, []);
      return true;
    });
  }

  setReadReplicas(pool: string, identity: string, replicas: readonly HostPort[]): void {
    const st = this.#pools.get(pool);
    if (st === undefined || !st.spec.servers.some((s) => s.identity === identity)) return;
    const before = JSON.stringify(st.readReplicas.get(identity) ?? []);
    if (before === JSON.stringify(replicas)) return;
    if (replicas.length === 0) st.readReplicas.delete(identity);
    else st.readReplicas.set(identity, replicas.map((r) => ({ host: r.host, port: r.port })));
    void this.#replan(`a change of the read replicas in pool ${pool}`);
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** A reload keeps a failover's address unless the file changed that server's address (or dropped the server). */
function keepFailoverState(st: PoolState, pc: PoolConfig, spec: RingSpec): void {
  for (const [id, a] of st.addresses) {
    const s = spec.servers.find((x) => x.identity === id);
    if (s === undefined || `${s.host}:${s.port}` !== a.configured || pc.sentinel === null) st.addresses.delete(id);
  }
  for (const id of st.readReplicas.keys()) if (pc.readFrom === 'master' || !spec.servers.some((x) => x.identity === id)) st.readReplicas.delete(id);
}

function policyOf(pc: PoolConfig) {
  return { autoEject: pc.autoEjectHosts, failureLimit: pc.serverFailureLimit, retryTimeoutMs: pc.serverRetryTimeout };
}

