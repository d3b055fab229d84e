// A local cluster for `shardgate up`: starts one backend process (built-in
// node or redis-server) per server address of the config that is on this
// machine, plus one replica each, waits until they accept connections, and
// stops exactly the processes it started (by pid). Must not know about
// routing: the proxy is started by the caller.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type BackendKind = 'node' | 'redis';

export interface LocalProcess {
  readonly role: 'master' | 'replica';
  readonly port: number;
  readonly child: ChildProcess;
  readonly dataDir: string;
}

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/shardgate.js');

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`process on port ${port} exited with code ${child.exitCode}`));
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

function launch(kind: BackendKind, port: number, dataDir: string, replicaOf: number | null): ChildProcess {
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
  child.once('exit', (code) => { if (code) process.stderr.write(`[up] ${cmd} on port ${port} exited with ${code}\n${tail}`); });
  return child;
}

export class LocalCluster {
  readonly processes: LocalProcess[] = [];

  /** Start a master per port (and a replica on port+replicaOffset when replicaOffset > 0). */
  async start(kind: BackendKind, ports: readonly number[], dataRoot: string, replicaOffset: number): Promise<void> {
    for (const port of ports) {
      const dir = path.join(dataRoot, String(port));
      this.processes.push({ role: 'master', port, dataDir: dir, child: launch(kind, port, dir, null) });
    }
    await Promise.all(this.processes.map((p) => waitForPort(p.port, p.child, 15_000)));
    if (replicaOffset > 0) {
      const replicas: LocalProcess[] = ports.map((port) => {
        const rport = port + replicaOffset;
        const dir = path.join(dataRoot, String(rport));
        return { role: 'replica', port: rport, dataDir: dir, child: launch(kind, rport, dir, port) };
      });
      this.processes.push(...replicas);
      await Promise.all(replicas.map((p) => waitForPort(p.port, p.child, 15_000)));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => new Promise<void>((resolve) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
      const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
      p.child.once('exit', () => { clearTimeout(t); resolve(); });
      p.child.kill('SIGTERM');
    })));
  }
}
