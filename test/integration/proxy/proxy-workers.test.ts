// `shardgate proxy -w 2`: two worker processes share the listen address; the
// stats port sums both workers' counters; SIGTERM stops the workers too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';
import { poolYaml, readStats } from '../../fixtures/cluster.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';

let redis: Proc[];
let proxy: Proc;
let port: number;
let statsPort: number;

beforeAll(async () => {
  redis = await Promise.all([0, 1, 2].map(() => startRedis()));
  port = await freePort();
  statsPort = await freePort();
  const conf = path.join(tmpDir(), 'proxy.yaml');
  fs.writeFileSync(conf, poolYaml(port, redis.map((r) => r.port)));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', String(statsPort), '-a', '127.0.0.1', '-w', '2'], port);
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('workers', () => {
  it('serves clients from two processes and sums their stats', async () => {
    // The primary hands connections to the listening workers in turn; the port opens with the first
    // worker, and on a busy machine the second may need a moment: connect until both have answered.
    const clients: Redis[] = [];
    const ids = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (ids.size < 2 && Date.now() < deadline) {
      const c = new Redis({ port });
      clients.push(c);
      ids.add(String(await c.info('server')).match(/process_id:(\d+)/)![1]);
      if (ids.size < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids.size).toBe(2);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 25; j++) expect(await clients[i % clients.length].set(`w:${i}:${j}`, 'x')).toBe('OK');
    const doc = await readStats(statsPort);
    let requests = 0;
    for (const [k, v] of Object.entries(doc.alpha as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null) requests += (v as { requests: number }).requests;
      else if (k === 'client_connections') expect(v).toBe(clients.length);
    }
    expect(requests).toBe(200);
    for (const c of clients) c.disconnect();
  });
});
