// External tools and machine facts. Owns: finding redis-server, redis-benchmark
// and nutcracker (installing them with apt-get when missing and running as root),
// their versions, and a description of the machine for the results file.
// Must not: install anything when not root, or touch anything but apt packages.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TOOLS = { 'redis-server': 'redis-server', 'redis-benchmark': 'redis-tools', nutcracker: 'nutcracker' };
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

export function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS];
  for (const d of dirs) {
    const p = path.join(d, name);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

/** Resolves the tool paths; installs the missing ones via apt-get when root. Logs what it did. */
export function ensureTools(log) {
  const missing = Object.keys(TOOLS).filter((t) => !which(t));
  if (missing.length) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) throw new Error(`missing tools: ${missing.join(', ')}; install: apt-get install redis-server redis-tools nutcracker`);
    log(`missing ${missing.join(', ')}: running apt-get update and apt-get install -y redis-server redis-tools nutcracker`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', 'redis-server', 'redis-tools', 'nutcracker'], { stdio: 'inherit', env });
    const still = Object.keys(TOOLS).filter((t) => !which(t));
    if (still.length) throw new Error(`still missing after apt-get: ${still.join(', ')}`);
  } else {
    log('tools found: redis-server, redis-benchmark, nutcracker (nothing installed)');
  }
  return Object.fromEntries(Object.keys(TOOLS).map((t) => [t, which(t)]));
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim()) ?? '';
}

export function toolVersions(paths, shardgateBin) {
  return {
    shardgate: spawnSync(process.execPath, [shardgateBin, '--version'], { timeout: 10000 }).status === 0
      ? firstLine(process.execPath, [shardgateBin, '--version']) : 'unavailable (does not run)',
    redisServer: firstLine(paths['redis-server'], ['--version']),
    redisBenchmark: firstLine(paths['redis-benchmark'], ['--version']),
    nutcracker: firstLine(paths.nutcracker, ['--version']),
  };
}

/** predixy -v prints "<path> predixy-1.0.5": the version word. */
export function predixyVersion(bin) {
  return firstLine(bin, ['-v']).split(' ').pop();
}

function hardFdLimit() {
  return firstLine('bash', ['-c', 'ulimit -Hn']);
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memTotalMb: Math.round(os.totalmem() / 1048576),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    fdHardLimit: hardFdLimit(),
    loadAvgAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}
