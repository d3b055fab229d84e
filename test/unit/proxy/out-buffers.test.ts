// The proxy's output buffers reuse their memory after a write the socket
// finished on the spot. These tests write through a real loopback socket whose
// peer stops reading, so writes become partial and stay queued, then keep
// staging more (the bytes reused would be overwritten), and check the peer
// finally receives exactly what was staged, in order.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { ClientOut } from '../../../src/proxy/client-out.js';
import { OutBuffer } from '../../../src/proxy/out-buffer.js';

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

describe('output buffers', () => {
  it('ClientOut: what was staged arrives intact even when writes stay queued (peer not reading)', async () => {
    pair = await socketPair();
    const out = new ClientOut();
    const shared = Buffer.alloc(256 * 1024);
    const expected: Buffer[] = [];
    let queued = 0;
    for (let b = 0; b < 400; b++) {
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
      if (pair.writer.writableLength > 0) queued++;
    }
    const want = Buffer.concat(expected);
    expect(queued).toBeGreaterThan(0); // the reuse-after-queued-write path was taken
    const got = await readAll(pair.reader, want.length);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('OutBuffer: appended and reserved bytes arrive intact even when writes stay queued', async () => {
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
      if (pair.writer.writableLength > 0) queued++;
    }
    const want = Buffer.concat(expected);
    expect(queued).toBeGreaterThan(0);
    const got = await readAll(pair.reader, want.length);
    expect(got.equals(want)).toBe(true);
  });
});
