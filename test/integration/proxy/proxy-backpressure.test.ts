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

  it('stops reading a client that does not read its replies, and delivers them all in order once it reads', async () => {
    const io = new Redis({ port: c.port });
    // 10 KB replies: a batch of them leaves in one write straight to the socket (socket-write.ts).
    const value = Buffer.alloc(10 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
    await io.set('bp:big', value);
    const N = 3000; // ~30 MB of replies, far past the 16 MB a client may have unsent
    const before = (await readStats(c.statsPort)).alpha;
    const requestsBefore = (Object.values(before).find((v) => typeof v === 'object') as Record<string, number>).requests;
    const rssBefore = rssKb(c.proxy.pid);
    const sock = net.connect({ port: c.port, host: '127.0.0.1' });
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    // In waves, so the proxy sees the replies pile up between reads of this client.
    const wave = Buffer.concat(Array.from({ length: N / 12 }, () => encodeCommand(['GET', 'bp:big'])));
    for (let w = 0; w < 12; w++) {
      sock.write(wave);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    const stalled = (await readStats(c.statsPort)).alpha;
    const taken = (Object.values(stalled).find((v) => typeof v === 'object') as Record<string, number>).requests - requestsBefore;
    expect(taken).toBeLessThan(N); // the proxy stopped reading this client
    expect(rssKb(c.proxy.pid) - rssBefore).toBeLessThan(120 * 1024);
    let replies = 0;
    let intact = true;
    const scanner = new ReplyScanner();
    const want = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n')]);
    await new Promise<void>((resolve) => {
      sock.on('data', (d) => scanner.feed(d, {
        onReply: (b, s, e) => {
          if (!b.subarray(s, e).equals(want)) intact = false;
          if (++replies === N) resolve();
        },
      }));
      sock.resume();
    });
    expect(intact).toBe(true);
    sock.destroy();
    io.disconnect();
  }, 60_000);
});
