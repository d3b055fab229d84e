// Idle-connection opener (a child of the harness, run under a raised ulimit -n).
// Owns: opening N TCP connections to one port, sending one PING on each and
// waiting for +PONG (so the proxy has really accepted and served it), then
// holding them idle until stdin closes or says "close".
// Gives up opening new ones after --deadline-ms (default 60 s).
// Prints one JSON line: { opened, failed, firstError, timedOut, ms }.
// Usage: node idle-opener.mjs --port P --count N [--concurrency C] [--deadline-ms MS]
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  port: { type: 'string' }, count: { type: 'string', default: '10000' },
  concurrency: { type: 'string', default: '200' }, host: { type: 'string', default: '127.0.0.1' },
  'deadline-ms': { type: 'string', default: '60000' },
} });
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const socks = [];
let failed = 0;
let firstError = null;

function openOne() {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: values.host });
    let got = '';
    const fail = (why) => {
      failed++;
      firstError ??= why;
      s.destroy();
      resolve();
    };
    const t = setTimeout(() => fail('no +PONG within 10 s'), 10000);
    s.once('error', (e) => { clearTimeout(t); fail(e.code ?? e.message); });
    s.once('connect', () => s.write('*1\r\n$4\r\nPING\r\n'));
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) {
        clearTimeout(t);
        s.removeAllListeners('data');
        if (!got.startsWith('+PONG')) return fail(`PING replied ${JSON.stringify(got.trim())}`);
        s.removeAllListeners('error');
        s.on('error', () => {});
        socks.push(s);
        resolve();
      }
    });
  });
}

const t0 = Date.now();
const deadline = t0 + Number(values['deadline-ms']);
let next = 0;
let timedOut = false;
async function worker() {
  while (next < count) {
    if (Date.now() > deadline) { timedOut = true; return; }
    next++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
process.stdout.write(`${JSON.stringify({ opened: socks.length, failed: failed + (count - next), firstError, timedOut, ms: Date.now() - t0 })}\n`);

const closeAll = () => { for (const s of socks) s.destroy(); process.exit(0); };
process.stdin.on('data', (d) => { if (String(d).includes('close')) closeAll(); });
process.stdin.on('end', closeAll);
