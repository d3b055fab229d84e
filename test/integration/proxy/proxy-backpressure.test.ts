// Bounded memory: a client that pipelines far more than the proxy buffers,
// against a stalled backend, is simply not read any further (TCP pushes back);
// when the backend resumes every request gets its reply, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { startCluster, readStats, type Cluster } from '../../fixtures/cluster.js';
import { encodeCommand } from '../../../src/resp/encode.js';
import { ReplyScanner } from '../../../src/resp/reply-scanner.js';

let c: Cluster;
beforeAll(async () => { c = await startCluster({ servers: 1 }); });
afterAll(async () => { c.redis[0].resume(); await c.stop(); });

function rssKb(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : 0;
}

describe('backpressure', () => {
  it('stops reading a flooding client while the backend stalls, then answers every request in order', async () => {
    const N = 60_000;
    const value = Buffer.alloc(1024, 'v');
    const wire = Buffer.concat(Array.from({ length: N }, (_, i) => encodeCommand(['SET', `bp:${i}`, value])));
    const rssBefore = rssKb(c.proxy.pid);
    c.redis[0].pause();
    const sock = net.connect({ port: c.port, host: '127.0.0.1' });
    await new Promise((r) => sock.once('connect', r));
    let replies = 0;
    let okInOrder = true;
    const scanner = new ReplyScanner();
    const done = new Promise<void>((resolve) => {
      sock.on('data', (d) => scanner.feed(d, {
        onReply: (b, s, e) => {
          if (b.toString('latin1', s, e) !== '+OK\r\n') okInOrder = false;
          if (++replies === N) resolve();
        },
      }));
    });
    sock.write(wire); // ~61 MB
    await new Promise((r) => setTimeout(r, 1500));
    const stalled = await readStats(c.statsPort);
    const server = Object.values(stalled.alpha as Record<string, unknown>).find((v) => typeof v === 'object') as Record<string, number>;
    // The proxy took at most its per-client bound (4096 pending) plus one read's worth, not all 60k.
    expect(server.requests).toBeLessThan(10_000);
    // Every request taken is queued on the backend side: unsent (in_queue) or awaiting a reply (out_queue).
    expect(server.in_queue + server.out_queue).toBe(server.requests - server.responses);
    expect(server.out_queue_bytes + server.in_queue_bytes).toBeGreaterThan(server.requests * 1024);
    expect(rssKb(c.proxy.pid) - rssBefore).toBeLessThan(200 * 1024);
    c.redis[0].resume();
    await done;
    expect(okInOrder).toBe(true);
    sock.destroy();
    const io = new Redis({ port: c.port });
    expect(await io.get(`bp:${N - 1}`)).toBe(value.toString());
    io.disconnect();
  }, 60_000);
});
