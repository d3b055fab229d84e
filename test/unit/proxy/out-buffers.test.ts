// The proxy's output buffers reuse their memory after a write the socket
// finished on the spot. These tests write through a real loopback socket whose
// peer stops reading, so writes become partial and stay queued, then keep
// staging more (the bytes reused would be overwritten), and check the peer
// finally receives exactly what was staged, in order. Both write paths: straight
// to the socket's handle (socket-write.ts) and through socket.write
// (SHARDGATE_SOCKET_WRITE=stream, the fallback).
import { afterEach, describe, expect, it, vi } from 'vitest';
import net from 'node:net';

type Mods = {
  ClientOut: typeof import('../../../src/proxy/client-out.js').ClientOut;
  OutBuffer: typeof import('../../../src/proxy/out-buffer.js').OutBuffer;
  sw: typeof import('../../../src/proxy/socket-write.js');
};

/** Fresh copies of the modules, loaded with SHARDGATE_SOCKET_WRITE set as given. */
async function load(mode: 'direct' | 'stream'): Promise<Mods> {
  vi.resetModules();
  vi.stubEnv('SHARDGATE_SOCKET_WRITE', mode === 'stream' ? 'stream' : '');
  try {
    const sw = await import('../../../src/proxy/socket-write.js');
    const { ClientOut } = await import('../../../src/proxy/client-out.js');
    const { OutBuffer } = await import('../../../src/proxy/out-buffer.js');
    expect(sw.writeMode()).toBe(mode);
    return { ClientOut, OutBuffer, sw };
  } finally {
    vi.unstubAllEnvs();
  }
}

interface Pair { writer: net.Socket; reader: net.Socket; server: net.Server }
let pair: Pair | null = null;

async function socketPair(): Promise<Pair> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const writer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => writer.once('connect', () => r()));
  return { writer, reader: await accepted, server };
}

afterEach(async () => {
  if (pair) {
    pair.writer.destroy();
    pair.reader.destroy();
    await new Promise<void>((r) => pair!.server.close(() => r()));
  }
  pair = null;
});

/** Bytes whose content says where they are: batch b, item i, size n. */
function item(b: number, i: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let k = 0; k < n; k++) out[k] = (b * 31 + i * 7 + k) & 0xff;
  return out;
}

async function readAll(reader: net.Socket, total: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  reader.resume();
  for await (const chunk of reader) {
    parts.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (got >= total) break;
  }
  return Buffer.concat(parts);
}

describe.each(['direct', 'stream'] as const)('output buffers, %s writes', (mode) => {
  it('ClientOut: what was staged arrives intact even when writes stay queued (peer not reading)', async () => {
    const { ClientOut, sw } = await load(mode);
    pair = await socketPair();
    const out = new ClientOut();
    const shared = Buffer.alloc(256 * 1024);
    const expected: Buffer[] = [];
    let queued = 0;
    for (let b = 0; b < 1200; b++) { // ~12 MB: more than the kernel buffers of a peer that does not read (~4 MB)
      const sizes = [5, 40, 1000, b % 7 === 0 ? 20_000 : 3, b % 11 === 0 ? 70_000 : 12];
      sizes.forEach((n, i) => {
        const v = item(b, i, n);
        expected.push(v);
        if (i % 2 === 0) {
          // As replies come: copied out of a shared buffer that is overwritten right after.
          v.copy(shared);
          out.copy(shared, 0, n);
          shared.fill(0xee, 0, n);
        } else {
          out.add(Buffer.from(v)); // the proxy's own replies: handed over
        }
      });
      out.writeTo(pair.writer);
      if (sw.queuedBytes(pair.writer) > 0) queued++;
    }
    const want = Buffer.concat(expected);
    expect(queued).toBeGreaterThan(0); // the reuse-after-queued-write path was taken
    const got = await readAll(pair.reader, want.length);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('OutBuffer: appended and reserved bytes arrive intact even when writes stay queued', async () => {
    const { OutBuffer, sw } = await load(mode);
    pair = await socketPair();
    const out = new OutBuffer(16 * 1024, 1024 * 1024);
    const expected: Buffer[] = [];
    let queued = 0;
    for (let b = 0; b < 600; b++) {
      for (let i = 0; i < 6; i++) {
        const v = item(b, i, i === 5 && b % 3 === 0 ? 50_000 : 30 + i * 300);
        expected.push(v);
        if (i % 2 === 0) out.append(v, 0, v.length);
        else {
          const o = out.reserve(v.length);
          v.copy(out.bytes, o);
        }
      }
      out.writeTo(pair.writer);
      if (sw.queuedBytes(pair.writer) > 0) queued++;
    }
    const want = Buffer.concat(expected);
    expect(queued).toBeGreaterThan(0);
    const got = await readAll(pair.reader, want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('writeBuffer: All while the peer reads, then Queued/Blocked when it stops, and drain once the backlog is taken', async () => {
    const { sw } = await load(mode);
    pair = await socketPair();
    const { writer, reader } = pair;
    const small = item(1, 1, 100);
    expect(sw.writeBuffer(writer, small)).toBe(sw.Wrote.All);
    const chunks: Buffer[] = [small];
    let verdict: number = sw.Wrote.All;
    for (let i = 0; i < 2000 && verdict !== sw.Wrote.Blocked; i++) {
      const c = item(2, i, 64 * 1024);
      chunks.push(c);
      verdict = sw.writeBuffer(writer, c);
    }
    expect(verdict).toBe(sw.Wrote.Blocked);
    expect(sw.queuedBytes(writer)).toBeGreaterThanOrEqual(writer.writableHighWaterMark);
    const drained = new Promise<void>((r) => writer.once('drain', () => r()));
    const want = Buffer.concat(chunks);
    const got = await readAll(reader, want.length);
    await drained;
    expect(sw.queuedBytes(writer)).toBe(0);
    expect(got.equals(want)).toBe(true);
  });
});
