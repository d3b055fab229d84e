// `shardgate up` as a user runs it: a local cluster with replicas plus the
// proxy, used with redis-cli; Ctrl-C (SIGINT) stops every process it started.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { freePort } from '../fixtures/ports.js';
import { SHARDGATE_BIN, tmpDir } from '../fixtures/procs.js';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function runUp(backend: 'node' | 'redis'): Promise<void> {
  const dir = tmpDir('shardgate-up-');
  const listen = await freePort();
  // Three master ports with their replica ports (+offset) free as well.
  const offset = 1000;
  const masters: number[] = [];
  while (masters.length < 3) {
    const p = await freePort();
    if (p + offset < 65536 && !masters.includes(p)) masters.push(p);
  }
  const conf = path.join(dir, 'proxy.yaml');
  fs.writeFileSync(conf, [
    'alpha:', `  listen: 127.0.0.1:${listen}`, '  hash: md5', '  distribution: ketama', '  redis: true',
    '  auto_eject_hosts: true', '  timeout: 1000', '  servers:', ...masters.map((p) => `   - 127.0.0.1:${p}:1`), '',
  ].join('\n'));
  const child = spawn(process.execPath, [SHARDGATE_BIN, 'up', '-c', conf, '--backend', backend, '--data', path.join(dir, 'data'),
    '--replica-offset', String(offset), '-s', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not ready after 30 s:\n${out}`)), 30_000);
      const check = () => { if (out.includes('ready:')) { clearTimeout(t); resolve(); } };
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
    });
    const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
    for (let i = 0; i < 30; i++) expect(cli(listen, 'SET', `up:${i}`, `v${i}`)).toBe('OK');
    expect(cli(listen, 'GET', 'up:7')).toBe('v7');
    expect(cli(listen, 'MGET', 'up:1', 'up:2', 'up:3')).toBe('v1\nv2\nv3');
    // Every master got keys, and each replica catches up with its master.
    let total = 0;
    for (const m of masters) {
      const n = Number(cli(m, 'DBSIZE'));
      expect(n).toBeGreaterThan(0);
      total += n;
      const deadline = Date.now() + 10_000;
      while (Number(cli(m + offset, 'DBSIZE')) !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(Number(cli(m + offset, 'DBSIZE'))).toBe(n);
    }
    expect(total).toBe(30);
    const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(6);
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  } finally {
    // Stop the way a user does (Ctrl-C) so `up` stops its own children; then make sure by pid.
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => { const t = setTimeout(r, 8000); child.once('exit', () => { clearTimeout(t); r(null); }); });
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    for (const m of out.matchAll(/pid (\d+)/g)) { try { process.kill(Number(m[1]), 'SIGKILL'); } catch { /* already stopped */ } }
  }
}

describe('shardgate up', () => {
  it('runs a local cluster of built-in nodes with replicas behind the proxy', async () => {
    await runUp('node');
  }, 60_000);
  it('runs the same with --backend redis', async () => {
    await runUp('redis');
  }, 60_000);
});
