#!/usr/bin/env node
// `shardgate node` vs redis-server, one run: redis-benchmark GET/SET with
// -c 50 at pipeline 1 and 16 against each, printed with ratios.
// Usage: npm run build && node benchmarks/node-vs-redis.mjs [-n 100000]
// Uses the built CLI (node bin/shardgate.js node --port P). Stops what it starts (by pid).
import { spawn, execFile } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nIdx = process.argv.indexOf('-n');
const N = nIdx > 0 ? Number(process.argv[nIdx + 1]) : 100000;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer(); s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}
async function start(cmd, args, port) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port);
  return child;
}
async function bench(port, pipeline) {
  const { stdout } = await run('redis-benchmark', ['-p', String(port), '-t', 'get,set', '-n', String(N), '-c', '50', '-P', String(pipeline), '-q', '--csv'], { maxBuffer: 1 << 20 });
  const out = {};
  for (const line of stdout.trim().split('\n').slice(1)) {
    const cols = line.split(',').map((s) => s.replace(/"/g, ''));
    out[cols[0]] = Number(cols[1]);
  }
  return out;
}

const rport = await freePort();
const nport = await freePort();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-bench-'));
const redis = await start('redis-server', ['--port', String(rport), '--save', '', '--appendonly', 'no', '--dir', dir], rport);
const node = await start(process.execPath, [path.join(root, 'bin/shardgate.js'), 'node', '--port', String(nport), '--loglevel', 'warn', '--dir', dir], nport);
try {
  console.log(`redis-benchmark -t get,set -n ${N} -c 50; ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`);
  console.log('pipeline  test  redis-server rps  shardgate node rps  ratio');
  for (const p of [1, 16]) {
    const r = await bench(rport, p);
    const s = await bench(nport, p);
    for (const t of ['SET', 'GET']) {
      console.log(`${String(p).padStart(8)}  ${t.padEnd(4)}  ${String(r[t]).padStart(16)}  ${String(s[t]).padStart(18)}  ${(s[t] / r[t]).toFixed(2)}`);
    }
  }
} finally {
  node.kill('SIGTERM');
  redis.kill('SIGTERM');
}
