// SIGTERM to `shardgate node` processes: a master with a replica attached (and
// a client connected) exits promptly, with its AOF flushed first — a restart
// from the same directory has every acknowledged write; a replica's SIGTERM
// exits promptly too. Needs the built CLI (npm run build).
import { afterEach, describe, expect, it } from 'vitest';
import { startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

const procs: Proc[] = [];
afterEach(async () => { for (const p of procs.splice(0)) await p.stop('SIGKILL'); });

async function node(args: string[], port?: number): Promise<Proc> {
  const p = port ?? await freePort();
  const proc = await startShardgate(['node', '--port', String(p), '--loglevel', 'warn', ...args], p);
  procs.push(proc);
  return proc;
}

/** SIGTERM and the ms until the process exited (rejects after 5 s). */
async function termTime(p: Proc): Promise<{ ms: number; code: number | null }> {
  const t0 = Date.now();
  const exited = new Promise<number | null>((resolve) => p.child.once('exit', (code) => resolve(code)));
  process.kill(p.pid, 'SIGTERM');
  const code = await Promise.race([exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('still running 5 s after SIGTERM')), 5000))]);
  return { ms: Date.now() - t0, code };
}

describe('SIGTERM', () => {
  it('a master with a replica and a client attached exits promptly, its AOF flushed (everysec)', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const master = await node(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec'], port);
    const replica = await node(['--dir', tmpDir(), '--replicaof', `127.0.0.1 ${port}`]);
    const client = await RespClient.connect(port);
    const cmds: string[][] = [];
    for (let i = 0; i < 2000; i++) cmds.push(['SET', `k${i}`, String(i)]);
    await pipeline(port, cmds);
    await until('replica synced', async () => Number((await pipeline(replica.port, [['DBSIZE']]))[0]) === 2000, 10_000);
    const { ms, code } = await termTime(master);
    client.close();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1500);
    const again = await node(['--dir', dir, '--appendonly', 'yes'], port);
    expect((await pipeline(again.port, [['DBSIZE'], ['GET', 'k1999']])).map(String)).toEqual(['2000', '1999']);
    const r = await termTime(replica);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(1500);
  });
});
