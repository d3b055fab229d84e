// Crowds of hostile connections against the real CLI in front of a real
// redis-server, while a normal client keeps working:
// - a slowloris crowd: 500 connections that each send one byte of a request
//   that never ends every 300 ms; the normal client's replies stay right and
//   fast, and the proxy's resident memory stays bounded;
// - a TLS handshake flood: 300 TCP connections to a TLS listener that send
//   nothing, half a ClientHello, plaintext RESP, or random bytes; a TLS client
//   keeps getting replies, plaintext is closed at once, and the 10 s handshake
//   deadline closes the silent and the half-done ones (random bytes are closed
//   at once, or by the deadline when OpenSSL reads them as the start of an
//   SSLv2-style record and waits for the rest).
// Latency bounds are generous (the machine may be loaded); the figures are
// printed for the record.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../../fixtures/certs.js';
import { freePort } from '../../fixtures/ports.js';
import { until } from '../../fixtures/until.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { RespClient } from '../../fixtures/resp-client.js';

let certs: TestCerts;
let redis: Proc;
let proxy: Proc;
const port = { plain: 0, tls: 0 };

beforeAll(async () => {
  certs = makeCerts([]);
  redis = await startRedis();
  port.plain = await freePort();
  port.tls = await freePort();
  const conf = path.join(tmpDir('shardgate-floods-'), 'proxy.yaml');
  fs.writeFileSync(conf, [
    'plain:', `  listen: 127.0.0.1:${port.plain}`, '  redis: true', '  servers:', `    - 127.0.0.1:${redis.port}:1`,
    'secure:', `  listen: 127.0.0.1:${port.tls}`, '  redis: true', '  servers:', `    - 127.0.0.1:${redis.port}:1`,
    '  shardgate:', '    tls:', `      cert: ${certs.serverCert}`, `      key: ${certs.serverKey}`,
  ].join('\n') + '\n');
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], port.plain);
  await proxy.waitForOutput('pool secure listening');
}, 60_000);
afterAll(async () => { await proxy?.stop(); await redis?.stop(); });

/** The proxy's resident memory, from /proc (bytes). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** Round trips of `send` every `everyMs` for `ms`: each one's latency, checked by `ok`. */
async function probe(ms: number, everyMs: number, trip: (i: number) => Promise<boolean>): Promise<number[]> {
  const lat: number[] = [];
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end; i++) {
    const t0 = performance.now();
    expect(await trip(i)).toBe(true);
    lat.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return lat;
}

const describeLinux = fs.existsSync('/proc/self/status') ? describe : describe.skip;
if (!fs.existsSync('/proc/self/status')) console.log('no /proc: the flood tests read the proxy\'s memory from /proc and are skipped');

describeLinux('a slowloris crowd', () => {
  it('500 connections sending a byte every 300 ms: a normal client keeps fast, right replies; memory stays bounded', async () => {
    const normal = await RespClient.connect(port.plain);
    for (let i = 0; i < 40; i++) expect(await normal.call(['SET', `sl:${i}`, `v${i}`])).toBe('OK');
    const quiet = await probe(2000, 50, async (i) => (await normal.call(['GET', `sl:${i % 40}`])) === `v${i % 40}`);
    const rssBefore = rss(proxy.pid);
    const crowd: net.Socket[] = [];
    let closedByProxy = 0;
    // Requests that never end: a bulk argument read byte by byte, or an inline line that never gets its newline.
    const openings = ['*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$1000000\r\n', 'SET slow '];
    for (let i = 0; i < 500; i++) {
      const s = net.connect({ port: port.plain, host: '127.0.0.1' });
      s.on('error', () => { /* counted by close */ });
      s.on('close', () => { closedByProxy++; });
      s.write(openings[i % 2]!);
      crowd.push(s);
    }
    let ticks = 0;
    const drip = setInterval(() => {
      ticks++;
      for (const s of crowd) if (!s.destroyed) s.write('x');
    }, 300);
    try {
      await until('the crowd is connected', () => crowd.every((s) => !s.connecting), 20_000, 50);
      const loaded = await probe(8000, 50, async (i) => (await normal.call(['GET', `sl:${i % 40}`])) === `v${i % 40}`);
      const rssAfter = rss(proxy.pid);
      console.log(`slowloris: ${crowd.length} connections, ${ticks} drips; normal client GET latency ms p50 ${pct(loaded, 0.5).toFixed(2)} p99 ${pct(loaded, 0.99).toFixed(2)} max ${Math.max(...loaded).toFixed(2)} (${loaded.length} requests; before the crowd p50 ${pct(quiet, 0.5).toFixed(2)}); proxy RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MB; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
      expect(pct(loaded, 0.5)).toBeLessThan(100);
      expect(Math.max(...loaded)).toBeLessThan(2000);
      expect(rssAfter - rssBefore).toBeLessThan(64 * 2 ** 20);
      // nobody was served or dropped: the crowd's requests are still being read
      expect(closedByProxy).toBe(0);
    } finally {
      clearInterval(drip);
      for (const s of crowd) s.destroy();
    }
    expect(await normal.call(['PING'])).toBe('PONG');
    normal.close();
  }, 60_000);
});

describeLinux('a TLS handshake flood', () => {
  it('300 connections that send nothing, half a ClientHello, plaintext or random bytes: a TLS client keeps working; the 10 s deadline closes them', async () => {
    const client = tls.connect({ host: '127.0.0.1', port: port.tls, ca: fs.readFileSync(certs.ca) });
    await new Promise<void>((resolve, reject) => { client.once('secureConnect', () => resolve()); client.once('error', reject); });
    let buffered = '';
    const waiters: Array<() => void> = [];
    client.on('data', (d) => { buffered += d.toString(); while (buffered.includes('\r\n') && waiters.length) waiters.shift()!(); });
    const ping = (): Promise<boolean> => new Promise((resolve) => {
      waiters.push(() => { const i = buffered.indexOf('\r\n'); const line = buffered.slice(0, i); buffered = buffered.slice(i + 2); resolve(line === '+PONG'); });
      client.write('PING\r\n');
    });
    const rssBefore = rss(proxy.pid);
    // A record header that announces a 512-byte ClientHello, and only its first bytes.
    const half = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), crypto.randomBytes(32)]);
    type Kind = 'silent' | 'half' | 'plaintext' | 'random';
    const KINDS = ['silent', 'half', 'plaintext', 'random'] as const;
    const flood: { kind: Kind; at: number; closedAfter: number | null }[] = [];
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const kind: Kind = KINDS[i % KINDS.length]!;
      const rec = { kind, at: Date.now(), closedAfter: null as number | null };
      const s = net.connect({ port: port.tls, host: '127.0.0.1' }, () => {
        if (kind === 'half') s.write(half);
        if (kind === 'plaintext') s.write('*1\r\n$4\r\nPING\r\n'.repeat(20));
        if (kind === 'random') s.write(crypto.randomBytes(600));
      });
      s.on('error', () => { /* the close is what is measured */ });
      // Read (and drop) what the proxy sends — a TLS alert for some random bytes: a socket whose
      // data is never read never reports the close that follows it.
      s.resume();
      s.on('close', () => { rec.closedAfter = Date.now() - rec.at; });
      flood.push(rec);
      sockets.push(s);
    }
    try {
      const lat = await probe(6000, 50, () => ping());
      await until('the plaintext connections are closed', () => flood.filter((f) => f.kind === 'plaintext').every((f) => f.closedAfter !== null), 5000, 50);
      const lat2 = await probe(2000, 50, () => ping());
      const all = [...lat, ...lat2];
      const stillOpen = () => KINDS.map((k) => `${k} ${flood.filter((f) => f.kind === k && f.closedAfter === null).length}`).join(', ');
      await until('the handshake deadline closes the silent, half-done and random ones', () => flood.every((f) => f.closedAfter !== null), 25_000, 100)
        .catch((err: Error) => { throw new Error(`${err.message}; still open: ${stillOpen()}`); });
      const rssAfter = rss(proxy.pid);
      const by = (k: Kind) => flood.filter((f) => f.kind === k).map((f) => f.closedAfter!);
      const early = (k: Kind) => by(k).filter((ms) => ms < 5000).length;
      console.log(`TLS flood: closed after ms: plaintext max ${Math.max(...by('plaintext'))}, random: ${early('random')} of ${by('random').length} at once, max ${Math.max(...by('random'))}, silent min ${Math.min(...by('silent'))} max ${Math.max(...by('silent'))}, half min ${Math.min(...by('half'))} max ${Math.max(...by('half'))}; TLS client PING ms p50 ${pct(all, 0.5).toFixed(2)} p99 ${pct(all, 0.99).toFixed(2)} max ${Math.max(...all).toFixed(2)}; proxy RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MB; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
      expect(Math.max(...by('plaintext'))).toBeLessThan(5000);
      expect(Math.max(...by('random'))).toBeLessThan(5000); // refused in the handshake at once (with an alert or without)
      for (const k of ['silent', 'half'] as const) {
        // held until the 10 s deadline, then closed by the proxy (not before: nothing else closes them)
        expect(Math.min(...by(k))).toBeGreaterThanOrEqual(9000);
        expect(Math.max(...by(k))).toBeLessThan(25_000);
      }
      expect(pct(all, 0.5)).toBeLessThan(100);
      expect(Math.max(...all)).toBeLessThan(2000);
      expect(rssAfter - rssBefore).toBeLessThan(64 * 2 ** 20);
      expect(await ping()).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      client.destroy();
    }
  }, 60_000);
});
