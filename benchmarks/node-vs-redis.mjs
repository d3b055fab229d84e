#!/usr/bin/env node
// `shardgate node` vs redis-server, one run: redis-benchmark's full default
// test list (-c 50, -q --csv), test group by test group (-t ping, set, …,
// lrange, mset, in redis-benchmark's own order), redis-server then the node,
// for R rounds; the median rps per test and server is printed as a markdown
// table with the ratio and the issue-18 targets (every test >= 0.6x at
// pipeline 1, LPUSH/LPOP >= 0.8x). Alternating per group keeps the two
// servers under the same load on a shared machine.
// Usage: npm run build && node benchmarks/node-vs-redis.mjs [-n 50000] [-P 1,16] [-R 3] [-t ping,set,…]
//        [--baseline-bin other/bin/shardgate.js]   (another build's node as a third server, same rounds)
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
const N = nIdx > 0 ? Number(process.argv[nIdx + 1]) : 50000;
const pIdx = process.argv.indexOf('-P');
const PIPELINES = pIdx > 0 ? process.argv[pIdx + 1].split(',').map(Number) : [1];
const rIdx = process.argv.indexOf('-R');
const ROUNDS = rIdx > 0 ? Number(process.argv[rIdx + 1]) : 3;
/** redis-benchmark's default tests, as -t groups in its own order */
const ALL_GROUPS = ['ping', 'set', 'get', 'incr', 'lpush', 'rpush', 'lpop', 'rpop', 'sadd', 'hset', 'spop', 'zadd', 'zpopmin', 'lrange', 'mset'];
const tIdx = process.argv.indexOf('-t');
const GROUPS = tIdx > 0 ? process.argv[tIdx + 1].split(',').filter((g) => ALL_GROUPS.includes(g)) : ALL_GROUPS;
const bIdx = process.argv.indexOf('--baseline-bin');
const BASELINE = bIdx > 0 ? path.resolve(process.argv[bIdx + 1]) : null;
const median = (xs) => { const a = [...xs].sort((x, y) => x - y); return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2; };

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
async function bench(port, pipeline, group) {
  const { stdout } = await run('redis-benchmark', ['-p', String(port), '-t', group, '-n', String(N), '-c', '50', '-P', String(pipeline), '-q', '--csv'], { maxBuffer: 1 << 20 });
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
const bport = BASELINE ? await freePort() : 0;
const bdir = BASELINE ? fs.mkdtempSync(path.join(os.tmpdir(), 'sg-bench-base-')) : '';
const base = BASELINE ? await start(process.execPath, [BASELINE, 'node', '--port', String(bport), '--loglevel', 'warn', '--dir', bdir], bport) : null;
try {
  console.log(`redis-benchmark (default tests) -n ${N} -c 50 -q --csv; ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, ${new Date().toISOString()}`);
  let misses = 0;
  for (const p of PIPELINES) {
    const samples = { r: {}, s: {}, b: {} };
    const add = (into, res) => { for (const [t, v] of Object.entries(res)) (into[t] ??= []).push(v); };
    for (let round = 0; round < ROUNDS; round++) {
      for (const g of GROUPS) {
        add(samples.r, await bench(rport, p, g));
        add(samples.s, await bench(nport, p, g));
        if (base) add(samples.b, await bench(bport, p, g));
      }
    }
    console.log(`\npipeline ${p}, median of ${ROUNDS} rounds\n\n| test | redis-server rps | shardgate node rps | ratio |${base ? ' baseline node rps | this / baseline |' : ''}\n|---|---:|---:|---:|${base ? '---:|---:|' : ''}`);
    for (const t of Object.keys(samples.r)) {
      const r = median(samples.r[t]);
      const s = samples.s[t] ? median(samples.s[t]) : NaN;
      const ratio = s / r;
      const target = p === 1 ? (/^(LPUSH|LPOP)$/.test(t) ? 0.8 : 0.6) : 0;
      const miss = !Number.isFinite(ratio) || ratio < target;
      if (miss) misses++;
      const b = base && samples.b[t] ? median(samples.b[t]) : NaN;
      const vsBase = base ? ` ${Number.isFinite(b) ? Math.round(b) : 'missing'} | ${Number.isFinite(b) ? (s / b).toFixed(2) : '-'} |` : '';
      console.log(`| ${t} | ${Math.round(r)} | ${Number.isFinite(s) ? Math.round(s) : 'missing'} | ${Number.isFinite(ratio) ? ratio.toFixed(2) : '-'}${miss ? ' (below ' + target + ')' : ''} |${vsBase}`);
    }
  }
  console.log(misses === 0 ? '\nall pipeline-1 targets met' : `\n${misses} test(s) below target or missing`);
} finally {
  node.kill('SIGTERM');
  base?.kill('SIGTERM');
  redis.kill('SIGTERM');
}
