// Running the proxy in one process or in N worker processes sharing the
// listen addresses (node:cluster; the primary hands each new connection to a
// worker). One process decides: in one process it is that process; under
// -w N it is the primary, which runs the controller (config, reloads, health,
// versions, migration, the admin API, heartbeats and failover) and sends every
// plan to every worker, so all of them serve the same ring version; it also
// forwards every control-plane event, for clients SUBSCRIBEd on a worker. Workers hold the client and
// backend connections and report backend failures to the primary. The
// primary also serves the stats port, summing the workers' documents, and
// restarts a worker that dies (it gets the current plan). Must not know about
// routing.
import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import type { Logger } from 'pino';
import { parseConfig, type Config } from '../config/index.js';
import { Proxy, type ApplyOutcome } from './index.js';
import type { ControlLink } from './server-pool.js';
import type { FailureKind } from './backend.js';
import { startStatsServer, statsDocument } from '../stats/server.js';
import { aggregateStats } from '../stats/aggregate.js';
import { startControlPlane, type ControlPlane } from '../control/runtime.js';
import type { DataplaneObserver } from '../control/observe.js';
import { dataplaneMetrics } from '../metrics/dataplane.js';
import { processMetrics } from '../metrics/process.js';
import type { MetricJson } from '../metrics/series.js';
import { slowlog, type SlowEntry } from '../metrics/slowlog.js';
import type { Dataplane } from '../control/controller.js';
import type { DataplanePlan } from '../topology/plan.js';
import type { ShardgateEvent } from '../events/types.js';

export interface RunOptions {
  config: Config;
  /** the config file's text as read */
  text: string;
  log: Logger;
  version: string;
  workers: number;
  statsHost: string;
  statsPort: number;
  pidFile: string | null;
  /** `--admin host:port` */
  adminListen: string | null;
}

/** What the primary asks every worker (answered with a shardgate:answer of the same id). */
type Question = { what: 'stats' } | { what: 'metrics' } | { what: 'slowlog'; n: number } | { what: 'slowlog-reset' };

type ToWorker =
  | { type: 'shardgate:ask'; id: number; q: Question }
  | { type: 'shardgate:plan'; plan: DataplanePlan }
  /** a control-plane event, for the workers' `SUBSCRIBE __shardgate__:events` clients */
  | { type: 'shardgate:event'; event: ShardgateEvent };
type FromWorker =
  | { type: 'shardgate:ready' }
  | { type: 'shardgate:answer'; id: number; value: unknown }
  | { type: 'shardgate:applied'; generation: number; errors: string[]; fatal: boolean }
  | { type: 'shardgate:signal'; kind: 'failed'; pool: string; identity: string; label: string; failure: FailureKind; reason: string }
  | { type: 'shardgate:signal'; kind: 'recovered'; pool: string; identity: string; label: string };

/** SIGTERM / SIGINT start a graceful stop; a second one exits at once. */
function onSignals(log: Logger, stop: (sig: string) => void): void {
  let first: string | null = null;
  const on = (sig: string) => {
    if (first === null) {
      first = sig;
      stop(sig);
      return;
    }
    log.warn(`${sig} during the graceful stop (${first}): exiting now`);
    log.flush?.();
    process.exit(1);
  };
  process.on('SIGTERM', () => on('SIGTERM'));
  process.on('SIGINT', () => on('SIGINT'));
}

/** Answer what was read, then close: the order of a graceful stop in one serving process. */
async function drainAndClose(proxy: Proxy, log: Logger, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  const { clients, left } = await proxy.drain(timeoutMs);
  log.info({ clients, left, ms: Date.now() - t0 }, left === 0
    ? `drained: ${clients} clients answered and closed in ${Date.now() - t0} ms`
    : `drain timeout (${timeoutMs} ms): closing ${left} of ${clients} clients with replies still owed`);
  await proxy.close();
}

async function statsPortOrNull(source: () => Promise<Record<string, unknown>> | Record<string, unknown>, o: RunOptions) {
  if (o.statsPort <= 0) return null;
  return startStatsServer(source, o.statsHost, o.statsPort).catch((err: Error) => {
    o.log.error({ err }, `stats port ${o.statsHost}:${o.statsPort} unavailable; continuing without it`);
    return null;
  });
}

/** A ControlLink whose target is set once the controller exists (the proxy is made first). */
export class DeferredControlLink implements ControlLink {
  target: ControlLink | null = null;
  backendFailed(pool: string, identity: string, label: string, kind: FailureKind, reason: string): void {
    this.target?.backendFailed(pool, identity, label, kind, reason);
  }
  backendRecovered(pool: string, identity: string, label: string): void {
    this.target?.backendRecovered(pool, identity, label);
  }
}

/** What a serving process answers the primary (or its own control plane). */
function answer(proxy: Proxy, version: string, q: Question, withProcess: boolean): unknown {
  switch (q.what) {
    case 'stats': return statsDocument(proxy, version);
    case 'metrics': return withProcess ? [...dataplaneMetrics(proxy), ...processMetrics()] : dataplaneMetrics(proxy);
    case 'slowlog': return slowlog.get(q.n);
    case 'slowlog-reset': slowlog.reset(); return true;
  }
}

/** A DataplaneObserver over processes that answer questions (`ask` returns one answer per process). */
function observerOf(ask: (q: Question) => Promise<unknown[]>): DataplaneObserver {
  return {
    metrics: async () => (await ask({ what: 'metrics' })) as MetricJson[][],
    slowlog: async (n) => {
      const all = ((await ask({ what: 'slowlog', n })) as SlowEntry[][]).flat().sort((a, b) => b.time - a.time || b.id - a.id);
      return n < 0 ? all : all.slice(0, n);
    },
    resetSlowlog: async () => { await ask({ what: 'slowlog-reset' }); },
  };
}

/** The proxy and its control plane in this one process (also what `shardgate up` runs). */
export async function startInProcess(o: { config: Config; text: string; log: Logger; version: string; adminListen: string | null; sighup?: boolean; adjust?: (c: Config) => Config }): Promise<{ proxy: Proxy; control: ControlPlane }> {
  const link = new DeferredControlLink();
  const proxy = new Proxy({ log: o.log, version: o.version, control: link });
  const dataplane: Dataplane = { apply: async (plan, config) => [await proxy.apply(config, plan)] };
  const observe = observerOf(async (q) => [answer(proxy, o.version, q, false)]);
  const control = await startControlPlane({ config: o.config, text: o.text, log: o.log, dataplane, adminListen: o.adminListen, sighup: o.sighup, observe, adjust: o.adjust });
  link.target = control.controller;
  control.bus.subscribe((e) => proxy.events.publish(e));
  return { proxy, control };
}

/** Start the proxy as this process's job; resolves once it listens. */
export async function runProxy(o: RunOptions): Promise<void> {
  if (cluster.isWorker) return runWorker(o);
  if (o.workers > 1) return runPrimary(o);
  const { proxy, control } = await startInProcess(o);
  const stats = await statsPortOrNull(() => statsDocument(proxy, o.version), o);
  if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`);
  onSignals(o.log, (sig) => {
    o.log.info(`${sig}: shutting down (not ready; answering what was read, at most ${o.config.shardgate.drainTimeout} ms)`);
    control.setDraining();
    stats?.close();
    void drainAndClose(proxy, o.log, control.controller.config.shardgate.drainTimeout)
      .then(() => control.close()).then(() => exitClean(o));
  });
}

function exitClean(o: RunOptions): void {
  if (o.pidFile) try { fs.unlinkSync(o.pidFile); } catch { /* gone */ }
  o.log.flush?.();
  process.exit(0);
}

/** A worker: applies the primary's plans, reports its backends' failures. */
function runWorker(o: RunOptions): Promise<void> {
  const send = (m: FromWorker) => { if (process.connected) process.send!(m); };
  const link: ControlLink = {
    backendFailed: (pool, identity, label, failure, reason) => send({ type: 'shardgate:signal', kind: 'failed', pool, identity, label, failure, reason }),
    backendRecovered: (pool, identity, label) => send({ type: 'shardgate:signal', kind: 'recovered', pool, identity, label }),
  };
  const proxy = new Proxy({ log: o.log, version: o.version, control: link, countsEjections: process.env.SHARDGATE_WORKER_INDEX === '0' });
  let chain: Promise<unknown> = Promise.resolve();
  process.on('message', (m: ToWorker) => {
    if (m?.type === 'shardgate:ask') {
      send({ type: 'shardgate:answer', id: m.id, value: answer(proxy, o.version, m.q, true) });
    } else if (m?.type === 'shardgate:event') {
      proxy.events.publish(m.event);
    } else if (m?.type === 'shardgate:plan') {
      // Plans apply one after another, in the order the primary made them.
      chain = chain.then(async () => {
        const first = proxy.generation === 0;
        let outcome: ApplyOutcome;
        try {
          const config = m.plan.text === '' ? o.config : parseConfig(m.plan.text, m.plan.file ?? undefined);
          outcome = await proxy.apply(config, m.plan);
        } catch (err) {
          send({ type: 'shardgate:applied', generation: m.plan.generation, errors: [(err as Error).message], fatal: first });
          return;
        }
        send({ type: 'shardgate:applied', generation: outcome.generation, errors: outcome.errors, fatal: false });
      });
    }
  });
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) process.exit(1);
    stopping = true;
    void drainAndClose(proxy, o.log, proxy.config?.shardgate.drainTimeout ?? o.config.shardgate.drainTimeout).then(() => process.exit(0));
  });
  process.on('SIGINT', () => { /* the primary decides */ });
  process.on('SIGHUP', () => { /* the primary reloads */ });
  // Messages sent before this process listens for them would be lost: the primary waits for this.
  send({ type: 'shardgate:ready' });
  return Promise.resolve();
}

/** The primary under -w N: the controller, the admin API and the stats port; workers serve. */
async function runPrimary(o: RunOptions): Promise<void> {
  const workers = new Map<Worker, number>();
  /** workers that listen for plans (a plan goes only to those; one that gets ready later catches up) */
  const ready = new Set<Worker>();
  let stopping = false;
  let nextId = 1;
  let control: ControlPlane | null = null;
  const pendingAsks = new Map<number, { answers: unknown[]; left: number; done: (a: unknown[]) => void }>();
  const pendingApply = new Map<Worker, { generation: number; done: (o: ApplyOutcome) => void }[]>();
  const fork = (index: number) => {
    const w = cluster.fork({ SHARDGATE_WORKER_INDEX: String(index) });
    workers.set(w, index);
    pendingApply.set(w, []);
    w.on('message', (m: FromWorker) => {
      if (m?.type === 'shardgate:ready') {
        ready.add(w);
        w.emit('shardgate:ready');
        // A worker started after the first plan (a restart) catches up at once.
        const plan = control?.controller.lastPlan;
        if (plan) w.send({ type: 'shardgate:plan', plan } satisfies ToWorker);
      } else if (m?.type === 'shardgate:answer') {
        const p = pendingAsks.get(m.id);
        if (!p) return;
        p.answers.push(m.value);
        if (--p.left === 0) { pendingAsks.delete(m.id); p.done(p.answers); }
      } else if (m?.type === 'shardgate:applied') {
        if (m.fatal) {
          process.stderr.write(`shardgate: ${m.errors.join('; ')}\n`);
          stopping = true;
          for (const x of workers.keys()) x.process.kill('SIGKILL');
          process.exit(1);
        }
        const q = pendingApply.get(w) ?? [];
        while (q.length > 0 && q[0]!.generation <= m.generation) q.shift()!.done({ generation: m.generation, errors: m.errors });
      } else if (m?.type === 'shardgate:signal') {
        const c = control?.controller;
        if (m.kind === 'failed') c?.backendFailed(m.pool, m.identity, m.label, m.failure, m.reason);
        else c?.backendRecovered(m.pool, m.identity);
      }
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      ready.delete(w);
      for (const p of pendingApply.get(w) ?? []) p.done({ generation: p.generation, errors: [`worker ${index} exited`] });
      pendingApply.delete(w);
      if (!stopping) {
        o.log.error({ code, signal }, 'worker died; starting another');
        fork(index);
      }
    });
  };
  for (let i = 0; i < o.workers; i++) fork(i);
  const dataplane: Dataplane = {
    apply: (plan) => Promise.all([...ready].map((w) => new Promise<ApplyOutcome>((resolve) => {
      const t = setTimeout(() => resolve({ generation: plan.generation, errors: [`worker ${workers.get(w)} did not confirm plan ${plan.generation} within 10 s`] }), 10_000);
      pendingApply.get(w)!.push({ generation: plan.generation, done: (r) => { clearTimeout(t); resolve(r); } });
      w.send({ type: 'shardgate:plan', plan } satisfies ToWorker);
    }))),
  };
  /** Every connected worker's answer; after 2 s, the answers that came. */
  const ask = (q: Question): Promise<unknown[]> => new Promise((resolve) => {
    const id = nextId++;
    const live = [...workers.keys()].filter((w) => w.isConnected());
    if (live.length === 0) return resolve([]);
    const answers: unknown[] = [];
    const t = setTimeout(() => { pendingAsks.delete(id); resolve(answers); }, 2000);
    pendingAsks.set(id, { answers, left: live.length, done: (a) => { clearTimeout(t); resolve(a); } });
    for (const w of live) w.send({ type: 'shardgate:ask', id, q } satisfies ToWorker);
  });
  await Promise.all([...workers.keys()].map((w) => new Promise<void>((resolve) => w.once('shardgate:ready', () => resolve()))));
  control = await startControlPlane({ config: o.config, text: o.text, log: o.log, dataplane, adminListen: o.adminListen, observe: observerOf(ask) });
  // Every worker's subscribed clients hear every event (the primary decides; workers only serve).
  control.bus.subscribe((event) => { for (const w of ready) if (w.isConnected()) w.send({ type: 'shardgate:event', event } satisfies ToWorker); });
  o.log.info({ workers: o.workers }, `${o.workers} workers listening`);
  const stats = await statsPortOrNull(async () => aggregateStats((await ask({ what: 'stats' })) as Record<string, unknown>[]), o);
  if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`);
  onSignals(o.log, (sig) => {
    stopping = true;
    o.log.info(`${sig}: stopping ${workers.size} workers (each answers what it read first)`);
    control?.setDraining();
    stats?.close();
    const all = [...workers.keys()].map((w) => new Promise<void>((resolve) => { w.once('exit', () => resolve()); w.process.kill('SIGTERM'); }));
    void Promise.all(all).then(() => control?.close()).then(() => exitClean(o));
  });
}
