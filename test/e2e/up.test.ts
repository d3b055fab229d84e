// `shardgate up` as a user runs it: a local cluster with replicas plus the
// proxy, used with redis-cli; Ctrl-C (SIGINT) stops every process it started.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { allGone, startUp } from './up-fixture.js';

async function runUp(backend: 'node' | 'redis'): Promise<void> {
  const up = await startUp(backend);
  try {
    const { listen, masters, offset } = up;
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
    expect(up.backendPids).toHaveLength(6);
    up.child.kill('SIGINT');
    await new Promise((r) => up.child.once('exit', r));
    expect(up.child.exitCode).toBe(0);
    await allGone([...up.backendPids, up.watchdogPid]);
  } finally {
    await up.cleanup();
  }
}

describe('shardgate up', () => {
  it('runs a local cluster of built-in nodes with replicas behind the proxy', async () => {
    await runUp('node');
  }, 90_000);
  it('runs the same with --backend redis', async () => {
    await runUp('redis');
  }, 90_000);
});
