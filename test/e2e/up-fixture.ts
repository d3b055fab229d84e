// Starts `shardgate up` as a user does — directly, or through `npm start` —
// on free ports in a scratch folder, and reads back what it printed: its own
// pid, the backends' pids, the proxy port. Stops it (and, to be sure, every
// pid it printed) afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../fixtures/ports.js';
import { ROOT, SHARDGATE_BIN, tmpDir } from '../fixtures/procs.js';
import { until } from '../fixtures/until.js';
import { cleanEnv } from './install-helpers.js';

export interface RunningUp {
  readonly child: ChildProcess;
  readonly listen: number;
  readonly masters: readonly number[];
  readonly offset: number;
  /** `shardgate up` itself (the child when started directly; npm's child under `npm start`). */
  readonly upPid: number;
  /** The backends' pids as `up` printed them at start-up. */
  readonly backendPids: readonly number[];
  /** The watchdog process `up` starts (a child of `up` running watchdog.js). */
  readonly watchdogPid: number;
  output(): string;
  /** Stop whatever is left: SIGINT to the child, then SIGKILL to every pid printed. */
  cleanup(): Promise<void>;
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Master ports whose replica ports (+offset) are in range. */
async function masterPorts(offset: number): Promise<number[]> {
  const masters: number[] = [];
  while (masters.length < 3) {
    const p = await freePort();
    if (p + offset < 65536 && !masters.includes(p)) masters.push(p);
  }
  return masters;
}

/**
 * Start `shardgate up`. Its ports are picked free here but are only taken when up starts its
 * processes, and tests run in parallel (their outgoing connections use the same port range): when
 * up reports a port already in use — the clean start-up failure up-signals.test.ts checks — the
 * start is tried again on new ports, up to 3 times.
 */
export async function startUp(backend: 'node' | 'redis', how: 'direct' | 'npm start' = 'direct'): Promise<RunningUp> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startUpOnce(backend, how);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use|EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startUpOnce(backend: 'node' | 'redis', how: 'direct' | 'npm start'): Promise<RunningUp> {
  const dir = tmpDir('shardgate-up-');
  const listen = await freePort();
  const offset = 1000;
  const masters = await masterPorts(offset);
  const conf = path.join(dir, 'proxy.yaml');
  fs.writeFileSync(conf, [
    'alpha:', `  listen: 127.0.0.1:${listen}`, '  hash: murmur', '  distribution: ketama', '  redis: true',
    '  auto_eject_hosts: true', '  timeout: 1000', '  servers:', ...masters.map((p) => `   - 127.0.0.1:${p}:1`), '',
  ].join('\n'));
  const upArgs = ['up', '-c', conf, '--backend', backend, '--data', path.join(dir, 'data'), '--replica-offset', String(offset), '-s', '0'];
  const child = how === 'direct'
    ? spawn(process.execPath, [SHARDGATE_BIN, ...upArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('npm', ['start', '--silent', '--', ...upArgs.slice(1)], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  let watchdog = -1;
  const printedPids = (): number[] => [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])).concat(watchdog > 0 ? [watchdog] : []);
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => { const t = setTimeout(r, 8000); child.once('exit', () => { clearTimeout(t); r(null); }); });
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const pid of printedPids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* already stopped */ } }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not ready after 60 s:\n${out}`)), 60_000);
      child.stdout!.on('data', () => { if (out.includes('ready:')) { clearTimeout(t); resolve(); } });
      child.once('exit', (code, sig) => { clearTimeout(t); reject(new Error(`exited (${sig ?? code}):\n${out}`)); });
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const upPid = Number(/up \(pid (\d+)\)/.exec(out)?.[1]);
  const backendPids = [...out.matchAll(/\(pid (\d+), data /g)].map((m) => Number(m[1]));
  const watchdogPid = childrenOf(upPid).find((k) => k.cmd.includes('watchdog.js'))?.pid;
  watchdog = watchdogPid ?? -1;
  if (watchdogPid === undefined) {
    await cleanup();
    throw new Error(`no watchdog among the children of up (pid ${upPid}):\n${out}`);
  }
  return { child, listen, masters, offset, upPid, backendPids, watchdogPid, output: () => out, cleanup };
}

/** The pids whose parent is `pid` (from /proc), with their command lines. */
export function childrenOf(pid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(e), cmd: fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** Resolves once none of the pids runs (rejects after ms, naming the ones left). */
export async function allGone(pids: readonly number[], ms = 10_000): Promise<void> {
  await until(`pids ${pids.join(', ')} to be gone`, () => pids.every((p) => !alive(p)), ms, 50)
    .catch(() => { throw new Error(`still running: ${pids.filter(alive).join(', ')}`); });
}
