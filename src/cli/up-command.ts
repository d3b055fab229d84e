// `shardgate up` (what `npm start` runs): a local cluster — one backend per
// local server address in the config (built-in nodes by default, redis-server
// with --backend redis), a replica for each, and the proxy in front, with the
// nutcracker stats port. Prints where everything listens; Ctrl-C stops it all.
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfigOrReport } from './load-config.js';
import { createLogger } from '../log/index.js';
import { startInProcess } from '../proxy/workers.js';
import { startStatsServer, statsDocument } from '../stats/server.js';
import { LocalCluster, type BackendKind } from '../cluster/local.js';
import { VERSION } from './version.js';
import { withLocalFailover } from '../sentinel/local-cluster.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);

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
    .action(async (flags: { confFile: string; backend: BackendKind; data: string; replicaOffset: string; statsPort: string; admin?: string }) => {
      const loaded = loadConfigOrReport(flags.confFile, 'shardgate up: ');
      if (loaded === null) return;
      const { config, text } = loaded;
      const log = createLogger({ level: process.env.SHARDGATE_LOG_LEVEL ?? 'warn' });
      const ports = [...new Set(config.pools.flatMap((p) => p.servers.filter((s) => s.host !== null && LOCAL_HOSTS.has(s.host)).map((s) => s.port)))];
      const cluster = new LocalCluster();
      const say = (s: string) => process.stdout.write(`${s}\n`);
      say(`shardgate ${VERSION}: starting ${ports.length} ${flags.backend === 'node' ? 'built-in nodes' : 'redis-servers'} (+ replicas) under ${path.resolve(flags.data)}`);
      let running: Awaited<ReturnType<typeof startInProcess>> | null = null;
      const stopAll = async (code: number) => {
        await running?.control.close().catch(() => undefined);
        await running?.proxy.close().catch(() => undefined);
        stats?.close();
        await cluster.stop();
        process.exit(code);
      };
      let stats: import('node:net').Server | null = null;
      try {
        await cluster.start(flags.backend, ports, flags.data, Number(flags.replicaOffset));
        // Its replicas take over when one of its nodes dies (pools that configure failover themselves keep theirs).
        const adjust = (c: typeof config) => withLocalFailover(c, Number(flags.replicaOffset));
        running = await startInProcess({ config, text, log, version: VERSION, adminListen: flags.admin ?? null, adjust });
        const proxy = running.proxy;
        const sp = Number(flags.statsPort);
        if (sp > 0) stats = await startStatsServer(() => statsDocument(proxy, VERSION), '127.0.0.1', sp).catch(() => null);
      } catch (err) {
        process.stderr.write(`shardgate up: ${(err as Error).message}\n`);
        await stopAll(1);
        return;
      }
      const proxy = running!.proxy;
      for (const p of cluster.processes) say(`  ${p.role.padEnd(7)} 127.0.0.1:${p.port}  (pid ${p.child.pid}, data ${p.dataDir})`);
      for (const p of proxy.pools) say(`  proxy   ${p.address}  pool '${p.runtime.config.name}' (${p.runtime.config.distribution}/${p.runtime.config.hash}, ${p.runtime.servers.length} servers)`);
      if (Number(flags.replicaOffset) > 0) say(`  failover local: a master that misses 3 heartbeats (500 ms apart) is replaced by its replica (port + ${flags.replicaOffset})`);
      if (stats) say(`  stats   127.0.0.1:${flags.statsPort}  (nutcracker JSON)`);
      const admin = running!.control.adminAddress();
      if (admin !== null) say(`  admin   http://${admin}  (GET /ring, /config, /events; reloads ${path.basename(flags.confFile)} when it changes)`);
      say(`ready: try  redis-cli -p ${proxy.pools[0]?.address.split(':').pop()} set hello world   (Ctrl-C stops everything)`);
      process.on('SIGINT', () => void stopAll(0));
      process.on('SIGTERM', () => void stopAll(0));
    });
}
