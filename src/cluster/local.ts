// A local cluster for `shardgate up`: starts one backend process (built-in
// node or redis-server) per server address of the config that is on this
// machine, plus one replica each, waits until they accept connections,
// supervises them (a process that exits or dies by a signal is reported and
// restarted, at most RESTART_LIMIT times within RESTART_WINDOW_MS, then left
// down), and stops exactly the processes it started (by pid). Must not know
// about routing (the proxy is started by the caller) nor print anything: it
// reports through the onEvent callback and the caller words it. A watchdog
// process (watchdog.ts) holds the backends' pids and stops them if this
// process dies without stopping them (SIGKILL cannot be caught).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type BackendKind = 'node' | 'redis';

export interface LocalProcess {
  readonly kind: BackendKind;
  readonly role: 'master' | 'replica';
  readonly port: number;
  readonly dataDir: string;
  /** The master's port for a replica. */
  readonly replicaOf: number | null;
  /** The running process (a new one after each restart). */
  readonly child: ChildProcess;
}

/** What happened to a process after start-up; the caller says it to the user. */
export type ClusterEvent =
  | { readonly type: 'exited'; readonly process: LocalProcess; readonly pid: number; readonly code: number | null; readonly signal: NodeJS.Signals | null;
      readonly outputTail: string; readonly restart: { readonly attempt: number; readonly limit: number } | null }
  | { readonly type: 'restarted'; readonly process: LocalProcess; readonly pid: number }
  | { readonly type: 'restart-failed'; readonly process: LocalProcess; readonly reason: string };

/** Restarts allowed per process within RESTART_WINDOW_MS before it is left down. */
export const RESTART_LIMIT = 3;
export const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 300;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5000;

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/shardgate.js');
const WATCHDOG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'watchdog.js');

/**
 * Resolves once the process answers PING on its port (+PONG, or an error other
 * than LOADING): a port that merely accepts may belong to something else.
 */
function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const retry = () => {
      if (Date.now() > deadline) reject(new Error(`nothing answers PING on 127.0.0.1:${port} after ${timeoutMs} ms`));
      else setTimeout(attempt, 50);
    };
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`exited during start-up (${child.signalCode ?? `code ${child.exitCode}`})`));
      }
      const s = net.connect({ port, host: '127.0.0.1' });
      let reply = '';
      let settled = false;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        s.destroy();
        if (ok) resolve(); else retry();
      };
      s.setTimeout(1000, () => done(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.on('data', (d: Buffer) => {
        reply += d.toString('latin1');
        if (reply.includes('\r\n')) done(reply.startsWith('+') || (reply.startsWith('-') && !reply.startsWith('-LOADING')));
      });
      s.once('error', () => done(false));
      s.once('close', () => done(false));
    };
    attempt();
  });
}

interface Spawned { readonly child: ChildProcess; outputTail(): string }

function launch(kind: BackendKind, port: number, dataDir: string, replicaOf: number | null): Spawned {
  fs.mkdirSync(dataDir, { recursive: true });
  const args = kind === 'node'
    ? [BIN, 'node', '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'everysec',
      ...(replicaOf !== null ? ['--replicaof', `127.0.0.1 ${replicaOf}`] : [])]
    : ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no',
      ...(replicaOf !== null ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])];
  const cmd = kind === 'node' ? process.execPath : 'redis-server';
  // Both streams are kept (redis-server logs to stdout, the built-in node to stderr): the tail goes into reports.
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (d: Buffer) => { tail = (tail + d.toString('utf8')).slice(-4096); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure (redis-server not on PATH) arrives as 'error' and then 'exit'; the exit carries the report.
  child.on('error', (err) => { tail += `${err.message}\n`; });
  return { child, outputTail: () => tail };
}

/** Resolves once the process listens; rejects naming it, with the last lines it wrote. */
async function ready(p: Supervised): Promise<void> {
  try {
    await waitForPort(p.port, p.child, READY_TIMEOUT_MS);
  } catch (err) {
    throw new Error(`${describe(p)} ${(err as Error).message}${tailOf(p)}`);
  }
}

function describe(p: LocalProcess): string {
  return `${p.role} 127.0.0.1:${p.port} (${p.kind === 'node' ? 'built-in node' : 'redis-server'})`;
}

function tailOf(p: Supervised): string {
  const tail = p.outputTail().trim().split('\n').slice(-3).join('\n    ');
  return tail === '' ? '' : `\n    last output: ${tail}`;
}

class Supervised implements LocalProcess {
  readonly kind: BackendKind;
  readonly role: 'master' | 'replica';
  readonly port: number;
  readonly dataDir: string;
  readonly replicaOf: number | null;
  #spawned: Spawned;
  /** When the recent restarts happened (ms), oldest first. */
  readonly restarts: number[] = [];

  constructor(kind: BackendKind, role: 'master' | 'replica', port: number, dataDir: string, replicaOf: number | null) {
    this.kind = kind;
    this.role = role;
    this.port = port;
    this.dataDir = dataDir;
    this.replicaOf = replicaOf;
    this.#spawned = launch(kind, port, dataDir, replicaOf);
  }

  get child(): ChildProcess { return this.#spawned.child; }
  get running(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }
  outputTail(): string { return this.#spawned.outputTail(); }
  relaunch(): void { this.#spawned = launch(this.kind, this.port, this.dataDir, this.replicaOf); }
}

export class LocalCluster {
  readonly #processes: Supervised[] = [];
  readonly #onEvent: (e: ClusterEvent) => void;
  /** ms before a dead process is started again (longer than failover detection when the proxy fails over) */
  readonly #restartDelayMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopping = false;
  #watchdog: ChildProcess | null = null;

  constructor(onEvent: (e: ClusterEvent) => void = () => undefined, opts: { restartDelayMs?: number } = {}) {
    this.#onEvent = onEvent;
    this.#restartDelayMs = opts.restartDelayMs ?? RESTART_DELAY_MS;
  }

  get processes(): readonly LocalProcess[] { return this.#processes; }

  /** Start a master per port (and a replica on port+replicaOffset when replicaOffset > 0); supervise them once all listen. */
  async start(kind: BackendKind, ports: readonly number[], dataRoot: string, replicaOffset: number): Promise<void> {
    this.#watchdog = spawn(process.execPath, [WATCHDOG], { stdio: ['pipe', 'ignore', 'inherit'] });
    this.#watchdog.stdin!.on('error', () => undefined);
    const masters = ports.map((port) => new Supervised(kind, 'master', port, path.join(dataRoot, String(port)), null));
    this.#processes.push(...masters);
    for (const p of masters) this.#register(p.child);
    await Promise.all(masters.map((p) => ready(p)));
    if (replicaOffset > 0 && !this.#stopping) {
      const replicas = ports.map((port) => new Supervised(kind, 'replica', port + replicaOffset, path.join(dataRoot, String(port + replicaOffset)), port));
      this.#processes.push(...replicas);
      for (const p of replicas) this.#register(p.child);
      await Promise.all(replicas.map((p) => ready(p)));
    }
    // Something else may hold a port and have answered for a process that could not listen there.
    const gone = this.#processes.filter((p) => !p.running);
    if (gone.length > 0) {
      await new Promise((r) => setTimeout(r, 50));
      throw new Error(gone.map((p) => `${describe(p)} exited during start-up (${p.child.signalCode ?? `code ${p.child.exitCode}`})${tailOf(p)}`).join('\n'));
    }
    for (const p of this.#processes) this.#watch(p);
  }

  #watch(p: Supervised): void {
    const child = p.child;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.#stopping) return;
      const now = Date.now();
      while (p.restarts.length > 0 && now - p.restarts[0]! > RESTART_WINDOW_MS) p.restarts.shift();
      const again = p.restarts.length < RESTART_LIMIT;
      if (again) p.restarts.push(now);
      this.#onEvent({ type: 'exited', process: p, pid: child.pid ?? -1, code, signal, outputTail: p.outputTail(),
        restart: again ? { attempt: p.restarts.length, limit: RESTART_LIMIT } : null });
      if (again) this.#later(() => this.#restart(p), this.#restartDelayMs);
    };
    // It may have exited already (between its start and now): report that too.
    if (child.exitCode !== null || child.signalCode !== null) queueMicrotask(() => onExit(child.exitCode, child.signalCode));
    else child.once('exit', onExit);
  }

  #restart(p: Supervised): void {
    if (this.#stopping) return;
    p.relaunch();
    this.#register(p.child);
    this.#watch(p);
    waitForPort(p.port, p.child, READY_TIMEOUT_MS).then(
      () => { if (!this.#stopping) this.#onEvent({ type: 'restarted', process: p, pid: p.child.pid ?? -1 }); },
      (err: Error) => {
        // An exit is reported by the exit handler; only a process that runs but does not listen is reported here.
        if (!this.#stopping && p.running) this.#onEvent({ type: 'restart-failed', process: p, reason: err.message });
      },
    );
  }

  /** Tell the watchdog about a backend process, and about its exit. */
  #register(child: ChildProcess): void {
    const tell = (line: string) => { if (this.#watchdog?.stdin?.writable) this.#watchdog.stdin.write(`${line}\n`); };
    if (child.pid === undefined) return;
    const pid = child.pid;
    tell(`+${pid}`);
    child.once('exit', () => tell(`-${pid}`));
  }

  /** Every backend is stopped: the watchdog may go. */
  #releaseWatchdog(): void {
    const w = this.#watchdog;
    this.#watchdog = null;
    if (w?.stdin?.writable) w.stdin.end('done\n');
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => { this.#timers.delete(t); fn(); }, ms);
    this.#timers.add(t);
  }

  /** SIGTERM every running process (SIGKILL after STOP_GRACE_MS); resolves when all have exited. No restarts from here on. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#processes.map((p) => new Promise<void>((resolve) => {
      if (!p.running) return resolve();
      const t = setTimeout(() => p.child.kill('SIGKILL'), STOP_GRACE_MS);
      p.child.once('exit', () => { clearTimeout(t); resolve(); });
      p.child.kill('SIGTERM');
    })));
    this.#releaseWatchdog();
  }

  /** SIGKILL every running process now (a second Ctrl-C, or the process is exiting). Synchronous. */
  killNow(): void {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    for (const p of this.#processes) if (p.running) p.child.kill('SIGKILL');
    // Killed, but maybe not reaped yet: the watchdog is told to go only once they are gone.
    if (this.#processes.every((p) => !p.running)) this.#releaseWatchdog();
  }
}
