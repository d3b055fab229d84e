// `npm run bench`: direct Redis, nutcracker (Twemproxy), shardgate and predixy (when built) side by
// side in ONE run, targets alternated round by round, medians and ratios
// printed, raw numbers in benchmarks/results/latest.json and a chart in
// latest.svg. Owns: the order of a run and its options. Must not: be a timed
// test, or stop anything it did not start (see lib/procs.mjs).
// Usage: node benchmarks/run.js [--rounds N] [--quick] [--only get,set,mget,resp3,idle,flood] [--with-pipe] [--metrics-ab] [--no-predixy]
//        [--seconds S] [--idle-conns N] [--flood-requests N] [--shardgate-args='-w 2']
//        [--shardgate-bin path/to/other/build/bin/shardgate.js] [--baseline-bin path/to/before/bin/shardgate.js]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, isAborting, removeTmpDirs, stopAll } from './lib/procs.mjs';
import { checksOf, mediansOf, pairedOf, ratiosOf, summaryTable, svgChart } from './lib/report.mjs';
import { commands } from './lib/resp.mjs';
import { ROOT, predixyBin, setShardgateBin, shardgateBinPath, startPipe, startPredixy, startProxy, startRedis } from './lib/targets.mjs';
import { ensureTools, machineInfo, predixyVersion, toolVersions } from './lib/tools.mjs';
import { cpuPerRequest, treeCpu } from './lib/cpu.mjs';
import { floodLoad } from './loads/flood.mjs';
import { idleLoad } from './loads/idle.mjs';
import { chooseMgetKeys, rbLoads, runRedisBenchmark } from './loads/rbench.mjs';

const FAMILIES = ['get', 'set', 'mget', 'resp3', 'idle', 'flood'];
const { values: argv } = parseArgs({ options: {
  rounds: { type: 'string' }, quick: { type: 'boolean', default: false }, only: { type: 'string' },
  'with-pipe': { type: 'boolean', default: false }, seconds: { type: 'string' },
  'idle-conns': { type: 'string' }, 'flood-requests': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  'shardgate-args': { type: 'string', default: '' }, 'shardgate-bin': { type: 'string' },
  // a second shardgate with `shardgate: metrics: { enabled: false }`: the metrics' cost in the same run
  'metrics-ab': { type: 'boolean', default: false },
  // another build (e.g. main before a change) as a target "sg-baseline" in the same rounds: after/before ratios
  'baseline-bin': { type: 'string' },
  // predixy beside nutcracker when it is built (lib/targets.mjs predixyBin); --no-predixy leaves it out
  predixy: { type: 'boolean', default: true }, 'no-predixy': { type: 'boolean', default: false },
} });
if (argv.help) {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('// Usage') || l.startsWith('//    ')).join('\n').replace(/\/\/ ?/g, '') + '\n');
  process.exit(0);
}
const opts = {
  rounds: argv.quick ? 1 : Number(argv.rounds ?? 7),
  seconds: Number(argv.seconds ?? (argv.quick ? 1 : 4)),
  only: new Set((argv.only ?? FAMILIES.join(',')).split(',').map((s) => s.trim()).filter(Boolean)),
  withPipe: argv['with-pipe'],
  metricsAb: argv['metrics-ab'],
  predixy: argv.predixy && !argv['no-predixy'],
  baselineBin: argv['baseline-bin'] ? path.resolve(argv['baseline-bin']) : null,
  idleConns: Number(argv['idle-conns'] ?? 10000),
  floodRequests: Number(argv['flood-requests'] ?? (argv.quick ? 50000 : 200000)),
  shardgateArgs: argv['shardgate-args'].split(' ').filter(Boolean),
};
if (argv['shardgate-bin']) setShardgateBin(argv['shardgate-bin']);
for (const f of opts.only) if (!FAMILIES.includes(f)) { process.stderr.write(`--only: unknown load "${f}" (known: ${FAMILIES.join(', ')})\n`); process.exit(2); }

const log = (msg) => process.stdout.write(`${msg}\n`);
const fmt = (r) => `${(r.rps / 1000).toFixed(1)}k req/s, p50 ${r.p50Ms ?? '-'} ms, p99 ${r.p99Ms ?? '-'} ms, cpu ${r.cpuUs ?? '-'} us/req (user ${r.cpuUserUs ?? '-'}, sys ${r.cpuSysUs ?? '-'})`;
const alive = (t) => !t.failed && t.proc.isRunning() && !isAborting();

async function main() {
  installCleanup();
  const tools = ensureTools(log);
  const results = {
    date: new Date().toISOString(), machine: machineInfo(), versions: toolVersions(tools, shardgateBinPath()),
    options: { ...opts, only: [...opts.only], shardgateBin: shardgateBinPath() }, notes: [], targets: {}, runs: {}, errors: {},
  };
  log(`machine: ${results.machine.nproc} cpu (${results.machine.cpuModel}), node ${results.machine.node}, load avg ${results.machine.loadAvgAtStart.join(' ')}`);
  log(`rounds ${opts.rounds}, ~${opts.seconds} s per run, loads: ${[...opts.only].join(', ')}`);

  const servers = [];
  for (let i = 1; i <= 3; i++) servers.push(await startRedis(tools['redis-server'], `redis-s${i}`));
  servers.forEach((s, i) => { s.name = `s${i + 1}`; });
  const direct = { name: 'direct', proc: servers[0], port: servers[0].port, pid: servers[0].pid };
  const targets = [direct,
    await startProxy('nutcracker', tools.nutcracker, servers),
    await startProxy('shardgate', null, servers, 'bench', opts.shardgateArgs)];
  if (opts.baselineBin) {
    targets.push(await startProxy('shardgate', null, servers, 'bench', opts.shardgateArgs, { name: 'sg-baseline', cli: opts.baselineBin }));
  }
  const pdx = opts.predixy ? predixyBin() : null;
  if (pdx) {
    results.versions.predixy = predixyVersion(pdx);
    targets.push(await startPredixy(pdx, servers));
  }
  else if (opts.predixy) results.notes.push('predixy not measured: not built (bash ../shared/tools/build-predixy.sh <predixy git dir>, or set PREDIXY_BIN)');
  if (opts.withPipe) targets.push(await startPipe(servers[0].port));
  if (opts.metricsAb) {
    targets.push(await startProxy('shardgate', null, servers, 'bench', opts.shardgateArgs,
      { name: 'sg-nometrics', extraYaml: 'shardgate:\n  metrics: { enabled: false }\n' }));
  }
  for (const t of targets) {
    results.targets[t.name] = t.failed ? { failed: t.failed } : { port: t.port, pid: t.pid };
    log(t.failed ? `target ${t.name}: FAILED to start: ${t.failed}` : `target ${t.name}: 127.0.0.1:${t.port} (pid ${t.pid})`);
  }
  results.targets.backends = servers.map((s) => ({ name: s.name, port: s.port, pid: s.pid }));
  const byName = Object.fromEntries(targets.map((t) => [t.name, t]));

  // MGET keys spread over the 3 servers, placed by a proxy; shardgate must agree with nutcracker.
  let loads = rbLoads([]);
  const placer = [byName.nutcracker, byName.shardgate].find((t) => !t.failed);
  if (opts.only.has('mget') && placer) {
    try {
      const { keys, placement } = await chooseMgetKeys(placer.port, servers, direct.port);
      results.mget = { keys, placement: placement.map((i) => servers[i].name), placedBy: placer.name };
      if (placer.name === 'nutcracker' && alive(byName.shardgate)) {
        const got = await commands(byName.shardgate.port, keys.map((k) => ['GET', k]));
        results.mget.shardgateAgrees = got.every((v, i) => v === `v${keys[i].slice(5)}`);
        log(`mget keys ${keys.join(' ')} on ${results.mget.placement.join(',')}; shardgate reads them all: ${results.mget.shardgateAgrees}`);
      }
      loads = rbLoads(keys);
    } catch (err) {
      results.notes.push(`mget key choice failed: ${err.message}`);
      opts.only.delete('mget');
    }
  }
  loads = loads.filter((l) => opts.only.has(l.family));
  const ran = new Set(loads.map((l) => l.id));

  // Calibrate: a short probe per load and target sizes -n for ~opts.seconds per run.
  const sizes = {};
  for (const load of loads) {
    sizes[load.id] = {};
    for (const t of targets.filter(alive)) {
      try {
        const [r] = await runRedisBenchmark(tools['redis-benchmark'], { port: t.port, requests: load.probe, pipeline: load.pipeline, tests: load.tests, command: load.command, resp3: load.resp3, timeoutMs: 60000 });
        sizes[load.id][t.name] = Math.max(load.probe, Math.min(5e6, Math.round(r.rps * opts.seconds)));
      } catch (err) {
        sizes[load.id][t.name] = load.probe;
        (results.errors[load.id] ??= {})[t.name] = [`probe: ${err.message}`];
        log(`probe ${load.id} ${t.name}: ${err.message}`);
      }
    }
  }

  for (let round = 0; round < opts.rounds; round++) {
    for (const load of loads) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]).filter(alive);
      for (const t of order) {
        const requests = sizes[load.id][t.name] ?? load.probe;
        const t0 = Date.now();
        const cpu0 = treeCpu(t.pid);
        try {
          const [r] = await runRedisBenchmark(tools['redis-benchmark'], { port: t.port, requests, pipeline: load.pipeline, tests: load.tests, command: load.command, resp3: load.resp3, timeoutMs: Math.max(60000, opts.seconds * 20000) });
          const cpu = cpuPerRequest(cpu0, treeCpu(t.pid), requests);
          r.cpuUs = cpu?.totalUs ?? null;
          r.cpuUserUs = cpu?.userUs ?? null;
          r.cpuSysUs = cpu?.sysUs ?? null;
          ((results.runs[load.id] ??= {})[t.name] ??= []).push({ ...r, requests, round: round + 1, ms: Date.now() - t0 });
          log(`[round ${round + 1}/${opts.rounds}] ${load.id.padEnd(9)} ${t.name.padEnd(10)} ${fmt(r)}`);
        } catch (err) {
          ((results.errors[load.id] ??= {})[t.name] ??= []).push(err.message);
          log(`[round ${round + 1}/${opts.rounds}] ${load.id.padEnd(9)} ${t.name.padEnd(10)} FAILED: ${err.message}`);
        }
      }
    }
  }

  if (opts.only.has('idle')) {
    ran.add('idle');
    results.idle = {};
    for (const t of [byName.nutcracker, byName.shardgate].filter(alive)) {
      log(`idle: opening ${opts.idleConns} connections to ${t.name}…`);
      try { results.idle[t.name] = await idleLoad(t, opts.idleConns); } catch (err) { results.idle[t.name] = { error: err.message }; }
      log(`idle ${t.name}: ${JSON.stringify(results.idle[t.name])}`);
    }
  }

  if (opts.only.has('flood')) {
    ran.add('flood');
    results.flood = {};
    const backend = await startRedis(tools['redis-server'], 'redis-flood');
    backend.name = 'f1';
    for (const kind of ['nutcracker', 'shardgate']) {
      if (byName[kind].failed) { results.flood[kind] = { failed: 'did not start' }; continue; }
      log(`flood: ${opts.floodRequests} pipelined 1 KB SETs through ${kind}, backend frozen 200 ms every 500 ms…`);
      try {
        results.flood[kind] = await floodLoad({ kind, bin: tools.nutcracker, extraArgs: kind === 'shardgate' ? opts.shardgateArgs : [], backend, requests: opts.floodRequests });
      } catch (err) { results.flood[kind] = { error: err.message }; }
      const { rssSamplesKb, ...brief } = results.flood[kind];
      log(`flood ${kind}: ${JSON.stringify(brief)}`);
    }
    await backend.stop();
  }

  if (isAborting()) return;
  for (const t of targets) if (!t.failed && !t.proc.isRunning()) results.notes.push(`${t.name} exited during the run: ${t.proc.output().slice(-500)}`);
  results.machine.loadAvgAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  results.medians = mediansOf(results.runs);
  results.ratios = ratiosOf(results.medians);
  results.paired = pairedOf(results.runs);
  if (results.targets.predixy && !results.targets.predixy.failed) results.pairedPredixy = pairedOf(results.runs, 'shardgate', 'predixy');
  results.checks = checksOf({ medians: results.medians, paired: results.paired, idle: results.idle, flood: results.flood, ran });

  const shown = targets.map((t) => t.name);
  log('\n=== summary (medians over rounds; sg = shardgate, nc = nutcracker) ===');
  log(summaryTable({ ...results, targets: shown }));
  if (opts.metricsAb) {
    results.metricsCost = {};
    for (const [load, m] of Object.entries(results.medians)) {
      const on = m.shardgate?.rps;
      const off = m['sg-nometrics']?.rps;
      results.metricsCost[load] = on && off ? Number((on / off).toFixed(3)) : null;
      log(`metrics on/off ${load.padEnd(9)} ${on ? (on / 1000).toFixed(1) : '-'}k / ${off ? (off / 1000).toFixed(1) : '-'}k req/s = ${results.metricsCost[load] ?? '-'}x`);
    }
  }
  if (opts.baselineBin) {
    results.baselinePaired = pairedOf(results.runs, 'shardgate', 'sg-baseline');
    for (const [load, p] of Object.entries(results.baselinePaired)) {
      if (p.rounds.length === 0) continue;
      log(`this build / baseline ${load.padEnd(9)} ${p.rounds.map((r) => r.rps?.toFixed(2) ?? '-').join(' ')}   median ${p.rps?.toFixed(3) ?? '-'}x (p99 ${p.p99?.toFixed(2) ?? '-'}x)`);
    }
  }
  for (const n of results.notes) log(`note: ${n}`);

  const dir = path.join(ROOT, 'benchmarks/results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'latest.svg'), svgChart({ medians: results.medians, targets: shown, title: `shardgate vs nutcracker vs direct Redis — ${results.date.slice(0, 16)}Z, ${results.machine.nproc} cpu` }));
  log(`\nwrote benchmarks/results/latest.json and latest.svg`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`benchmark failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
  removeTmpDirs();
}
