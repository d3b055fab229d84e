// `npm run bench:client`: the smart client (shardgate/client) against the same
// workload sent through the shardgate proxy with ioredis, in ONE run over the
// same three redis-servers, targets alternated round by round; medians and
// ratios printed, raw numbers in benchmarks/results/client-latest.json.
// Workload: 50 concurrent requests, pipeline 1 each (every worker awaits its
// reply before the next), 80% GET / 20% SET of 64-byte values over 10k keys.
// Also the measurement behind the client's node connection: ioredis vs our
// codec (src/redis/connection.ts) straight to one redis-server, same workload.
// Owns: this run. Must not: be a timed test, or stop what it did not start.
// Usage: node benchmarks/client.mjs [--rounds N] [--seconds S] [--concurrency C]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { installCleanup, stopAll } from './lib/procs.mjs';
import { ROOT, startProxy, startRedis } from './lib/targets.mjs';
import { ensureTools, machineInfo } from './lib/tools.mjs';
import { createClient } from '../dist/client/index.js';
import { RedisConnection } from '../dist/redis/connection.js';

const { values: argv } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' }, concurrency: { type: 'string' } } });
const ROUNDS = Number(argv.rounds ?? 5);
const SECONDS = Number(argv.seconds ?? 3);
const CONCURRENCY = Number(argv.concurrency ?? 50);
const KEYS = 10_000;
const VALUE = 'v'.repeat(64);
const log = (m) => process.stdout.write(`${m}\n`);

/** Runs `op(i)` from CONCURRENCY workers for SECONDS; req/s and latency percentiles (ms). */
async function measure(op) {
  const lat = new Float64Array(4_000_000);
  let n = 0;
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  let seed = 12345;
  const next = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const worker = async () => {
    while (performance.now() < end) {
      const r = next();
      const t = performance.now();
      try { await op(r % KEYS, r % 10 < 2); } catch { errors++; }
      if (n < lat.length) lat[n] = performance.now() - t;
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - t0) / 1000;
  const sorted = lat.subarray(0, Math.min(n, lat.length)).sort();
  const pct = (p) => Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(3));
  return { rps: Math.round(n / secs), p50Ms: pct(0.5), p99Ms: pct(0.99), errors };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

async function main() {
  installCleanup();
  const tools = ensureTools(log);
  const machine = machineInfo();
  log(`machine: ${machine.nproc} cpu (${machine.cpuModel}), node ${machine.node}, load avg ${machine.loadAvgAtStart.join(' ')}`);
  log(`rounds ${ROUNDS} × ${SECONDS} s, ${CONCURRENCY} concurrent requests, pipeline 1, 80% GET / 20% SET, ${KEYS} keys`);
  const servers = [];
  for (let i = 1; i <= 3; i++) servers.push(await startRedis(tools['redis-server'], `redis-s${i}`));
  servers.forEach((s, i) => { s.name = `s${i + 1}`; });
  const proxy = await startProxy('shardgate', null, servers, 'bench');
  if (proxy.failed) throw new Error(`the proxy did not start: ${proxy.failed}`);

  const viaProxy = new Redis({ port: proxy.port });
  const client = await createClient({ config: proxy.conf, pool: 'bench' });
  const ioDirect = new Redis({ port: servers[0].port });
  const codecDirect = new RedisConnection({ host: '127.0.0.1', port: servers[0].port });
  await codecDirect.connect();
  const key = (i) => `key:${i}`;
  const targets = {
    'proxy + ioredis': (i, write) => (write ? viaProxy.set(key(i), VALUE) : viaProxy.get(key(i))),
    'shardgate/client': (i, write) => (write ? client.set(key(i), VALUE) : client.get(key(i))),
    'node conn: ioredis': (i, write) => (write ? ioDirect.set(key(i), VALUE) : ioDirect.get(key(i))),
    'node conn: our codec': (i, write) => codecDirect.command(write ? ['SET', key(i), VALUE] : ['GET', key(i)]),
  };
  // warm-up: fill the keys, one short run each
  const fill = viaProxy.pipeline();
  for (let i = 0; i < KEYS; i++) fill.set(key(i), VALUE);
  await fill.exec();
  for (const op of Object.values(targets)) await measure(op);

  const runs = Object.fromEntries(Object.keys(targets).map((t) => [t, []]));
  for (let r = 1; r <= ROUNDS; r++) {
    const order = Object.keys(targets);
    if (r % 2 === 0) order.reverse();
    for (const name of order) {
      const res = await measure(targets[name]);
      runs[name].push(res);
      log(`round ${r} ${name.padEnd(22)} ${(res.rps / 1000).toFixed(1)}k req/s, p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms${res.errors ? `, ${res.errors} errors` : ''}`);
    }
  }
  const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { rps: median(v.map((x) => x.rps)), p50Ms: median(v.map((x) => x.p50Ms)), p99Ms: median(v.map((x) => x.p99Ms)) }]));
  log('\nmedians:');
  for (const [k, v] of Object.entries(med)) log(`  ${k.padEnd(22)} ${(v.rps / 1000).toFixed(1)}k req/s, p50 ${v.p50Ms} ms, p99 ${v.p99Ms} ms`);
  const ratio = med['shardgate/client'].rps / med['proxy + ioredis'].rps;
  const codec = med['node conn: our codec'].rps / med['node conn: ioredis'].rps;
  log(`\nclient / proxy+ioredis throughput: ${ratio.toFixed(2)}× (target ≥ 1.3×): ${ratio >= 1.3 ? 'met' : 'NOT met'}`);
  log(`client p50 ${med['shardgate/client'].p50Ms} ms vs proxy+ioredis p50 ${med['proxy + ioredis'].p50Ms} ms: ${med['shardgate/client'].p50Ms < med['proxy + ioredis'].p50Ms ? 'lower' : 'NOT lower'}`);
  log(`node connection, our codec / ioredis throughput: ${codec.toFixed(2)}×`);
  const out = path.join(ROOT, 'benchmarks/results/client-latest.json');
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, loadAvgAtEnd: os.loadavg(), options: { ROUNDS, SECONDS, CONCURRENCY, KEYS }, runs, medians: med, ratios: { clientVsProxy: ratio, codecVsIoredis: codec } }, null, 2));
  log(`raw numbers: ${path.relative(ROOT, out)}`);

  viaProxy.disconnect();
  ioDirect.disconnect();
  await codecDirect.close();
  await client.quit();
}

main().then(() => stopAll(), async (err) => { process.stderr.write(`${err.stack ?? err}\n`); await stopAll(); process.exit(1); });
