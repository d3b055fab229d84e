// A pool behind a load balancer that speaks the PROXY protocol
// (`shardgate: proxy_protocol: true`): the client's real address from a v1 or
// v2 header shows in CLIENT LIST / CLIENT INFO, requests after the header
// (in the same packet or byte by byte) are served, and a connection without a
// valid header gets a RESP error and is closed — through the real CLI, in
// front of a real redis-server.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, rawExchange, type Cluster } from '../../fixtures/cluster.js';
import { until } from '../../fixtures/until.js';

let cluster: Cluster;
beforeAll(async () => { cluster = await startCluster({ servers: 1, extra: ['shardgate:', '  proxy_protocol: true'] }); });
afterAll(async () => { await cluster?.stop(); });

const CLIENT_INFO = '*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n';
const SET = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n';

function v2ipv4(src: number[], sport: number): Buffer {
  const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]);
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from([127, 0, 0, 1]).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(cluster.port, 10);
  return Buffer.concat([sig, b]);
}

/** Send `bytes` one at a time, then collect replies for a moment. */
function byteByByte(bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port: cluster.port, host: '127.0.0.1' });
    let data = '';
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('connect', async () => {
      for (const b of bytes) { s.write(Buffer.from([b])); await new Promise((r) => setImmediate(r)); }
      setTimeout(() => { s.destroy(); resolve(data); }, 300);
    });
  });
}

describe('PROXY protocol listener', () => {
  it('v1: the address in the header is the client address', async () => {
    const r = await rawExchange(cluster.port, `PROXY TCP4 203.0.113.7 127.0.0.1 51234 ${cluster.port}\r\n${SET}${CLIENT_INFO}`);
    expect(r.data.startsWith('+OK\r\n')).toBe(true);
    expect(r.data).toContain('addr=203.0.113.7:51234 ');
  });
  it('v2 (binary), sent byte by byte: the address in the header is the client address', async () => {
    const data = await byteByByte(Buffer.concat([v2ipv4([198, 51, 100, 9], 4242), Buffer.from(SET + CLIENT_INFO)]));
    expect(data.startsWith('+OK\r\n')).toBe(true);
    expect(data).toContain('addr=198.51.100.9:4242 ');
  });
  it('CLIENT LIST shows every client by its real address', async () => {
    const s = net.connect({ port: cluster.port, host: '127.0.0.1' });
    await new Promise((r) => s.once('connect', r));
    s.write(`PROXY TCP6 2001:db8::7 ::1 40000 ${cluster.port}\r\n`);
    const r = await rawExchange(cluster.port, `PROXY TCP4 192.0.2.1 127.0.0.1 1111 ${cluster.port}\r\n*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n`);
    s.destroy();
    expect(r.data).toContain('addr=192.0.2.1:1111 ');
    expect(r.data).toContain('addr=[2001:db8::7]:40000 ');
  });
  it('a client without a header gets a RESP error and is closed', async () => {
    const r = await rawExchange(cluster.port, SET, 2000);
    expect(r.data).toMatch(/^-ERR Protocol error: the connection did not start with a PROXY protocol header/);
    expect(r.closed).toBe(true);
    // the log line is written asynchronously (pino): wait for it rather than read the output at once
    await until('the refusal is logged', () => cluster.proxy.output().includes('connection refused: the connection did not start with a PROXY protocol header'), 5000);
  });
});
