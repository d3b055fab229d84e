// The replica link's parser under every framing: a scripted master socket
// sends the handshake replies, the full-sync payload and the command stream
// split at random points (one byte at a time included); the replica must end
// with the same data and offset whatever the split.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pino } from 'pino';
import { attachReplication, type ReplicationHandle } from '../../../src/node/replication/index.js';
import { SnapshotEncoder } from '../../../src/node/persistence/snapshot-format.js';
import { encodeCommand } from '../../../src/resp/encode.js';
import { StubCore } from './repl-persist-stub-core.js';

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

function payload(n: number): Buffer {
  const enc = new SnapshotEncoder();
  const parts = [enc.header(), enc.aux('repl-id', 'x')];
  for (let i = 0; i < n; i++) parts.push(enc.entry(`p${i}`, Buffer.from(`v${i}`), 0));
  parts.push(enc.end());
  return Buffer.concat(parts);
}

/** A master that answers the handshake, then sends `bytes` cut at `cuts`; resolves with what the replica sent. */
async function scriptedMaster(bytes: Buffer, cuts: number[]): Promise<{ port: number; received: () => string; close: () => Promise<void> }> {
  let got = '';
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    let sent = false;
    s.on('data', async (d) => {
      got += d.toString('latin1');
      if (sent || !/PSYNC/i.test(got)) return;
      sent = true;
      let prev = 0;
      for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b), bytes.length]) {
        if (c <= prev) continue;
        s.write(bytes.subarray(prev, c));
        prev = c;
        await new Promise((r) => setImmediate(r));
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received: () => got,
    close: () => { for (const s of socks) s.destroy(); return new Promise((r) => srv.close(() => r())); },
  };
}

async function replicaOf(port: number): Promise<{ core: StubCore; repl: ReplicationHandle }> {
  const core = new StubCore({ replicaof: { host: '127.0.0.1', port } });
  const repl = attachReplication(core, { logger: silent });
  cleanups.push(() => repl.close());
  return { core, repl };
}

describe('replica link framing', () => {
  const snap = payload(20);
  const stream = Buffer.concat([
    encodeCommand(['SET', 'a', '1']), encodeCommand(['PING']), encodeCommand(['DEL', 'p3']),
    encodeCommand(['INCR', 'n']), encodeCommand(['INCR', 'n']), encodeCommand(['SET', 'p0', 'changed']),
  ]);
  const bytes = Buffer.concat([
    Buffer.from('+PONG\r\n+OK\r\n+OK\r\n\n+FULLRESYNC 0123456789012345678901234567890123456789 1000\r\n\n$'),
    Buffer.from(`${snap.length}\r\n`), snap, stream,
  ]);

  it('loads the payload and applies the stream whatever the chunking (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 25 }), async (cuts) => {
      const m = await scriptedMaster(bytes, cuts);
      const { core } = await replicaOf(m.port);
      const deadline = Date.now() + 5000;
      const done = (): boolean => core.keyspace.map.get('p0')?.v.toString() === 'changed';
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(done()).toBe(true);
      const data = Object.fromEntries([...core.keyspace.map].map(([k, v]) => [k, v.v.toString()]));
      expect(data.a).toBe('1');
      expect(data.n).toBe('2');
      expect(data.p3).toBeUndefined();
      expect(Object.keys(data).length).toBe(20 + 1);
      expect(core.readOnly).toBe(true);
      expect(m.received()).toMatch(/PSYNC\r\n\$1\r\n\?\r\n\$2\r\n-1\r\n/);
      for (const c of cleanups.splice(0)) await c();
      await m.close();
    }), { numRuns: 25 });
  });

  it('one byte at a time', async () => {
    const m = await scriptedMaster(bytes, Array.from({ length: bytes.length }, (_, i) => i));
    const { core } = await replicaOf(m.port);
    const deadline = Date.now() + 10_000;
    while (core.keyspace.map.get('p0')?.v.toString() !== 'changed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(core.keyspace.map.get('n')?.v.toString()).toBe('2');
    // the periodic ACK names the offset after the whole stream
    const expectedOffset = String(1000 + stream.length);
    const ack = `ACK\r\n$${expectedOffset.length}\r\n${expectedOffset}\r\n`;
    const ackDeadline = Date.now() + 3000;
    while (!m.received().includes(ack) && Date.now() < ackDeadline) await new Promise((r) => setTimeout(r, 20));
    expect(m.received()).toContain(ack);
    await m.close();
  });
});
