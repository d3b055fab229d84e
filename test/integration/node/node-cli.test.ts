// The real CLI: `shardgate node` spawned as a user runs it (built dist/),
// driven by redis-cli and redis-benchmark; SIGTERM stops it cleanly.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startShardgate } from '../../fixtures/procs.js';

const run = promisify(execFile);

describe('shardgate node (CLI)', () => {
  it('serves redis-cli and redis-benchmark, honours flags, exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const p = await startShardgate(['node', '--port', String(port), '--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru', '--save', ''], port);
    try {
      const cli = (...args: string[]): Promise<string> => run('redis-cli', ['-p', String(port), ...args]).then((r) => r.stdout.trim());
      expect(await cli('ping')).toBe('PONG');
      expect(await cli('set', 'k', 'v')).toBe('OK');
      expect(await cli('get', 'k')).toBe('v');
      expect(await cli('config', 'get', 'maxmemory-policy')).toBe('maxmemory-policy\nallkeys-lru');
      expect(await cli('config', 'get', 'maxmemory')).toBe(`maxmemory\n${64 * 1024 * 1024}`);
      expect(await cli('info', 'server')).toMatch(/redis_version:7\.0\.0/);
      const bench = await run('redis-benchmark', ['-p', String(port), '-t', 'get,set', '-n', '20000', '-q']);
      expect(bench.stdout).toMatch(/SET: [\d.]+ requests per second/);
      expect(bench.stdout).toMatch(/GET: [\d.]+ requests per second/);
      const lpush = await run('redis-benchmark', ['-p', String(port), '-t', 'lpush,lpop,incr', '-n', '5000', '-q', '-P', '16']);
      expect(lpush.stdout).toMatch(/LPOP: [\d.]+ requests per second/);
    } finally {
      await p.stop('SIGTERM');
    }
    expect(p.child.exitCode).toBe(0);
  }, 60_000);

  it('rejects a bad flag value with a message naming the option', async () => {
    const port = await freePort();
    const err = await startShardgate(['node', '--port', String(port), '--maxmemory-policy', 'bogus'], port).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/maxmemory-policy/);
  });
});
