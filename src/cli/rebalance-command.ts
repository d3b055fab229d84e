// `shardgate rebalance`: shows the key migration of a running proxy through
// its admin API (and with --start begins a background walk). Exit codes: 0
// every followed pool is done, 1 one failed or finished with errors, 2 the
// admin API cannot be reached or answered an error (or the flags are wrong).
import { Command } from 'commander';
import fs from 'node:fs';
import { AdminApiError, AdminClient, type AdminClientTls } from '../admin/client.js';
import { parseHostPort } from '../admin/listen.js';
import { barView, lineView } from './migration-view.js';
import { runRebalance } from './rebalance-follow.js';

interface RebalanceFlags {
  admin: string;
  pool?: string;
  token?: string;
  start?: boolean;
  progress: boolean;
  tls?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
}

/** HTTPS options from --tls / --cacert / --cert / --key (a file flag implies --tls); a string says what is wrong. */
function tlsOf(f: RebalanceFlags): AdminClientTls | null | string {
  if (f.tls !== true && f.cacert === undefined && f.cert === undefined && f.key === undefined) return null;
  if ((f.cert === undefined) !== (f.key === undefined)) return '--cert and --key go together';
  const out: AdminClientTls = {};
  for (const [k, file] of [['ca', f.cacert], ['cert', f.cert], ['key', f.key]] as const) {
    if (file === undefined) continue;
    try { out[k] = fs.readFileSync(file); } catch (err) { return `cannot read '${file}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`; }
  }
  return out;
}

export function registerRebalanceCommand(program: Command): void {
  program
    .command('rebalance')
    .description('follow the key migration after a ring change (exit 0 done, 1 failed or errors, 2 admin API unreachable or refusing)')
    .requiredOption('--admin <host:port>', 'admin API address of the proxy')
    .option('--pool <name>', 'only this pool (default: every pool with a migration)')
    .option('--token <token>', 'admin API bearer token (default: $SHARDGATE_ADMIN_TOKEN)')
    .option('--start', 'start a background migration walk first (POST /migration)')
    .option('--no-progress', 'print a progress line per pool at most once a second instead of a bar')
    .option('--tls', 'HTTPS to the admin API (shardgate.admin.tls); the system\'s CAs unless --cacert')
    .option('--cacert <file>', 'CA (PEM) the admin API\'s certificate chains to (implies --tls)')
    .option('--cert <file>', 'client certificate (PEM) for an admin API with client_certs (implies --tls; needs --key)')
    .option('--key <file>', 'its private key (PEM)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: RebalanceFlags) => {
      const where = parseHostPort(flags.admin);
      if (where === null) {
        process.stderr.write(`shardgate rebalance: --admin ${flags.admin}: expected host:port, e.g. 127.0.0.1:9100\n`);
        process.exitCode = 2;
        return;
      }
      const tls = tlsOf(flags);
      if (typeof tls === 'string') {
        process.stderr.write(`shardgate rebalance: ${tls}\n`);
        process.exitCode = 2;
        return;
      }
      const token = flags.token ?? process.env.SHARDGATE_ADMIN_TOKEN ?? '';
      const client = new AdminClient(where.host, where.port, token === '' ? null : token, 5000, tls);
      const bars = flags.progress && process.stdout.isTTY === true;
      try {
        process.exitCode = await runRebalance({
          client, pool: flags.pool ?? null, start: flags.start === true, out: process.stdout,
          makeView: (pools) => (bars ? barView(process.stdout, pools) : lineView(process.stdout)),
        });
      } catch (err) {
        if (!(err instanceof AdminApiError)) throw err;
        process.stderr.write(`shardgate rebalance: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
