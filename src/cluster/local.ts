// A local cluster for `shardgate up`: starts one backend process (built-in
// node or redis-server) per server address of the config that is on this
// machine, plus one replica each, waits until they accept connections,
// supervises them (a process that exits or dies by a signal is reported and
// restarted, at most RESTART_LIMIT times within RESTART_WINDOW_MS, then left
// down), and stops exactly the processes it started (by pid). Must not know
// about routing (the proxy is started by the caller) nor print anything: it
// reports through the onEvent callback and the caller words it.
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
      readonly stderrTail: string; readonly restart: { readonly attempt: number; readonly limit: number } | null }
  | { readonly type: 'restarted'; readonly process: LocalProcess; readonly pid: number }
  | { readonly type: 'restart-failed'; readonly process: LocalProcess; readonly reason: string };

/** Restarts allowed per process within RESTART_WINDOW_MS before it is left down. */
export const RESTART_LIMIT = 3;
export const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 300;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5000;

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/shardgate.js');

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`process on port ${port} exited (${child.signalCode ?? `code ${child.exitCode}`})`));
      }
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

interface Spawned { readonly child: ChildProcess; stderrTail(): string }

function launch(kind: BackendKind, port: number, dataDir: string, replicaOf: number | null): Spawned {
  fs.mkdirSync(dataDir, { recursive: true });
  const args = kind === 'node'
    ? [BIN, 'node', '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'everysec',
      ...(replicaOf !== null ? ['--replicaof', `127.0.0.1 ${replicaOf}`] : [])]
    : ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no',
      ...(replicaOf !== null ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])];
  const cmd = kind === 'node' ? process.execPath : 'redis-server';
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr?.on('data', (d) => { tail = (tail + d).slice(-4096); });
  // A spawn failure (redis-server not on PATH) arrives as 'error' and then 'exit'; the exit carries the report.
  child.on('error', (err) => { tail += `${err.message}\n`; });
  return { child, stderrTail: () => tail };
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
  stderrTail(): string { return this.#spawned.stderrTail(); }
  relaunch(): void { this.#spawned = launch(this.kind, this.port, this.dataDir, this.replicaOf); }
}

export class LocalCluster {
  readonly #processes: Supervised[] = [];
  readonly #onEvent: (e: ClusterEvent) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopping = false;

  constructor(onEvent: (e: ClusterEvent) => void = () => undefined) {
    this.#onEvent = onEvent;
  }

  get processes(): readonly LocalProcess[] { return this.#processes; }

  /** Start a master per port (and a replica on port+replicaOffset when replicaOffset > 0); supervise them once all listen. */
  async start(kind: BackendKind, ports: readonly number[], dataRoot: string, replicaOffset: number): Promise<void> {
    const masters = ports.map((port) => new Supervised(kind, 'master', port, path.join(dataRoot, String(port)), null));
    this.#processes.push(...masters);
    await Promise.all(masters.map((p) => waitForPort(p.port, p.child, READY_TIMEOUT_MS)));
    if (replicaOffset > 0 && !this.#stopping) {
      const replicas = ports.map((port) => new Supervised(kind, 'replica', port + replicaOffset, path.join(dataRoot, String(port + replicaOffset)), port));
      this.#processes.push(...replicas);
      await Promise.all(replicas.map((p) => waitForPort(p.port, p.child, READY_TIMEOUT_MS)));
    }
    for (const p of this.#processes) this.#watch(p);
  }

  #watch(p: Supervised): void {
    const child = p.child;
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      const now = Date.now();
      while (p.restarts.length > 0 && now - p.restarts[0]! > RESTART_WINDOW_MS) p.restarts.shift();
      const again = p.restarts.length < RESTART_LIMIT;
      if (again) p.restarts.push(now);
      this.#onEvent({ type: 'exited', process: p, pid: child.pid ?? -1, code, signal, stderrTail: p.stderrTail(),
        restart: again ? { attempt: p.restarts.length, limit: RESTART_LIMIT } : null });
      if (again) this.#later(() => this.#restart(p), RESTART_DELAY_MS);
    });
  }

  #restart(p: Supervised): void {
    if (this.#stopping) return;
    p.relaunch();
    this.#watch(p);
    waitForPort(p.port, p.child, READY_TIMEOUT_MS).then(
      () => { if (!this.#stopping) this.#onEvent({ type: 'restarted', process: p, pid: p.child.pid ?? -1 }); },
      (err: Error) => {
        // An exit is reported by the exit handler; only a process that runs but does not listen is reported here.
        if (!this.#stopping && p.running) this.#onEvent({ type: 'restart-failed', process: p, reason: err.message });
      },
    );
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
  }

  /** SIGKILL every running process now (a second Ctrl-C, or the process is exiting). Synchronous. */
  killNow(): void {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    for (const p of this.#processes) if (p.running) p.child.kill('SIGKILL');
  }
}
