// Drop-in compatibility with the real nutcracker, generated in the test:
// the same YAML run by both, keys written through nutcracker must be read
// back through shardgate (same placement); same stats document shape; -t.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startCluster, readStats, type Cluster, type PoolOptions } from '../../fixtures/cluster.js';
import { startRedis, SHARDGATE_BIN, tmpDir, type Proc } from '../../fixtures/procs.js';
import { pipeline } from '../../fixtures/resp-client.js';

const backends: Proc[] = [];
afterAll(async () => { await Promise.all(backends.map((b) => b.stop())); });

async function pair(o: PoolOptions): Promise<[Cluster, Cluster]> {
  if (backends.length === 0) backends.push(...await Promise.all([0, 1, 2, 3].map(() => startRedis())));
  for (const b of backends) { const r = new Redis({ port: b.port }); await r.flushall(); r.disconnect(); }
  const nc = await startCluster({ ...o, redis: backends, kind: 'nutcracker' });
  const sg = await startCluster({ ...o, redis: backends });
  return [nc, sg];
}

const KEYS = [
  ...Array.from({ length: 150 }, (_, i) => `user:${i}`),
  '{tag}a', '{tag}b', 'x{}y', 'open{tag', 'é-key', 'ключ', '', 'toString', '__proto__',
];

const configs: PoolOptions[] = [
  { hash: 'fnv1a_64', distribution: 'ketama' },
  { hash: 'md5', distribution: 'ketama', hashTag: null },
  { hash: 'murmur', distribution: 'modula' },
  { hash: 'crc32a', distribution: 'ketama' },
];

describe('drop-in compatibility with nutcracker', () => {
  for (const o of configs) {
    it(`places keys like nutcracker (${o.distribution}, ${o.hash}, hash_tag ${o.hashTag === null ? 'none' : '{}'})`, async () => {
      const [nc, sg] = await pair(o);
      try {
        // nutcracker closes the connection on what ioredis sends at connect (CLIENT SETINFO, INFO),
        // so keys go in through a raw RESP connection; shardgate is read with ioredis's defaults.
        const set = await pipeline(nc.port, KEYS.map((k) => ['SET', k, `v:${k}`]));
        expect(set.every((r) => r === 'OK')).toBe(true);
        const viaSg = new Redis({ port: sg.port });
        for (const k of KEYS) expect(await viaSg.get(k), k).toBe(`v:${k}`);
        expect(await viaSg.mget(KEYS)).toEqual(KEYS.map((k) => `v:${k}`));
        viaSg.disconnect();
      } finally {
        await nc.stop();
        await sg.stop();
      }
    });
  }

  it('serves the same stats document shape on the stats port', async () => {
    const [nc, sg] = await pair({});
    try {
      for (const cl of [nc, sg]) expect(await pipeline(cl.port, [['SET', 's', '1'], ['GET', 's']])).toEqual(['OK', Buffer.from('1')]);
      await new Promise((r) => setTimeout(r, 200));
      const [a, b] = await Promise.all([readStats(nc.statsPort), readStats(sg.statsPort)]);
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      expect(Object.keys(b.alpha).sort()).toEqual(Object.keys(a.alpha).sort());
      for (const label of Object.keys(a.alpha).filter((k) => typeof a.alpha[k] === 'object')) {
        expect(Object.keys(b.alpha[label]).sort()).toEqual(Object.keys(a.alpha[label]).sort());
      }
      expect(b.service).toBe('nutcracker');
    } finally {
      await nc.stop();
      await sg.stop();
    }
  });

  it('validates configs with -t like nutcracker -t', () => {
    const dir = tmpDir();
    const good = path.join(dir, 'good.yml');
    const bad = path.join(dir, 'bad.yml');
    fs.writeFileSync(good, 'alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n');
    fs.writeFileSync(bad, 'alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  distribution: ketamaa\n  servers:\n   - 127.0.0.1:6379:1\n');
    for (const [file, ok] of [[good, true], [bad, false]] as const) {
      const nc = spawnSync('nutcracker', ['-t', '-c', file], { encoding: 'utf8' });
      const sg = spawnSync(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', file], { encoding: 'utf8' });
      expect(nc.status === 0).toBe(ok);
      expect(sg.status === 0).toBe(ok);
    }
    const out = spawnSync(process.execPath, [SHARDGATE_BIN, 'proxy', '-t', '-c', bad], { encoding: 'utf8' });
    expect(out.stderr).toMatch(/line 4/);
    expect(out.stderr).toMatch(/distribution/);
    expect(execFileSync(process.execPath, [SHARDGATE_BIN, '--help'], { encoding: 'utf8' })).toMatch(/proxy/);
  });
});
