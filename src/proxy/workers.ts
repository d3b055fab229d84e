// Running the proxy in one process or in N worker processes sharing the
// listen addresses (node:cluster; the primary hands each new connection to a
// worker). Each worker has its own backend connections. The primary serves
// the stats port, summing the workers' documents; it restarts a worker that
// dies. Must not know about routing.
import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { Proxy } from './index.js';
import { startStatsServer, statsDocument } from '../stats/server.js';
import { aggregateStats } from '../stats/aggregate.js';

export interface RunOptions {
  config: Config;
  log: Logger;
  version: string;
  workers: number;
  statsHost: string;
  statsPort: number;
  pidFile: string | null;
}

interface StatsRequest { type: 'shardgate:stats'; id: number }
interface StatsReply { type: 'shardgate:stats-reply'; id: number; doc: Record<string, unknown> }

function onSignals(stop: (sig: string) => void): void {
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function statsPortOrNull(source: () => Promise<Record<string, unknown>> | Record<string, unknown>, o: RunOptions) {
  if (o.statsPort <= 0) return null;
  return startStatsServer(source, o.statsHost, o.statsPort).catch((err: Error) => {
    o.log.error({ err }, `stats port ${o.statsHost}:${o.statsPort} unavailable; continuing without it`);
    return null;
  });
}

/** Start the proxy as this process's job; resolves once it listens. */
export async function runProxy(o: RunOptions): Promise<void> {
  if (o.workers > 1 && cluster.isPrimary) return runPrimary(o);
  const proxy = new Proxy({ log: o.log, version: o.version });
  await proxy.start(o.config);
  if (cluster.isWorker) {
    process.on('message', (m: StatsRequest) => {
      if (m?.type === 'shardgate:stats') process.send!({ type: 'shardgate:stats-reply', id: m.id, doc: statsDocument(proxy, o.version) } satisfies StatsReply);
    });
    process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
    process.on('SIGINT', () => { /* the primary decides */ });
    return;
  }
  const stats = await statsPortOrNull(() => statsDocument(proxy, o.version), o);
  if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`);
  let stopping = false;
  onSignals((sig) => {
    if (stopping) return;
    stopping = true;
    o.log.info(`${sig}: shutting down`);
    stats?.close();
    void proxy.close().then(() => exitClean(o));
  });
}

function exitClean(o: RunOptions): void {
  if (o.pidFile) try { fs.unlinkSync(o.pidFile); } catch { /* gone */ }
  o.log.flush?.();
  process.exit(0);
}

async function runPrimary(o: RunOptions): Promise<void> {
  const workers = new Set<Worker>();
  let stopping = false;
  let nextId = 1;
  const pending = new Map<number, { docs: Record<string, unknown>[]; left: number; done: (d: Record<string, unknown>[]) => void }>();
  const fork = () => {
    const w = cluster.fork();
    workers.add(w);
    w.on('message', (m: StatsReply) => {
      if (m?.type !== 'shardgate:stats-reply') return;
      const p = pending.get(m.id);
      if (!p) return;
      p.docs.push(m.doc);
      if (--p.left === 0) { pending.delete(m.id); p.done(p.docs); }
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      if (!stopping) {
        o.log.error({ code, signal }, 'worker died; starting another');
        fork();
      }
    });
  };
  for (let i = 0; i < o.workers; i++) fork();
  await Promise.all([...workers].map((w) => new Promise<void>((resolve) => w.once('listening', () => resolve()))));
  o.log.info({ workers: o.workers }, `${o.workers} workers listening`);
  const ask = (): Promise<Record<string, unknown>> => new Promise((resolve) => {
    const id = nextId++;
    const live = [...workers].filter((w) => w.isConnected());
    if (live.length === 0) return resolve({});
    const t = setTimeout(() => { pending.delete(id); resolve(aggregateStats([])); }, 2000);
    pending.set(id, { docs: [], left: live.length, done: (docs) => { clearTimeout(t); resolve(aggregateStats(docs)); } });
    for (const w of live) w.send({ type: 'shardgate:stats', id } satisfies StatsRequest);
  });
  const stats = await statsPortOrNull(ask, o);
  if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`);
  onSignals((sig) => {
    if (stopping) return;
    stopping = true;
    o.log.info(`${sig}: stopping ${workers.size} workers`);
    stats?.close();
    const all = [...workers].map((w) => new Promise<void>((resolve) => { w.once('exit', () => resolve()); w.process.kill('SIGTERM'); }));
    void Promise.all(all).then(() => exitClean(o));
  });
}
