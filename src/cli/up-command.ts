// `shardgate up` (what `npm start` runs): a local cluster — one backend per
// local server address in the config (built-in nodes by default, redis-server
// with --backend redis), a replica for each, and the proxy in front, with the
// nutcracker stats port. Prints where everything listens and what happens to
// its processes. SIGINT, SIGTERM, SIGHUP, or the death of its own parent stop
// it all; a second signal kills the backends at once. Must not leave a process
// behind that it started: docs/deploy.md says what it does when one dies.
import path from 'node:path';
import type net from 'node:net';
import { Command, Option } from 'commander';
import { loadConfigOrReport } from './load-config.js';
import { createLogger } from '../log/index.js';
import { startInProcess } from '../proxy/workers.js';
import { startStatsServer, statsDocument } from '../stats/server.js';
import { LocalCluster, RESTART_LIMIT, RESTART_WINDOW_MS, type BackendKind, type ClusterEvent, type LocalProcess } from '../cluster/local.js';
import { VERSION } from './version.js';
import { withLocalFailover } from '../sentinel/local-cluster.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const PARENT_POLL_MS = 500;
/** Restart delay of a dead backend when failover is on: past failover's detection (3 × 500 ms + a heartbeat) */
const UP_RESTART_DELAY_MS = 3000;

interface UpFlags { confFile: string; backend: BackendKind; data: string; replicaOffset: string; statsPort: string; admin?: string }

function say(s: string): void { process.stdout.write(`${s}\n`); }
function warn(s: string): void { process.stderr.write(`shardgate up: ${s}\n`); }

function describeProcess(p: LocalProcess, pid: number): string {
  const what = p.kind === 'node' ? 'built-in node' : 'redis-server';
  return `${p.role} 127.0.0.1:${p.port} (${what}, pid ${pid})`;
}

function restartCommand(p: LocalProcess): string {
  const replica = p.replicaOf === null ? '' : p.kind === 'node' ? ` --replicaof "127.0.0.1 ${p.replicaOf}"` : ` --replicaof 127.0.0.1 ${p.replicaOf}`;
  return p.kind === 'node'
    ? `shardgate node --port ${p.port} --bind 127.0.0.1 --dir ${p.dataDir} --appendonly yes${replica}`
    : `redis-server --port ${p.port} --bind 127.0.0.1 --dir ${p.dataDir} --appendonly yes --save ''${replica}`;
}

/** Words one supervision event for the user (stderr). */
export function describeClusterEvent(e: ClusterEvent): string {
  if (e.type === 'restarted') return `${describeProcess(e.process, e.pid)} is back and listening`;
  if (e.type === 'restart-failed') return `${e.process.role} 127.0.0.1:${e.process.port} was restarted but ${e.reason}; the proxy keeps running`;
  const how = e.signal !== null ? `died by ${e.signal}` : `exited with code ${e.code}`;
  const tail = e.outputTail.trim().split('\n').slice(-3).join('\n    ');
  const last = tail === '' ? '' : `\n    last output: ${tail}`;
  const action = e.restart !== null
    ? `restarting it with the same data folder (restart ${e.restart.attempt} of ${e.restart.limit} allowed within ${RESTART_WINDOW_MS / 1000} s)`
    : `it was restarted ${RESTART_LIMIT} times within ${RESTART_WINDOW_MS / 1000} s, so it stays down; the proxy keeps running `
      + `(auto_eject_hosts takes it out of the ring, else its keys get errors); start it by hand with: ${restartCommand(e.process)}`;
  return `${describeProcess(e.process, e.pid)} ${how}; ${action}${last}`;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start a local cluster (3 masters + replicas) and the proxy in front of it')
    .addOption(new Option('-c, --conf-file <file>', 'proxy configuration (its local servers are started)').default('proxy.yaml'))
    .addOption(new Option('--backend <kind>', 'backend processes: built-in nodes or redis-server').choices(['node', 'redis']).default('node'))
    .addOption(new Option('--data <dir>', 'data folder for persistence').default('data'))
    .addOption(new Option('--replica-offset <n>', 'replica port = master port + n (0 = no replicas)').default('100'))
    .addOption(new Option('-s, --stats-port <port>', 'nutcracker stats port (0 = off)').default('22222'))
    .option('--admin <host:port>', 'admin HTTP API address (default: shardgate.admin.listen in the config)')
    .action(async (flags: UpFlags) => { await runUp(flags); });
}

async function runUp(flags: UpFlags): Promise<void> {
  const loaded = loadConfigOrReport(flags.confFile, 'shardgate up: ');
  if (loaded === null) return;
  const { config, text } = loaded;
  // A closed terminal turns writes into EPIPE errors: they must not crash us and orphan the backends.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const log = createLogger({ level: process.env.SHARDGATE_LOG_LEVEL ?? 'warn' });
  const ports = [...new Set(config.pools.flatMap((p) => p.servers.filter((s) => s.host !== null && LOCAL_HOSTS.has(s.host)).map((s) => s.port)))];
  // With failover on (replicas), a dead master is started again only after its replica took over (heartbeats
  // notice within 3 × 500 ms), so it comes back as that replica's replica instead of racing it.
  const failover = Number(flags.replicaOffset) > 0;
  const cluster = new LocalCluster((e) => warn(describeClusterEvent(e)), { restartDelayMs: failover ? UP_RESTART_DELAY_MS : undefined });
  let running: Awaited<ReturnType<typeof startInProcess>> | null = null;
  let stats: net.Server | null = null;
  let stopping = false;
  // Last resort: whatever way this process exits, no backend outlives it.
  process.once('exit', () => cluster.killNow());
  const stopAll = async (code: number, why: string | null): Promise<void> => {
    if (stopping) {
      warn('second stop request: killing the backends now');
      cluster.killNow();
      process.exit(code === 0 ? 1 : code);
    }
    stopping = true;
    if (why !== null) warn(`${why}: stopping the proxy and ${cluster.processes.length} backends`);
    await running?.control.close().catch(() => undefined);
    await running?.proxy.close().catch(() => undefined);
    stats?.close();
    await cluster.stop();
    process.exit(code);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, () => void stopAll(0, sig));
  process.on('uncaughtException', (err) => { warn(`internal error: ${err.stack ?? err.message}`); void stopAll(1, 'internal error'); });
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) void stopAll(0, `parent process ${parent} exited`); }, PARENT_POLL_MS).unref();

  say(`shardgate ${VERSION} up (pid ${process.pid}): starting ${ports.length} ${flags.backend === 'node' ? 'built-in nodes' : 'redis-servers'} (+ replicas) under ${path.resolve(flags.data)}`);
  try {
    await cluster.start(flags.backend, ports, flags.data, Number(flags.replicaOffset));
    // SIGHUP stops `up` (the terminal closed) instead of reloading: the config file is watched, and PUT /config reloads too.
    // Its replicas take over when one of its nodes dies (pools that configure failover themselves keep theirs).
    const adjust = (c: typeof config) => withLocalFailover(c, Number(flags.replicaOffset));
    running = await startInProcess({ config, text, log, version: VERSION, adminListen: flags.admin ?? null, sighup: false, adjust });
    const proxy = running.proxy;
    const sp = Number(flags.statsPort);
    if (sp > 0) stats = await startStatsServer(() => statsDocument(proxy, VERSION), '127.0.0.1', sp).catch(() => null);
  } catch (err) {
    warn((err as Error).message);
    await stopAll(1, null);
    return;
  }
  const proxy = running!.proxy;
  for (const p of cluster.processes) say(`  ${p.role.padEnd(7)} 127.0.0.1:${p.port}  (pid ${p.child.pid}, data ${p.dataDir})`);
  for (const p of proxy.pools) say(`  proxy   ${p.address}  pool '${p.runtime.config.name}' (${p.runtime.config.distribution}/${p.runtime.config.hash}, ${p.runtime.servers.length} servers)`);
  if (failover) say(`  failover local: a master that misses 3 heartbeats (500 ms apart) is replaced by its replica (port + ${flags.replicaOffset}); a dead node is restarted after ${UP_RESTART_DELAY_MS} ms and made a replica of the new master`);
  if (stats) say(`  stats   127.0.0.1:${flags.statsPort}  (nutcracker JSON)`);
  const admin = running!.control.adminAddress();
  if (admin !== null) say(`  admin   http://${admin}  (GET /ring, /config, /events; reloads ${path.basename(flags.confFile)} when it changes)`);
  say(`ready: try  redis-cli -p ${proxy.pools[0]?.address.split(':').pop()} set hello world   (Ctrl-C stops everything)`);
}
