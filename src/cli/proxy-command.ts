// `shardgate proxy`: the proxy, with nutcracker's command-line flags so a
// service file that ran nutcracker runs shardgate unchanged.
import { spawn } from 'node:child_process';
import { Command, Option } from 'commander';
import { loadConfigOrReport } from './load-config.js';
import { createLogger, levelForVerbosity, type LogFormat } from '../log/index.js';
import { runProxy } from '../proxy/workers.js';
import { describeStats } from '../stats/fields.js';
import { VERSION } from './version.js';
import { ShardgateError } from '../errors/index.js';

interface ProxyFlags {
  confFile: string;
  testConf?: boolean;
  statsPort: string;
  statsAddr: string;
  statsInterval: string;
  pidFile?: string;
  output?: string;
  verbose: string;
  daemonize?: boolean;
  describeStats?: boolean;
  version?: boolean;
  mbufSize?: string;
  workers?: string;
  admin?: string;
  logFormat: string;
}

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy', { isDefault: true })
    .description('run the proxy (nutcracker-compatible flags and YAML)')
    .addOption(new Option('-c, --conf-file <file>', 'configuration file').default('proxy.yaml'))
    .option('-t, --test-conf', 'test the configuration for errors and exit')
    .addOption(new Option('-s, --stats-port <port>', 'stats port (nutcracker JSON; 0 = off)').default('22222'))
    .addOption(new Option('-a, --stats-addr <addr>', 'stats address').default('0.0.0.0'))
    .addOption(new Option('-i, --stats-interval <ms>', 'accepted for compatibility: stats are always live').default('30000'))
    .option('-p, --pid-file <file>', 'write the process id to this file')
    .option('-o, --output <file>', 'log to this file instead of stderr')
    .addOption(new Option('-v, --verbose <n>', 'log level 0..11 (nutcracker scale: 5 = info, 7 = debug)').default('5'))
    .option('-d, --daemonize', 'run in the background')
    .option('-D, --describe-stats', 'print the stats description and exit')
    .option('-V, --version', 'print the version and exit')
    .option('-m, --mbuf-size <bytes>', 'accepted for compatibility; shardgate sizes buffers itself')
    .option('-w, --workers <n>', 'proxy processes sharing the listen addresses (default: shardgate.workers in the config, else 1)')
    .option('--admin <host:port>', 'admin HTTP API address (default: shardgate.admin.listen in the config, else none)')
    .option('--log-format <format>', 'json (one JSON object a line, the default) or pretty (for people at a terminal)', 'json')
    .action(async (flags: ProxyFlags, cmd: Command) => {
      if (flags.version) {
        process.stdout.write(`This is shardgate-${VERSION} (nutcracker-compatible)\n`);
        return;
      }
      if (flags.describeStats) {
        process.stdout.write(describeStats());
        return;
      }
      const loaded = loadConfigOrReport(flags.confFile, `shardgate: configuration file '${flags.confFile}' syntax is invalid\n`);
      if (loaded === null) return;
      const { config, text } = loaded;
      if (flags.admin !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(flags.admin)) {
        process.stderr.write(`shardgate: --admin must be host:port (got '${flags.admin}')\n`);
        process.exitCode = 1;
        return;
      }
      if (flags.logFormat !== 'json' && flags.logFormat !== 'pretty') {
        process.stderr.write(`shardgate: --log-format must be json or pretty (got '${flags.logFormat}')\n`);
        process.exitCode = 1;
        return;
      }
      if (flags.testConf) {
        process.stdout.write(`shardgate: configuration file '${flags.confFile}' syntax is ok\n`);
        return;
      }
      if (flags.daemonize) {
        const args = process.argv.slice(1).filter((a) => a !== '-d' && a !== '--daemonize');
        const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
        child.unref();
        return;
      }
      // -v wins when given; else the file's shardgate.log_level; else nutcracker's default (5 = info).
      const level = cmd.getOptionValueSource('verbose') === 'default' && config.shardgate.logLevel
        ? config.shardgate.logLevel : levelForVerbosity(Number(flags.verbose));
      const log = createLogger({ level, file: flags.output ?? null, format: flags.logFormat as LogFormat });
      const workers = Number(flags.workers ?? config.shardgate.workers ?? 1);
      // -s/-a win when given; else the file's shardgate.stats.listen; else nutcracker's defaults.
      const fileStats = config.shardgate.stats.listen;
      const fromFile = (flag: 'statsPort' | 'statsAddr') => cmd.getOptionValueSource(flag) === 'default' && fileStats !== null;
      const statsHost = fromFile('statsAddr') ? fileStats!.slice(0, fileStats!.lastIndexOf(':')).replace(/^\[|\]$/g, '') : flags.statsAddr;
      const statsPort = fromFile('statsPort') ? Number(fileStats!.slice(fileStats!.lastIndexOf(':') + 1)) : Number(flags.statsPort);
      try {
        await runProxy({
          config, text, log, version: VERSION, workers: Number.isInteger(workers) && workers > 0 ? workers : 1,
          statsHost, statsPort, pidFile: flags.pidFile ?? null, adminListen: flags.admin ?? null,
        });
      } catch (err) {
        // A start-up failure (a listener that cannot bind): say what and where, no stack trace.
        if (!(err instanceof ShardgateError)) throw err;
        process.stderr.write(`shardgate: ${err.message}\n`);
        log.flush?.();
        process.exit(1);
      }
    });
}
