// `shardgate node`: the built-in cache node, with redis-server's flag names.
// Parses flags into NodeOptions, starts the node, and shuts down cleanly on
// SIGTERM/SIGINT. Must not contain node logic (src/node/ owns it).
import type { Command } from 'commander';
import { ConfigError } from '../errors/index.js';
import { createLogger } from '../log/index.js';
import { startNode } from '../node/index.js';
import { optionsFromFlags } from '../node/options.js';

export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run the built-in Redis-compatible cache node (redis-server flag names)')
    .option('--port <port>', 'TCP port (0 = any free port)', '6379')
    .option('--bind <addr>', 'listen address', '127.0.0.1')
    .option('--dir <dir>', 'working directory for AOF and snapshot files')
    .option('--appendonly <yes|no>', 'append-only file persistence')
    .option('--appendfsync <policy>', 'always | everysec | no')
    .option('--appendfilename <name>', 'AOF file name')
    .option('--dbfilename <name>', 'snapshot file name')
    .option('--save <seconds>', 'snapshot every N seconds when data changed ("" = off)')
    .option('--maxmemory <bytes>', 'memory limit (e.g. 100mb; 0 = none)')
    .option('--maxmemory-policy <policy>', 'allkeys-lru | volatile-lru | allkeys-random | volatile-random | volatile-ttl | noeviction')
    .option('--maxmemory-samples <n>', 'keys sampled per eviction')
    .option('--replicaof <"host port">', 'replicate from a master')
    .option('--requirepass <password>', 'require AUTH')
    .option('--masterauth <password>', 'password for the master')
    .option('--loglevel <level>', 'pino log level', 'info')
    .action(async (flags: Record<string, string | undefined>) => {
      const log = createLogger({ name: 'shardgate-node', level: flags.loglevel });
      let node;
      try {
        node = await startNode(optionsFromFlags(flags), log);
      } catch (err) {
        const msg = err instanceof ConfigError ? err.message : (err as Error).message;
        log.fatal({ err }, `cannot start node: ${msg}`);
        process.stderr.write(`shardgate node: ${msg}\n`);
        log.flush?.();
        process.exit(1);
      }
      const running = node;
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        log.info({ sig }, 'shutting down');
        running.close().then(() => { log.flush?.(); process.exit(0); }, (err: unknown) => { log.error({ err }, 'shutdown failed'); process.exit(1); });
      };
      void running.shutdown.then(() => { log.flush?.(); process.exit(0); });
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
