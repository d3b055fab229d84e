// Self-test of the harness's pure parts (no processes): redis-benchmark CSV
// parsing, RESP decoding, medians, checks and the SVG. Run: node --test benchmarks/selftest.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checksOf, median, mediansOf, pairedOf, ratiosOf, svgChart, summaryTable } from './lib/report.mjs';
import { cpuPerRequest, treeCpu } from './lib/cpu.mjs';
import { decodeReply, encode } from './lib/resp.mjs';
import { parseCsv } from './loads/rbench.mjs';

test('parseCsv reads the redis-benchmark 7.0 header and rows', () => {
  const rows = parseCsv('"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n'
    + '"SET","56338.03","0.551","0.200","0.503","0.863","1.223","3.071"\n"MGET a b","1000.5","1","1","0.9","1","2","3"\n');
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], { test: 'SET', rps: 56338.03, avgMs: 0.551, p50Ms: 0.503, p95Ms: 0.863, p99Ms: 1.223, maxMs: 3.071 });
  assert.equal(rows[1].test, 'MGET a b');
});

test('parseCsv without latency columns (older redis-benchmark) gives null latencies', () => {
  const [r] = parseCsv('"GET","1234.00"\n');
  assert.equal(r.rps, 1234);
  assert.equal(r.p99Ms, null);
});

test('decodeReply handles every RESP2 type, nested, and incomplete input', () => {
  const buf = Buffer.from('+OK\r\n-ERR x\r\n:5\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n');
  const out = [];
  for (let off = 0; off < buf.length;) { const [v, n] = decodeReply(buf, off); out.push(v); off = n; }
  assert.equal(out[0], 'OK');
  assert.ok(out[1] instanceof Error && out[1].message === 'ERR x');
  assert.deepEqual(out.slice(2), [5, 'abc', null, ['a', [1]]]);
  for (let cut = 1; cut < 10; cut++) assert.equal(decodeReply(Buffer.from('*2\r\n$1\r\na\r\n:1\r\n').subarray(0, cut), 0), null);
  assert.equal(encode(['SET', 'k', 'é']), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
});

test('CPU per request from two /proc readings', () => {
  assert.deepEqual(cpuPerRequest({ user: 1, sys: 2 }, { user: 1.5, sys: 2.25 }, 100000), { userUs: 5, sysUs: 2.5, totalUs: 7.5 });
  assert.equal(cpuPerRequest(null, { user: 1, sys: 1 }, 10), null);
  const self = treeCpu(process.pid);
  assert.ok(self && self.user >= 0 && self.sys >= 0);
});

test('median, ratios and checks', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), null);
  const runs = {
    'get-p1': { nutcracker: [{ rps: 100, p99Ms: 2, cpuUs: 20 }, { rps: 120, p99Ms: 1, cpuUs: 18 }, { rps: 110, p99Ms: 3, cpuUs: 19 }], shardgate: [{ rps: 115, p99Ms: 1.5, cpuUs: 17.25 }], direct: [{ rps: 200, p99Ms: 1 }] },
    'get-p16': { nutcracker: [{ rps: 100 }], shardgate: [{ rps: 140 }] },
  };
  const medians = mediansOf(runs);
  assert.equal(medians['get-p1'].nutcracker.rps, 110);
  assert.equal(medians['get-p1'].nutcracker.p99Ms, 2);
  assert.equal(medians['get-p1'].nutcracker.cpuUs, 19);
  const ratios = ratiosOf(medians);
  assert.ok(Math.abs(ratios['get-p1']['shardgate/nutcracker'] - 115 / 110) < 1e-9);
  const ran = new Set(['get-p1', 'get-p16', 'idle', 'flood']);
  const idle = { shardgate: { count: 10, opened: 10, failed: 0, kbPerConn: 7.5, targetAlive: true } };
  const flood = { shardgate: { requests: 5, ok: 5, dropped: 0, dbsize: 5, spotGetOk: true, peakRssKb: 300 * 1024, rssBaselineKb: 1 } };
  const checks = checksOf({ medians, idle, flood, ran });
  const status = Object.fromEntries(checks.map((c) => [c.load, c.status]));
  assert.deepEqual(status, { 'get-p1': 'PASS', 'set-p1': 'SKIP', 'get-p16': 'FAIL', 'set-p16': 'SKIP', 'mget10-p1': 'SKIP', idle: 'PASS', flood: 'FAIL' });
  const table = summaryTable({ medians, ratios, idle, flood, checks, targets: ['direct', 'nutcracker', 'shardgate'] });
  assert.match(table, /get-p16 .*FAIL/);
  assert.match(table, /get-p1 .* 19\.0 \/ 17\.3/); // CPU us/request, nutcracker / shardgate
  const svg = svgChart({ medians, targets: ['direct', 'nutcracker', 'shardgate'], title: 'a <b> & c' });
  assert.match(svg, /^<svg /);
  assert.match(svg, /a &lt;b> &amp; c/);
});

test('paired per-round ratios: the check uses them, round by round, not the ratio of medians', () => {
  // Round 2 is slow for both (the machine drifted): medians would say 100/110, the rounds say 1.1 each time.
  const runs = {
    'set-p1': {
      nutcracker: [{ round: 1, rps: 100, p99Ms: 2 }, { round: 2, rps: 50, p99Ms: 4 }, { round: 3, rps: 110, p99Ms: 2 }],
      shardgate: [{ round: 1, rps: 110, p99Ms: 1.8 }, { round: 2, rps: 55, p99Ms: 4.4 }, { round: 3, rps: 121, p99Ms: 1.9 }],
    },
    'get-p16': { nutcracker: [{ round: 1, rps: 100 }], shardgate: [{ round: 2, rps: 200 }] },
  };
  const paired = pairedOf(runs);
  assert.deepEqual(paired['set-p1'].rounds.map((r) => r.round), [1, 2, 3]);
  assert.ok(Math.abs(paired['set-p1'].rps - 1.1) < 1e-9);
  assert.ok(Math.abs(paired['set-p1'].p99 - 0.95) < 1e-9); // ratios 0.9, 1.1, 0.95
  assert.equal(paired['get-p16'].rounds.length, 0); // no round with both: no pair
  const medians = mediansOf(runs);
  const checks = checksOf({ medians, paired, ran: new Set(['set-p1', 'get-p16']) });
  const set = checks.find((c) => c.load === 'set-p1');
  assert.equal(set.status, 'PASS');
  assert.match(set.measured, /1\.10x \(rounds 1\.10-1\.10\), p99 0\.95x/);
  // Without pairs the check falls back to the medians (200/100 = 2.0x).
  assert.equal(checks.find((c) => c.load === 'get-p16').status, 'PASS');
  const table = summaryTable({ medians, ratios: ratiosOf(medians), paired, checks, targets: ['nutcracker', 'shardgate'] });
  assert.match(table, /set-p1 +1\.10x\/0\.90x  1\.10x\/1\.10x  1\.10x\/0\.95x   median 1\.10x \/ p99 0\.95x/);
});

test('predixy: sg/predixy ratios of the medians and a round-by-round section of its own', () => {
  const runs = {
    'get-p16': {
      nutcracker: [{ round: 1, rps: 100 }, { round: 2, rps: 100 }],
      shardgate: [{ round: 1, rps: 180 }, { round: 2, rps: 200 }],
      predixy: [{ round: 1, rps: 200 }, { round: 2, rps: 160 }],
    },
  };
  const medians = mediansOf(runs);
  const ratios = ratiosOf(medians);
  assert.ok(Math.abs(ratios['get-p16']['shardgate/predixy'] - 190 / 180) < 1e-9);
  const pairedPredixy = pairedOf(runs, 'shardgate', 'predixy');
  assert.deepEqual(pairedPredixy['get-p16'].rounds.map((r) => r.rps), [0.9, 1.25]);
  const table = summaryTable({ medians, ratios, paired: pairedOf(runs), pairedPredixy, checks: [], targets: ['nutcracker', 'shardgate', 'predixy'] });
  assert.match(table, /sg\/predixy round by round/);
  assert.match(table, /get-p16 +0\.90x\/-  1\.25x\/-   median 1\.07x/);
});
