// redis-benchmark loads: GET/SET at pipeline 1 and 16, and MGET of 10 keys that
// ketama spreads over the 3 servers. Owns: building the redis-benchmark command
// line, running it with a deadline, parsing its --csv output, and choosing the
// MGET keys. Must not: start or stop targets.
import { startTracked } from '../lib/procs.mjs';
import { commands } from '../lib/resp.mjs';

const CLIENTS = 50;
const KEYSPACE = 100000;

/** Parses `redis-benchmark --csv`: [{ test, rps, avgMs, p50Ms, p95Ms, p99Ms, maxMs }]; absent columns are null. */
export function parseCsv(text) {
  const rows = text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('"'))
    .map((l) => l.slice(1, -1).split('","'));
  if (!rows.length) return [];
  let header = ['test', 'rps'];
  let body = rows;
  if (rows[0][0] === 'test') { header = rows[0]; body = rows.slice(1); }
  const col = (row, name) => {
    const i = header.indexOf(name);
    return i < 0 || row[i] === undefined ? null : Number(row[i]);
  };
  return body.map((r) => ({
    test: r[0],
    rps: col(r, 'rps'),
    avgMs: col(r, 'avg_latency_ms'),
    p50Ms: col(r, 'p50_latency_ms'),
    p95Ms: col(r, 'p95_latency_ms'),
    p99Ms: col(r, 'p99_latency_ms'),
    maxMs: col(r, 'max_latency_ms'),
  }));
}

/** Runs redis-benchmark once; rejects on a non-zero exit, a timeout or output without results. */
export function runRedisBenchmark(bin, { port, requests, pipeline = 1, tests, command, resp3 = false, timeoutMs = 120000 }) {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-n', String(requests),
    '-P', String(pipeline), '--csv'];
  if (resp3) args.push('-3');
  if (command) args.push(...command);
  else args.push('-r', String(KEYSPACE), '-t', tests.join(','));
  const proc = startTracked('redis-benchmark', bin, args);
  const t = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  return proc.exited.then(({ code, signal }) => {
    clearTimeout(t);
    const out = proc.output();
    const rows = parseCsv(out);
    if (signal) throw new Error(`redis-benchmark killed (${signal}) after ${timeoutMs} ms: the target stalled`);
    if (code !== 0 || !rows.length || rows.some((r) => !(r.rps > 0))) {
      throw new Error(`redis-benchmark exit ${code}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return rows;
  });
}

/** Which of the servers holds `key` (by EXISTS on each). */
async function ownerOf(servers, key) {
  const found = [];
  for (let i = 0; i < servers.length; i++) {
    const [n] = await commands(servers[i].port, [['EXISTS', key]]);
    if (n === 1) found.push(i);
  }
  return found;
}

/**
 * Picks 10 keys that the pool spreads over every server: SETs candidates through
 * `proxyPort`, asks each server which keys it holds, and takes keys round-robin
 * per server. Also SETs them on `directPort` so MGET finds them there too.
 * Returns { keys, placement: [serverIndex per key] }.
 */
export async function chooseMgetKeys(proxyPort, servers, directPort, count = 10) {
  const byServer = servers.map(() => []);
  for (let i = 0; i < 200 && byServer.some((l) => l.length < Math.ceil(count / servers.length)); i++) {
    const key = `mget:${i}`;
    await commands(proxyPort, [['SET', key, `v${i}`]]);
    const owners = await ownerOf(servers, key);
    if (owners.length !== 1) throw new Error(`key ${key} found on ${owners.length} servers after SET through the proxy`);
    byServer[owners[0]].push(key);
  }
  const keys = [];
  const placement = [];
  for (let round = 0; keys.length < count; round++) {
    let added = false;
    for (let s = 0; s < servers.length && keys.length < count; s++) {
      if (byServer[s][round] !== undefined) { keys.push(byServer[s][round]); placement.push(s); added = true; }
    }
    if (!added) throw new Error('could not find keys on every server');
  }
  await commands(directPort, keys.map((k) => ['SET', k, `v${k.slice(5)}`]));
  return { keys, placement };
}

/** The redis-benchmark loads, by id. `family` is what --only filters on. */
export function rbLoads(mgetKeys) {
  return [
    // SET first, so the GETs that follow find most of the random keys.
    { id: 'set-p1', family: 'set', test: 'SET', pipeline: 1, tests: ['set'], probe: 10000 },
    { id: 'get-p1', family: 'get', test: 'GET', pipeline: 1, tests: ['get'], probe: 10000 },
    { id: 'set-p16', family: 'set', test: 'SET', pipeline: 16, tests: ['set'], probe: 50000 },
    { id: 'get-p16', family: 'get', test: 'GET', pipeline: 16, tests: ['get'], probe: 50000 },
    { id: 'mget10-p1', family: 'mget', test: 'MGET', pipeline: 1, command: ['MGET', ...mgetKeys], probe: 10000 },
    // The same GET/SET from clients that said HELLO 3 (redis-benchmark -3); nutcracker refuses HELLO, so it has no figures here.
    { id: 'set3-p1', family: 'resp3', test: 'SET', pipeline: 1, tests: ['set'], resp3: true, probe: 10000 },
    { id: 'get3-p1', family: 'resp3', test: 'GET', pipeline: 1, tests: ['get'], resp3: true, probe: 10000 },
    { id: 'set3-p16', family: 'resp3', test: 'SET', pipeline: 16, tests: ['set'], resp3: true, probe: 50000 },
    { id: 'get3-p16', family: 'resp3', test: 'GET', pipeline: 16, tests: ['get'], resp3: true, probe: 50000 },
  ];
}
