// The start scripts of the Kubernetes Redis pods, run here with sh: what
// redis-start.sh starts for each pod and each answer of the Sentinels, and
// whether the real redis-server 7.0 and redis-sentinel accept what the
// scripts write (their pod DNS names swapped for 127.0.0.1 and free ports):
// a replica syncs from its master, a Sentinel monitors every shard.
// redis-cli, redis-server, redis-sentinel and nslookup are stubs on PATH for
// the script runs; the checks after them use the real servers.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startProcess, startRedis, tmpDir } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { until } from '../../fixtures/until.js';

const SCRIPTS = path.join(ROOT, 'deploy/kubernetes/base');

/** A folder of stub commands: each prints its arguments one per line to $STUB_OUT (redis-cli prints $STUB_MASTER, or fails when unset). */
function stubs(): string {
  const dir = tmpDir('shardgate-stubs-');
  const write = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  write('redis-cli', '[ -n "${STUB_MASTER+x}" ] || { echo "Could not connect to Redis at sentinel:26379" >&2; exit 1; }\nprintf "%s\\n" "$STUB_MASTER" "6379"');
  write('redis-server', 'for a in "$@"; do printf "%s\\n" "$a"; done > "$STUB_OUT"');
  write('redis-sentinel', 'cp "$1" "$STUB_OUT"');
  write('nslookup', 'exit 0');
  return dir;
}

function runScript(script: string, env: Record<string, string>): string {
  const out = path.join(tmpDir('shardgate-script-'), 'out');
  const bin = stubs();
  const r = spawnSync('sh', [path.join(SCRIPTS, script)], { env: { PATH: `${bin}:${process.env.PATH}`, STUB_OUT: out, ...env }, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
  return fs.readFileSync(out, 'utf8');
}

function redisArgs(hostname: string, master?: string): string[] {
  const env: Record<string, string> = { HOSTNAME: hostname, SHARD: hostname.replace(/-\d+$/, '') };
  if (master !== undefined) env.STUB_MASTER = master;
  return runScript('redis-start.sh', env).trimEnd().split('\n');
}

const replicaOf = (args: string[]) => (args.includes('--replicaof') ? args[args.indexOf('--replicaof') + 1] : null);

describe('redis-start.sh', () => {
  it('starts pod 0 as the master and pod 1 as its replica when no Sentinel answers', () => {
    const master = redisArgs('shard-1-0');
    expect(replicaOf(master)).toBeNull();
    expect(master).toEqual(expect.arrayContaining(['--replica-announce-ip', 'shard-1-0.shard-1', '--appendonly', 'yes']));
    expect(replicaOf(redisArgs('shard-1-1'))).toBe('shard-1-0.shard-1');
  });

  it('follows the master the Sentinels name: pod 0 rejoins as a replica after a failover, the promoted pod stays master', () => {
    expect(replicaOf(redisArgs('shard-1-0', 'shard-1-1.shard-1'))).toBe('shard-1-1.shard-1');
    expect(replicaOf(redisArgs('shard-1-1', 'shard-1-1.shard-1'))).toBeNull();
    // A Sentinel that does not know the shard answers an empty reply: the pod-0 default applies.
    expect(replicaOf(redisArgs('shard-1-1', ''))).toBe('shard-1-0.shard-1');
  });

  it('writes arguments redis-server 7.0 accepts: a replica started with them syncs from its master', async () => {
    // No diskless-sync delay (5 s by default): the replica syncs as soon as it connects.
    const master = await startRedis(['--repl-diskless-sync-delay', '0']);
    const port = await freePort();
    const args = redisArgs('shard-0-1').map((a) => (a === 'shard-0-0.shard-0' ? '127.0.0.1' : a));
    args[args.indexOf('--port') + 1] = String(port);
    args[args.indexOf('--dir') + 1] = tmpDir('shardgate-replica-');
    args[args.indexOf('--replicaof') + 2] = String(master.port);
    const replica = await startProcess('redis-server', [...args, '--bind', '127.0.0.1'], { port });
    try {
      execFileSync('redis-cli', ['-p', String(master.port), 'SET', 'k8s:key', 'v']);
      await until('the replica in sync', () => execFileSync('redis-cli', ['-p', String(port), 'GET', 'k8s:key'], { encoding: 'utf8' }).trim() === 'v', 15_000);
      const info = execFileSync('redis-cli', ['-p', String(master.port), 'INFO', 'replication'], { encoding: 'utf8' });
      expect(info).toContain('ip=shard-0-1.shard-0');
    } finally {
      await replica.stop();
    }
  }, 30_000);
});

describe('sentinel-start.sh', () => {
  it('writes a config that the real redis-sentinel loads and uses to monitor every shard', async () => {
    const shards = [await startRedis(), await startRedis()];
    const conf = path.join(tmpDir('shardgate-sentinel-'), 'sentinel.conf');
    const text = runScript('sentinel-start.sh', { HOSTNAME: 'sentinel-0', SHARDS: 'shard-0 shard-1', QUORUM: '2', SENTINEL_CONF: conf });
    expect(text).toContain('sentinel monitor shard-0 shard-0-0.shard-0 6379 2');
    expect(text).toContain('sentinel monitor shard-1 shard-1-0.shard-1 6379 2');
    const port = await freePort();
    const local = text.replace(/^port 26379$/m, `port ${port}`)
      .replace(/shard-(\d)-0\.shard-\d 6379/g, (_, n: string) => `127.0.0.1 ${shards[Number(n)]!.port}`);
    fs.writeFileSync(conf, `${local}bind 127.0.0.1\n`);
    const sentinel = await startProcess('redis-sentinel', [conf], { port });
    try {
      for (const [i, shard] of shards.entries()) {
        const addr = execFileSync('redis-cli', ['-p', String(port), 'SENTINEL', 'get-master-addr-by-name', `shard-${i}`], { encoding: 'utf8' }).trim().split('\n');
        expect(addr).toEqual(['127.0.0.1', String(shard.port)]);
      }
      await until('sentinel sees shard-0 up', () => /\nflags\nmaster\n/.test(execFileSync('redis-cli', ['-p', String(port), 'SENTINEL', 'master', 'shard-0'], { encoding: 'utf8' })), 10_000);
    } finally {
      await sentinel.stop();
    }
  }, 30_000);
});
