// Graceful shutdown, as Kubernetes does it on every rollout: SIGTERM to a
// proxy (one process, and -w 2) while eight clients pipeline SETs through it.
// The proxy stops accepting, answers every request it had read, closes the
// clients once answered, and exits 0. Checked against redis-server itself:
// every SET that reached a backend was answered to its client (no reply owed
// is dropped), and each client's replies are all +OK.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { poolYaml } from '../../fixtures/cluster.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

const started: Proc[] = [];
afterEach(async () => { await Promise.all(started.splice(0).map((p) => p.stop('SIGKILL'))); });

/** A client that pipelines SETs as fast as replies come back, counting the +OKs, until its connection ends. */
function pipeliner(port: number, id: number): Promise<{ ok: number; bad: string[] }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let sent = 0;
    let ok = 0;
    let buf = '';
    const bad: string[] = [];
    const burst = () => {
      let out = '';
      for (let i = 0; i < 32; i++, sent++) {
        const k = `c${id}:${sent}`;
        out += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$1\r\nv\r\n`;
      }
      s.write(out);
    };
    s.on('connect', burst);
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (line === '+OK') ok++; else bad.push(line);
      }
      if (ok + bad.length === sent && !s.writableEnded) burst();
    });
    s.on('error', () => { /* the end is what we measure */ });
    s.on('close', () => resolve({ ok, bad }));
  });
}

async function keysOf(ports: number[], id: number): Promise<number> {
  let n = 0;
  for (const p of ports) {
    const c = await RespClient.connect(p);
    n += ((await c.call(['KEYS', `c${id}:*`])) as unknown[]).length;
    c.close();
  }
  return n;
}

describe('SIGTERM under a pipelined load', () => {
  for (const workers of [1, 2]) {
    it(`answers every request it read, then exits 0 (workers: ${workers})`, async () => {
      const redis = await Promise.all([0, 1, 2].map(() => startRedis()));
      started.push(...redis);
      const port = await freePort();
      const conf = path.join(tmpDir('shardgate-shutdown-'), 'proxy.yaml');
      fs.writeFileSync(conf, poolYaml(port, redis.map((r) => r.port)));
      const proxy = await startShardgate(['proxy', '-c', conf, '-s', '0', ...(workers > 1 ? ['-w', String(workers)] : [])], port);
      started.push(proxy);
      const clients = Array.from({ length: 8 }, (_, i) => pipeliner(port, i));
      await until('traffic flows', async () => (await keysOf([redis[0]!.port], 0)) > 200, 10_000);
      const exited = new Promise<number | null>((resolve) => proxy.child.once('exit', (code) => resolve(code)));
      process.kill(proxy.pid, 'SIGTERM');
      const results = await Promise.all(clients);
      expect(await exited).toBe(0);
      const ports = redis.map((r) => r.port);
      for (const [i, r] of results.entries()) {
        expect(r.bad).toEqual([]);
        expect(r.ok).toBeGreaterThan(0);
        // What the backends executed is exactly what the client was told.
        expect(await keysOf(ports, i)).toBe(r.ok);
      }
      expect(proxy.output()).toMatch(/drained: \d+ clients answered and closed/);
    }, 60_000);
  }
});
