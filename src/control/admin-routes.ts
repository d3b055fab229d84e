// The control plane's HTTP routes (served by src/admin/): the ring of every
// pool, the config in force (no secrets), a config push, the event stream,
// key migration, and the probes. Each route reads or asks the controller;
// none keeps state of its own. Must not: parse config (the controller does)
// or touch sockets other than the HTTP request's.
import { formatConfig } from '../config/format.js';
import type { Config, PoolConfig } from '../config/index.js';
import { describePlacement } from '../ring/index.js';
import { eventStreamRoute, healthzRoute, readyzRoute, type AdminRoute } from '../admin/index.js';
import type { EventBus } from '../events/bus.js';
import type { Controller } from './controller.js';
import type { MigrationManager } from './migration.js';

const HIDDEN = '(hidden)';

/** The config with every secret replaced: what GET /config shows. */
export function redactedConfig(c: Config): Config {
  return {
    ...c,
    pools: c.pools.map((p): PoolConfig => ({
      ...p,
      redisAuth: p.redisAuth === null ? null : HIDDEN,
      backendAuth: p.backendAuth === null ? null : { username: p.backendAuth.username, password: HIDDEN },
      backendAuthServers: Object.fromEntries(Object.entries(p.backendAuthServers).map(([label, c]) => [label, { username: c.username, password: HIDDEN }])),
    })),
    shardgate: {
      ...c.shardgate,
      admin: { ...c.shardgate.admin, token: c.shardgate.admin.token === null ? null : HIDDEN },
      users: c.shardgate.users.map((u) => ({ ...u, passwordSha256: HIDDEN })),
    },
  };
}

export function ringView(controller: Controller, poolName?: string | null): Record<string, unknown> {
  const pools: Record<string, unknown> = {};
  for (const pc of controller.config.pools) {
    if (poolName && pc.name !== poolName) continue;
    const st = controller.pool(pc.name)!;
    const live = st.spec.servers.map((s) => !st.health.isDown(s.identity));
    const placement = describePlacement({
      distribution: st.spec.distribution, hash: st.spec.hash, hashTag: st.spec.hashTag,
      servers: st.spec.servers.map((s) => ({ name: s.identity, weight: s.weight })), live,
    });
    pools[pc.name] = {
      version: st.version,
      distribution: pc.distribution,
      hash: pc.hash,
      hash_tag: pc.hashTag,
      listen: pc.listen.path ?? `${pc.listen.host}:${pc.listen.port}`,
      servers: st.spec.servers.map((s, i) => ({
        name: s.label,
        identity: s.identity,
        address: s.path ?? `${(st.addresses.get(s.identity)?.at ?? s).host}:${(st.addresses.get(s.identity)?.at ?? s).port}`,
        configured_address: s.path ?? `${s.host}:${s.port}`,
        weight: s.weight,
        live: live[i],
        healthy: live[i] && !st.health.unhealthy().includes(s.identity),
        points: placement.points[i],
        share: Math.round(placement.share[i]! * 1e6) / 1e6,
      })),
      migration: { mode: pc.migration, prior_versions: st.prior.map((p) => p.version) },
    };
  }
  return { generation: controller.generation, pools };
}

export interface RouteDeps {
  controller: Controller;
  bus: EventBus;
  migrations: MigrationManager;
  ready(): { ready: boolean; reasons: string[] };
  /** what the heartbeats see, per pool with `sentinel:` */
  sentinel(): Record<string, unknown>;
}

export function controlRoutes(d: RouteDeps): AdminRoute[] {
  const { controller } = d;
  return [
    {
      method: 'GET', path: '/ring',
      handle: (req) => {
        const pool = req.query.get('pool');
        if (pool !== null && controller.pool(pool) === undefined) return { status: 404, json: { error: { code: 'no_such_pool', message: `no pool '${pool}'` } } };
        return { status: 200, json: ringView(controller, pool) };
      },
    },
    {
      method: 'GET', path: '/config',
      handle: (req) => {
        const shown = redactedConfig(controller.config);
        if (req.query.get('format') === 'yaml') return { status: 200, text: formatConfig(shown), contentType: 'application/yaml; charset=utf-8' };
        return { status: 200, json: { generation: controller.generation, file: shown.file, pools: shown.pools, shardgate: shown.shardgate } };
      },
    },
    {
      method: 'PUT', path: '/config',
      handle: async (req) => {
        const text = req.body.toString('utf8');
        if (text.trim() === '') return { status: 400, json: { error: { code: 'invalid_config', message: 'the body is empty: send the whole config as YAML or JSON' }, errors: [] } };
        const r = await controller.applyText(text, 'api', null);
        if (!r.ok) {
          return { status: 400, json: { error: { code: 'invalid_config', message: r.errors.map((e) => e.message).join('; ') }, errors: r.errors } };
        }
        const status = r.errors.length > 0 ? 500 : 200;
        return { status, json: { generation: r.generation, changed: r.changed, versions: r.versions, live: r.live, restart: r.restart, errors: r.errors } };
      },
    },
    eventStreamRoute(d.bus),
    {
      method: 'GET', path: '/migration',
      handle: (req) => ({ status: 200, json: { pools: d.migrations.view(req.query.get('pool')) } }),
    },
    {
      method: 'POST', path: '/migration',
      handle: (req) => {
        let pool: string | null = null;
        if (req.body.length > 0) {
          try {
            const body = JSON.parse(req.body.toString('utf8')) as { pool?: unknown };
            if (body.pool !== undefined && typeof body.pool !== 'string') throw new Error('pool must be a string');
            pool = (body.pool as string | undefined) ?? null;
          } catch (err) {
            return { status: 400, json: { error: { code: 'bad_request', message: `the body must be JSON like {"pool":"cache"}: ${(err as Error).message}` } } };
          }
        }
        const r = d.migrations.startWalk(pool);
        if ('error' in r) return { status: r.status, json: { error: r.error } };
        return { status: 202, json: { started: r.started } };
      },
    },
    {
      method: 'GET', path: '/sentinel',
      handle: () => ({ status: 200, json: { pools: d.sentinel() } }),
    },
    healthzRoute(),
    readyzRoute(d.ready),
  ];
}
