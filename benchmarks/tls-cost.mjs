#!/usr/bin/env node
// What TLS on a pool's listener costs: one shardgate with two pools in front
// of the same redis-server — plaintext and TLS (certificates made by openssl
// in a temp folder) — and redis-benchmark GET/SET against each, rounds
// interleaved (plain, tls, plain, tls, ...) so machine noise hits both alike.
// Prints requests/s per round, the medians and the TLS/plain ratio.
// Usage: npm run build && node benchmarks/tls-cost.mjs [-n 100000] [-c 50] [-P 1] [--rounds 3]
// Stops what it starts (by pid) and removes its temp folder.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, waitForPort as waitPort } from './lib/procs.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const N = arg('-n', 100000);
const C = arg('-c', 50);
const P = arg('-P', 1);
const ROUNDS = arg('--rounds', 3);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardgate-tls-bench-'));
const started = [];
function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', () => {});
  started.push(child);
  return child;
}
function cleanup() {
  for (const c of started) if (c.exitCode === null) { try { process.kill(c.pid, 'SIGTERM'); } catch { /* gone */ } }
  fs.rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });

const ssl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=bench CA', '-days', '1', '-out', 'ca.crt']);
ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr']);
fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'server.ext', '-out', 'server.crt']);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const redisPort = await freePort();
  start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  await waitPort(redisPort);
  const plainPort = await freePort();
  const tlsPort = await freePort();
  const pool = (name, port, tls) => [`${name}:`, `  listen: 127.0.0.1:${port}`, '  redis: true', '  preconnect: true', '  servers:', `    - 127.0.0.1:${redisPort}:1`,
    ...(tls ? ['  shardgate:', '    tls:', `      cert: ${dir}/server.crt`, `      key: ${dir}/server.key`] : [])].join('\n');
  const conf = path.join(dir, 'proxy.yaml');
  fs.writeFileSync(conf, `${pool('plain', plainPort, false)}\n${pool('secure', tlsPort, true)}\n`);
  start(process.execPath, [path.join(root, 'bin/shardgate.js'), 'proxy', '-c', conf, '-s', '0', '-v', '3']);
  await waitPort(plainPort);
  await waitPort(tlsPort);

  const bench = async (port, tls) => {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-t', 'get,set', '-n', String(N), '-c', String(C), '-P', String(P), '-r', '100000', '--csv'];
    if (tls) args.push('--tls', '--cacert', path.join(dir, 'ca.crt'));
    const { stdout } = await run('redis-benchmark', args, { maxBuffer: 1 << 20 });
    const out = {};
    for (const line of stdout.trim().split('\n').slice(1)) {
      const [test, rps] = line.split(',').map((x) => x.replace(/"/g, ''));
      out[test] = Number(rps);
    }
    return out;
  };
  const results = { plain: { SET: [], GET: [] }, tls: { SET: [], GET: [] } };
  await bench(plainPort, false); // warm-up (JIT, connections)
  await bench(tlsPort, true);
  for (let r = 1; r <= ROUNDS; r++) {
    for (const [kind, port] of [['plain', plainPort], ['tls', tlsPort]]) {
      const x = await bench(port, kind === 'tls');
      results[kind].SET.push(x.SET); results[kind].GET.push(x.GET);
      console.log(`round ${r} ${kind.padEnd(5)} SET ${Math.round(x.SET)} req/s  GET ${Math.round(x.GET)} req/s`);
    }
  }
  console.log(`\nredis-benchmark -n ${N} -c ${C} -P ${P}, medians of ${ROUNDS} rounds (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}; node ${process.version})`);
  for (const t of ['SET', 'GET']) {
    const p = median(results.plain[t]);
    const s = median(results.tls[t]);
    console.log(`${t}: plain ${Math.round(p)} req/s, TLS ${Math.round(s)} req/s, TLS/plain ${(s / p).toFixed(2)}`);
  }
} finally {
  cleanup();
}
