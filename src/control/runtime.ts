// The control plane of one proxy run, put together: the event bus, the
// controller, key migration, the admin HTTP API (opened, moved or closed as
// the config says), reloading on file change and on SIGHUP, and one log line
// per event. Used by `shardgate proxy` (one process, or the primary of -w N)
// and `shardgate up`. Must not: touch client or backend sockets.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { EventBus } from '../events/bus.js';
import type { ShardgateEvent } from '../events/types.js';
import { startAdminServer, type AdminServer } from '../admin/index.js';
import { listenerShape } from '../security/tls-listener.js';
import { Controller, type Dataplane } from './controller.js';
import { MigrationManager } from './migration.js';
import { controlRoutes } from './admin-routes.js';
import { watchConfigFile, type FileWatch } from './file-watch.js';
import { SentinelManager } from '../sentinel/index.js';
import { Observability, type DataplaneObserver } from './observe.js';

export interface ControlPlaneOptions {
  config: Config;
  /** the config file's text as read at start */
  text: string;
  log: Logger;
  dataplane: Dataplane;
  /** `--admin host:port` from the command line: wins over the file's admin.listen */
  adminListen?: string | null;
  /** reload on SIGHUP (the CLI's processes do; tests in one process may not) */
  sighup?: boolean;
  /** see ControllerOptions.adjust */
  adjust?: (c: Config) => Config;
  /** the serving processes' metrics and slow logs (none: /metrics shows the control plane's only) */
  observe?: DataplaneObserver;
}

const NO_DATAPLANE: DataplaneObserver = { metrics: async () => [], slowlog: async () => [], resetSlowlog: async () => {} };

export interface ControlPlane {
  readonly controller: Controller;
  readonly bus: EventBus;
  readonly migrations: MigrationManager;
  readonly sentinel: SentinelManager;
  readonly observability: Observability;
  /** where the admin API listens, or null */
  adminAddress(): string | null;
  /** shutting down: /readyz answers 503 from now on, reloads stop */
  setDraining(): void;
  close(): Promise<void>;
}

/** Events that are worth a log line of their own (the controller logs reloads itself). */
function logEvent(log: Logger, e: ShardgateEvent): void {
  if (e.type === 'failover') log.warn({ event: e }, `pool ${e.pool}: ${e.server} failed over ${e.old_address} -> ${e.new_address} (${e.mode}), ring version ${e.ring_version}`);
  else if (e.type === 'ring_changed') log.info({ event: e }, `pool ${e.pool}: ring version ${e.old_version} -> ${e.new_version} (${e.reason})`);
  else if (e.type === 'migration_started') log.info({ event: e }, `pool ${e.pool}: ${e.mode} key migration for ring version ${e.ring_version}`);
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const log = o.log;
  const bus = new EventBus({ onSubscriberError: (err) => log.error({ err }, 'event subscriber failed') });
  bus.subscribe((e) => logEvent(log, e));
  const controller = new Controller({ log, bus, dataplane: o.dataplane, adjust: o.adjust });
  const migrations = new MigrationManager(controller, bus, log);
  const sentinel = new SentinelManager(controller, log);
  controller.setPassiveSignals(sentinel);
  let admin: AdminServer | null = null;
  let adminSpec: string | null = null;
  let draining = false;
  const observability = new Observability({ controller, bus, migrations, dataplane: o.observe ?? NO_DATAPLANE, log });
  const routes = [...controlRoutes({
    controller, bus, migrations,
    sentinel: () => sentinel.view(),
    ready: () => {
      const reasons = observability.notReady();
      if (draining) reasons.unshift('shutting down');
      return { ready: reasons.length === 0, reasons };
    },
  }), ...observability.routes()];
  /** what of admin.tls the running admin server was made with (listenerShape) */
  let adminShape = '';
  const syncAdmin = async (config: Config) => {
    const a = config.shardgate.admin;
    const want = o.adminListen ?? a.listen;
    const shape = listenerShape(a.tls);
    if (want === adminSpec && shape === adminShape) {
      admin?.setAuth(a.token, a.authReads);
      // Certificates and keys are re-read on every reload; established connections keep theirs.
      if (a.tls !== null) admin?.setTls(a.tls);
      return;
    }
    if (want === adminSpec && admin !== null) {
      // TLS on or off (or client_certs) on the same address: the old listener must go first.
      await admin.close();
      admin = null;
      adminSpec = null;
    }
    const next = want === null ? null : await startAdminServer({ listen: want, token: a.token, authReads: a.authReads, routes, log, tls: a.tls });
    await admin?.close();
    admin = next;
    adminSpec = want;
    adminShape = shape;
    if (next !== null) log.info(`admin API listening on ${next.scheme}://${next.address}${a.tls === null ? '' : ` (TLS, client_certs ${a.tls.clientCerts})`}`);
  };
  let watch: FileWatch | null = null;
  const syncWatch = async (config: Config) => {
    const want = config.shardgate.watch && config.file !== null;
    if (want && watch === null) {
      watch = watchConfigFile(config.file!, o.text, (text, error) => {
        if (error !== null) log.error(`config file ${config.file}: ${error}`);
        else if (text !== null) void controller.applyText(text, 'file', config.file);
      });
    } else if (!want && watch !== null) {
      await watch.close();
      watch = null;
    }
  };
  controller.setHooks({
    configApplied: async (config, prev) => {
      if (prev !== null && prev.shardgate.logLevel !== config.shardgate.logLevel) log.level = config.shardgate.logLevel;
      await syncAdmin(config).catch((err: Error) => {
        if (prev === null) throw err;
        log.error(`admin API not moved: ${err.message}`);
      });
      await syncWatch(config);
      sentinel.configure(config);
      observability.configure(config);
    },
    planApplied: (plan, changed) => migrations.planApplied(plan, changed),
  });
  await controller.start(o.config, o.text);
  const onHup = () => void controller.reloadFile('sighup');
  if (o.sighup !== false) process.on('SIGHUP', onHup);
  return {
    controller, bus, migrations, sentinel, observability,
    adminAddress: () => admin?.address ?? null,
    setDraining() {
      draining = true;
      process.off('SIGHUP', onHup);
      void watch?.close();
      watch = null;
    },
    async close() {
      draining = true;
      process.off('SIGHUP', onHup);
      migrations.close();
      sentinel.close();
      controller.close();
      observability.close();
      await watch?.close();
      await admin?.close();
    },
  };
}
