// Flood client (a child of the harness): writes N pipelined SETs of a fixed-size
// value in batches, as fast as the socket accepts them (it waits only for
// 'drain', never for replies), and counts the replies. Owns: the load and the
// reply count. Prints one JSON line:
// { sent, replies, ok, errors, firstError, closedEarly, stalled, sendMs, totalMs }.
// Usage: node flood-client.mjs --port P [--requests 200000] [--batch 1000] [--size 1024] [--prefix flood:]
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  port: { type: 'string' }, requests: { type: 'string', default: '200000' },
  batch: { type: 'string', default: '1000' }, size: { type: 'string', default: '1024' },
  prefix: { type: 'string', default: 'flood:' }, 'stall-ms': { type: 'string', default: '20000' },
} });
const N = Number(values.requests);
const BATCH = Number(values.batch);
const SIZE = Number(values.size);
const stallMs = Number(values['stall-ms']);
const value = Buffer.alloc(SIZE, 'x');
const valueHead = Buffer.from(`$${SIZE}\r\n`);
const crlf = Buffer.from('\r\n');

function batchBuffer(from, to) {
  const parts = [];
  for (let i = from; i < to; i++) {
    const key = `${values.prefix}${i}`;
    parts.push(Buffer.from(`*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`), valueHead, value, crlf);
  }
  return Buffer.concat(parts);
}

const sock = net.connect({ port: Number(values.port), host: '127.0.0.1' });
let replies = 0;
let ok = 0;
let errors = 0;
let firstError = null;
let atLineStart = true;
let lineIsError = false;
let errText = '';
let closedEarly = false;
let stalled = false;
let lastProgress = Date.now();
const t0 = Date.now();
let sendMs = null;

sock.on('data', (d) => {
  lastProgress = Date.now();
  // Every SET reply is one line (+OK or -ERR …): count lines, look at their first byte.
  for (let i = 0; i < d.length; i++) {
    const c = d[i];
    if (atLineStart) { lineIsError = c === 45; atLineStart = false; errText = ''; }
    if (lineIsError && firstError === null && errText.length < 200) errText += String.fromCharCode(c);
    if (c === 10) {
      replies++;
      if (lineIsError) { errors++; firstError ??= errText.trim(); } else ok++;
      atLineStart = true;
    }
  }
  if (replies >= N) finish();
});
sock.on('error', () => { closedEarly = true; });
sock.on('close', () => { if (replies < N) closedEarly = true; finish(); });

let done = false;
function finish() {
  if (done) return;
  done = true;
  process.stdout.write(`${JSON.stringify({ sent: sentCount, replies, ok, errors, firstError, closedEarly, stalled, sendMs, totalMs: Date.now() - t0 })}\n`);
  sock.destroy();
  process.exit(0);
}

let sentCount = 0;
sock.once('connect', async () => {
  for (let i = 0; i < N && !done; i += BATCH) {
    const to = Math.min(N, i + BATCH);
    const more = sock.write(batchBuffer(i, to));
    sentCount = to;
    lastProgress = Date.now();
    if (!more) await new Promise((r) => { sock.once('drain', r); sock.once('close', r); });
    lastProgress = Date.now();
  }
  sendMs = Date.now() - t0;
});
setInterval(() => { if (Date.now() - lastProgress > stallMs) { stalled = true; finish(); } }, 1000);
