// The processes a benchmark run measures. Owns: starting redis-servers, writing
// one nutcracker-style YAML per proxy (identical pools, only the listen port
// differs), and starting nutcracker, shardgate and the naive Node.js pipe.
// Must not: measure anything; a proxy that fails to start is returned as
// { failed: reason } so the run goes on without it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FD_LIMIT, freePort, startServer, tmpDir } from './procs.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let shardgateBin = path.join(ROOT, 'bin/shardgate.js');
/** The shardgate CLI to run (default: this repo's bin/shardgate.js); run.js --shardgate-bin sets another build. */
export const shardgateBinPath = () => shardgateBin;
export function setShardgateBin(file) { shardgateBin = path.resolve(file); }
const PIPE_BIN = path.join(ROOT, 'benchmarks/pipe-baseline.mjs');

export async function startRedis(bin, name) {
  const port = await freePort();
  const dir = tmpDir('shardgate-bench-redis-');
  return startServer(name, bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--maxclients', '20000',
  ], port, { fds: FD_LIMIT });
}

/** The pool both proxies run: ketama, fnv1a_64, hash_tag {}, one connection per server. */
export function poolYaml(poolName, listenPort, backends) {
  return [
    `${poolName}:`,
    `  listen: 127.0.0.1:${listenPort}`,
    '  hash: fnv1a_64',
    '  distribution: ketama',
    '  hash_tag: "{}"',
    '  redis: true',
    '  server_connections: 1',
    '  auto_eject_hosts: false',
    '  preconnect: true',
    '  servers:',
    ...backends.map((b, i) => `    - 127.0.0.1:${b.port}:1 ${b.name ?? `s${i + 1}`}`),
    '',
  ].join('\n');
}

function writeConf(kind, yaml) {
  const dir = tmpDir(`shardgate-bench-${kind}-`);
  const file = path.join(dir, `${kind}.yml`);
  fs.writeFileSync(file, yaml);
  return { dir, file };
}

/**
 * nutcracker or shardgate on the given backends (plus extraArgs); resolves { proc, port, conf } or { failed }.
 * `cli`: another shardgate build's bin/shardgate.js (run.js --baseline-bin).
 */
export async function startProxy(kind, bin, backends, poolName = 'bench', extraArgs = [], { name = kind, extraYaml = '', cli = shardgateBin } = {}) {
  const port = await freePort();
  const statsPort = await freePort();
  const { dir, file } = writeConf(name, poolYaml(poolName, port, backends) + extraYaml);
  const common = ['-c', file, '-s', String(statsPort), '-a', '127.0.0.1'];
  try {
    const proc = kind === 'nutcracker'
      ? await startServer(kind, bin, [...common, '-o', path.join(dir, 'nutcracker.log'), ...extraArgs], port, { fds: FD_LIMIT })
      : await startServer(name, process.execPath, [cli, 'proxy', ...common, ...extraArgs], port, { fds: FD_LIMIT });
    return { name, proc, port, pid: proc.pid, conf: file };
  } catch (err) {
    return { name, failed: String(err.message ?? err).split('\n').slice(0, 6).join(' | ') };
  }
}

/**
 * predixy (joyieldInc/predixy, C++), the fastest peer measured here, when built
 * (../shared/tools/build-predixy.sh puts it in ~/.cache/predixy; PREDIXY_BIN overrides).
 * It cannot place keys by ketama: one modula/crc16 group per server, one worker
 * thread (as nutcracker and a single shardgate process). Throughput only, not placement.
 */
export function predixyBin() {
  const candidates = [process.env.PREDIXY_BIN, path.join(os.homedir(), '.cache/predixy/src/predixy')].filter(Boolean);
  return candidates.find((f) => { try { fs.accessSync(f, fs.constants.X_OK); return true; } catch { return false; } }) ?? null;
}

export async function startPredixy(bin, backends) {
  const port = await freePort();
  const dir = tmpDir('shardgate-bench-predixy-');
  const file = path.join(dir, 'predixy.conf');
  fs.writeFileSync(file, [
    'Name shardgate-bench', `Bind 127.0.0.1:${port}`, 'WorkerThreads 1', 'ClientTimeout 0',
    'LogVerbSample 0', 'LogDebugSample 0', 'LogInfoSample 0', 'LogNoticeSample 0', 'LogWarnSample 1', 'LogErrorSample 1',
    'Authority {', '    Auth {', '        Mode admin', '    }', '}',
    'StandaloneServerPool {', '    Hash crc16', '    HashTag "{}"', '    Distribution modula', '    MasterReadPriority 100',
    '    RefreshMethod fixed', '    ServerTimeout 0', '    ServerFailureLimit 10', '    ServerRetryTimeout 1',
    ...backends.flatMap((b, i) => [`    Group ${b.name ?? `s${i + 1}`} {`, `        + 127.0.0.1:${b.port}`, '    }']),
    '}', '',
  ].join('\n'));
  try {
    const proc = await startServer('predixy', bin, [file], port, { fds: FD_LIMIT });
    return { name: 'predixy', proc, port, pid: proc.pid, conf: file };
  } catch (err) {
    return { name: 'predixy', failed: String(err.message ?? err).split('\n').slice(0, 6).join(' | ') };
  }
}

/** The naive byte pipe (benchmarks/pipe-baseline.mjs) in front of one redis-server. */
export async function startPipe(backendPort) {
  const port = await freePort();
  try {
    const proc = await startServer('pipe', process.execPath, [PIPE_BIN, '--listen', String(port), '--to', String(backendPort)], port, { fds: FD_LIMIT });
    return { name: 'pipe', proc, port, pid: proc.pid };
  } catch (err) {
    return { name: 'pipe', failed: String(err.message ?? err).split('\n')[0] };
  }
}
