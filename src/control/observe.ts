// Observability of the control plane: what the controlling process adds to
// the serving processes' metrics (ring versions and shares, health, key
// migration, event counts, the backends' polled INFO, its own process
// figures), the readiness rule, and the admin routes GET /metrics, GET
// /slowlog, DELETE /slowlog and the status page at GET /. The serving
// processes' own figures come through a DataplaneObserver (this process's
// proxy, or every worker under -w N). Must not: touch client or backend
// sockets, or hold request-path state.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { AdminRoute } from '../admin/index.js';
import type { EventBus } from '../events/bus.js';
import { BackendInfoPoller } from '../metrics/backend-info.js';
import { metricsFrom } from '../metrics/table.js';
import { EXPOSITION_CONTENT_TYPE, metricSet, renderExposition, type MetricJson } from '../metrics/series.js';
import { processMetrics } from '../metrics/process.js';
import type { SlowEntry } from '../metrics/slowlog.js';
import { STATUS_PAGE } from '../status/page.js';
import type { Controller } from './controller.js';
import type { MigrationManager } from './migration.js';
import { ringView } from './admin-routes.js';

/** The serving processes as observability sees them. */
export interface DataplaneObserver {
  /** one metrics document per serving process */
  metrics(): Promise<MetricJson[][]>;
  /** every serving process's slow log, newest first, at most n (all for n < 0) */
  slowlog(n: number): Promise<SlowEntry[]>;
  resetSlowlog(): Promise<void>;
}

interface RingServer { name: string; live: boolean; healthy: boolean; share: number }
interface RingPool { version: number; servers: RingServer[] }

export class Observability {
  readonly poller: BackendInfoPoller;
  readonly #controller: Controller;
  readonly #migrations: MigrationManager;
  readonly #dataplane: DataplaneObserver;
  readonly #events = new Map<string, number>();
  /** failovers by pool, then server label (the events carry both) */
  readonly #failovers = new Map<string, Map<string, number>>();
  readonly #unsubscribe: () => void;

  constructor(o: { controller: Controller; bus: EventBus; migrations: MigrationManager; dataplane: DataplaneObserver; log: Logger }) {
    this.#controller = o.controller;
    this.#migrations = o.migrations;
    this.#dataplane = o.dataplane;
    this.poller = new BackendInfoPoller(o.log);
    this.#unsubscribe = o.bus.subscribe((e) => {
      this.#events.set(e.type, (this.#events.get(e.type) ?? 0) + 1);
      if (e.type === 'failover') {
        const byServer = this.#failovers.get(e.pool) ?? new Map<string, number>();
        byServer.set(e.server, (byServer.get(e.server) ?? 0) + 1);
        this.#failovers.set(e.pool, byServer);
      }
    });
  }

  /** A config was applied: poll its servers at its interval. */
  configure(config: Config): void {
    this.poller.configure(config, config.shardgate.metrics.infoInterval);
  }

  /**
   * Why the proxy is not ready (empty: ready): in each pool at least
   * `ready_min_live_percent` of the servers (and at least one) must be in the
   * ring and, with INFO polling on, have answered their last poll.
   */
  notReady(): string[] {
    const reasons: string[] = [];
    const config = this.#controller.config;
    const pct = config.shardgate.admin.readyMinLivePercent;
    const polling = config.shardgate.metrics.infoInterval > 0;
    for (const pc of config.pools) {
      const st = this.#controller.pool(pc.name)!;
      const n = st.spec.servers.length;
      const need = Math.max(1, Math.ceil((n * pct) / 100));
      let reachable = 0;
      for (const s of st.spec.servers) {
        if (st.health.isDown(s.identity)) continue;
        const info = polling ? this.poller.get(pc.name, s.label) : null;
        if (info !== null && info.at > 0 && !info.up) continue;
        reachable++;
      }
      if (reachable < need) reasons.push(`pool ${pc.name}: ${reachable} of ${n} servers reachable, ${need} needed`);
    }
    return reasons;
  }

  /** The controlling process's own metrics (sources control, backend, process). */
  controlMetrics(): MetricJson[] {
    const set = metricSet([...metricsFrom('control'), ...metricsFrom('backend')]);
    const put = (name: string, labels: Record<string, string | number>, value: number | null) => {
      if (value !== null) set.get(name)!.values.push({ labels, value });
    };
    put('shardgate_config_generation', {}, this.#controller.generation);
    const ring = ringView(this.#controller).pools as Record<string, RingPool>;
    const migration = this.#migrations.view(null) as Record<string, { scanned: number; moved: number }>;
    for (const pc of this.#controller.config.pools) {
      const pool = pc.name;
      const rp = ring[pool]!;
      const st = this.#controller.pool(pool)!;
      put('shardgate_ring_version', { pool }, rp.version);
      put('shardgate_migration_active', { pool }, st.prior.length > 0 ? 1 : 0);
      put('shardgate_migration_scanned_keys', { pool }, migration[pool]?.scanned ?? 0);
      put('shardgate_migration_moved_keys', { pool }, migration[pool]?.moved ?? 0);
      for (const s of rp.servers) {
        const labels = { pool, server: s.name };
        put('shardgate_server_up', labels, s.healthy ? 1 : 0);
        put('shardgate_failovers_total', labels, this.#failovers.get(pool)?.get(s.name) ?? 0);
        put('shardgate_server_share', labels, s.share);
        const info = this.poller.get(pool, s.name);
        if (info === null || info.at === 0) continue;
        put('shardgate_backend_info_up', labels, info.up ? 1 : 0);
        for (const def of metricsFrom('backend')) {
          if (def.field === 'up' || def.field === 'role') continue;
          put(def.name, labels, info[def.field as keyof typeof info] as number | null);
        }
        if (info.role !== null) put('shardgate_backend_role', { ...labels, role: info.role }, 1);
      }
    }
    for (const [type, n] of this.#events) put('shardgate_events_total', { type }, n);
    return [...set.values()];
  }

  /** Every process's metrics as the text exposition (the serving processes' summed). */
  async exposition(): Promise<string> {
    const docs = await this.#dataplane.metrics();
    return renderExposition([...docs, [...this.controlMetrics(), ...processMetrics()]]);
  }

  routes(): AdminRoute[] {
    return [
      {
        method: 'GET', path: '/metrics',
        handle: async () => ({ status: 200, text: await this.exposition(), contentType: EXPOSITION_CONTENT_TYPE }),
      },
      {
        method: 'GET', path: '/slowlog',
        handle: async (req) => {
          const text = req.query.get('count');
          const n = text === null ? 128 : Number(text);
          if (!Number.isInteger(n) || n < -1) return { status: 400, json: { error: { code: 'bad_request', message: `count must be an integer >= -1 (-1: all), got '${text}'` } } };
          const entries = await this.#dataplane.slowlog(n);
          return { status: 200, json: { entries: entries.map((e) => ({ id: e.id, time: e.time, duration_us: e.durationUs, pool: e.pool, args: e.args, client: e.client, backend: e.info.replace(/^backend=/, '') })) } };
        },
      },
      {
        method: 'DELETE', path: '/slowlog',
        handle: async () => {
          await this.#dataplane.resetSlowlog();
          return { status: 200, json: { reset: true } };
        },
      },
      {
        method: 'GET', path: '/', public: true,
        handle: () => ({ status: 200, text: STATUS_PAGE, contentType: 'text/html; charset=utf-8' }),
      },
    ];
  }

  close(): void {
    this.#unsubscribe();
    this.poller.close();
  }
}
