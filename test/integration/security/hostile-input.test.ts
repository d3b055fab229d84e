// Hostile input through the real CLI: a corpus of malformed frames sent to
// shardgate and to a real redis-server gets the same reply (and the same
// close) from both; the client limits (`shardgate: limits:`) refuse too many
// arguments, too long a bulk and too large a request with a protocol error
// before the request is all read; and a fast-check run (fixed seed, bounded
// count) of random frames, garbage and cut requests leaves the proxy
// answering, every reply well-formed, and a client beside it unaffected.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../../fixtures/cluster.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { ReplyScanner } from '../../../src/resp/reply-scanner.js';

let backend: Proc;
let reference: Proc;
let proxy: Proc;
let limited: Proc;
let port = 0;
let limitedPort = 0;

async function startProxy(listen: number, extra: string[]): Promise<Proc> {
  const conf = path.join(tmpDir('shardgate-hostile-'), 'proxy.yaml');
  fs.writeFileSync(conf, ['p:', `  listen: 127.0.0.1:${listen}`, '  redis: true', '  servers:', `    - 127.0.0.1:${backend.port}:1`, ...extra].join('\n') + '\n');
  return startShardgate(['proxy', '-c', conf, '-s', '0'], listen);
}

beforeAll(async () => {
  [backend, reference] = await Promise.all([startRedis(), startRedis()]);
  port = await freePort();
  limitedPort = await freePort();
  [proxy, limited] = await Promise.all([
    startProxy(port, []),
    startProxy(limitedPort, ['shardgate:', '  limits:', '    max_request_bytes: 4096', '    max_args: 16', '    max_bulk_bytes: 1024']),
  ]);
}, 60_000);
afterAll(async () => { await proxy?.stop(); await limited?.stop(); await backend?.stop(); await reference?.stop(); });

const PING = '*1\r\n$4\r\nPING\r\n';

describe('a corpus of hostile frames: the same reply and close as redis-server', () => {
  const corpus: Array<[string, string]> = [
    ['an argument count past 2^32', '*4294967296\r\n'],
    ['a negative argument count (an empty request), then PING', `*-5\r\n${PING}`],
    ['a negative bulk length', '*2\r\n$3\r\nGET\r\n$-1\r\n'],
    ['a bulk length past 512 MB', '*2\r\n$3\r\nGET\r\n$99999999999\r\n'],
    ['a letter in a bulk length', '*1\r\n$4x\r\nPING\r\n'],
    ['something else where $ belongs', '*1\r\n:4\r\nPING\r\n'],
    ['unbalanced quotes inline', 'SET "k v\r\n'],
    ['an inline line past 64 KB', 'x'.repeat(70 * 1024)],
    ['a count line that never ends', `*${'9'.repeat(100)}`],
    ['half a request, then the client waits', '*3\r\n$3\r\nSET\r\n$1\r\nk'],
  ];
  for (const [what, bytes] of corpus) {
    it(what, async () => {
      const [ours, theirs] = await Promise.all([rawExchange(port, bytes, 400), rawExchange(reference.port, bytes, 400)]);
      expect(ours).toEqual(theirs);
    });
  }
  it('the proxy is still serving', async () => {
    expect((await rawExchange(port, PING, 300)).data).toBe('+PONG\r\n');
  });
});

describe('client limits (shardgate: limits:)', () => {
  const frame = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

  it('more arguments than max_args: a protocol error, then the connection is closed', async () => {
    const r = await rawExchange(limitedPort, frame(['MGET', ...Array.from({ length: 16 }, (_, i) => `k${i}`)]));
    expect(r).toEqual({ data: '-ERR Protocol error: invalid multibulk length\r\n', closed: true });
    const ok = await rawExchange(limitedPort, frame(['MGET', ...Array.from({ length: 15 }, (_, i) => `k${i}`)]), 300);
    expect(ok.data.startsWith('*15\r\n')).toBe(true);
  });

  it('a bulk past max_bulk_bytes: refused from its length line alone', async () => {
    const r = await rawExchange(limitedPort, '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1025\r\n');
    expect(r).toEqual({ data: '-ERR Protocol error: invalid bulk length\r\n', closed: true });
  });

  it('a request past max_request_bytes: refused before it is all read; nothing reaches the server', async () => {
    // three full key/value pairs (about 3.1 KB), then the fourth value's length line: its end would pass 4096
    const pair = (k: string) => `$3\r\n${k}\r\n$1024\r\n${'a'.repeat(1024)}\r\n`;
    const head = `*9\r\n$4\r\nMSET\r\n${pair('big')}${pair('bi1')}${pair('bi2')}$3\r\nbi3\r\n$1024\r\n`;
    const r = await rawExchange(limitedPort, head);
    expect(r).toEqual({ data: '-ERR Protocol error: request larger than 4096 bytes (shardgate.limits.max_request_bytes)\r\n', closed: true });
    expect((await rawExchange(backend.port, frame(['EXISTS', 'big', 'bi1', 'bi2', 'bi3']), 300)).data).toBe(':0\r\n');
  });

  it('a client beside them is unaffected', async () => {
    const c = await RespClient.connect(limitedPort);
    expect(await c.call(['SET', 'side', 'ok'])).toBe('OK');
    await Promise.all(Array.from({ length: 20 }, () => rawExchange(limitedPort, '*99\r\n', 200)));
    expect(await c.call(['GET', 'side'])).toBe('ok');
    c.close();
  });
});

/** Send `chunks` one write each, collect until the proxy closes or 150 ms pass quietly. */
function exchange(p: number, chunks: Buffer[]): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ port: p, host: '127.0.0.1' });
    const got: Buffer[] = [];
    let timer: NodeJS.Timeout;
    const quiet = () => { clearTimeout(timer); timer = setTimeout(() => { s.destroy(); resolve({ data: Buffer.concat(got), closed: false }); }, 150); };
    s.on('data', (d) => { got.push(d); quiet(); });
    s.on('error', () => { /* close follows */ });
    s.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(got), closed: true }); });
    s.on('connect', () => { for (const c of chunks) s.write(c); quiet(); });
  });
}

describe('fast-check: random frames and garbage through a live proxy', () => {
  const piece = fc.oneof(
    fc.constantFrom('*', '$', ':', '+', '-', '\r\n', '\r', '\n', '0', '-1', '4294967296', '99999999999', 'PING', 'GET', 'SET', '"', ' '),
    fc.array(fc.constantFrom('GET', 'SET', 'MGET', 'DEL', 'PING', 'k', '{t}', 'v'), { minLength: 1, maxLength: 5 })
      .map((a) => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((u) => Buffer.from(u).toString('latin1')),
  );
  it('the proxy answers with well-formed replies, closes only after a protocol error, and keeps serving', async () => {
    const side = await RespClient.connect(port);
    await fc.assert(fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 7 }), async (pieces, cut) => {
      const bytes = Buffer.from(pieces.join(''), 'latin1');
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += cut) chunks.push(bytes.subarray(i, i + cut));
      const r = await exchange(port, chunks);
      const replies: string[] = [];
      new ReplyScanner().feed(r.data, { onReply: (b, s, e) => { replies.push(b.toString('latin1', s, e)); } });
      expect(replies.join('')).toBe(r.data.toString('latin1'));
      const last = replies.at(-1) ?? '';
      // the proxy closes a connection only after telling it why
      if (r.closed) expect(last).toMatch(/^-ERR Protocol error: /);
      expect(await side.call(['PING'])).toBe('PONG');
    }), { seed: 20261201, numRuns: Number(process.env.SHARDGATE_FUZZ_RUNS ?? 60) });
    side.close();
  }, 60_000 + Number(process.env.SHARDGATE_FUZZ_RUNS ?? 0) * 500);
});
