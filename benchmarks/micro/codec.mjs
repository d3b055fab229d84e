// Codec micro-benchmark: requests/s and replies/s through our scanners, and
// redis-parser decoding the same replies (what it would cost to decode and
// re-encode instead of forwarding raw ranges). Run: npm run build && node benchmarks/micro/codec.mjs
import { createRequire } from 'node:module';
import { RequestScanner } from '../../dist/resp/request-scanner.js';
import { ReplyScanner } from '../../dist/resp/reply-scanner.js';
import { encodeCommand } from '../../dist/resp/encode.js';

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser');

function bench(name, count, fn) {
  fn(); // warm up
  const rounds = 5;
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(count / s);
  }
  rates.sort((a, b) => a - b);
  const med = rates[Math.floor(rounds / 2)];
  console.log(`${name.padEnd(48)} ${(med / 1e6).toFixed(2)} M/s`);
  return med;
}

const N = 200_000;
const reqs = Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeCommand(['SET', `key:${i}`, 'x'.repeat(32)])));
const chunks = [];
for (let p = 0; p < reqs.length; p += 16384) chunks.push(reqs.subarray(p, p + 16384));
const sink = { n: 0, onRequest() { this.n++; }, onReply() { this.n++; } };

bench('RequestScanner SET 32B (16 KB chunks)', N, () => {
  const s = new RequestScanner();
  for (let i = 0; i < N / 1000; i++) for (const c of chunks) s.feed(c, sink);
});

const replies = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i % 2 ? `$32\r\n${'y'.repeat(32)}\r\n` : '+OK\r\n')).join(''));
bench('ReplyScanner bulk/simple (raw ranges)', N, () => {
  const s = new ReplyScanner();
  for (let i = 0; i < N / 1000; i++) s.feed(replies, sink);
});
bench('redis-parser decode same replies (Buffers)', N, () => {
  const p = new RedisParser({ returnReply() {}, returnError() {}, returnBuffers: true });
  for (let i = 0; i < N / 1000; i++) p.execute(replies);
});
const mget = Buffer.from(`*10\r\n${Array.from({ length: 10 }, () => '$16\r\nabcdefghijklmnop\r\n').join('')}`.repeat(100));
bench('ReplyScanner MGET-10 arrays (replies)', N / 10, () => {
  const s = new ReplyScanner();
  for (let i = 0; i < N / 1000; i++) s.feed(mget, sink);
});
bench('redis-parser decode MGET-10 arrays (replies)', N / 10, () => {
  const p = new RedisParser({ returnReply() {}, returnError() {}, returnBuffers: true });
  for (let i = 0; i < N / 1000; i++) p.execute(mget);
});
