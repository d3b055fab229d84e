// Pipelined flood against a stalling backend: a proxy in front of one
// redis-server that we freeze (SIGSTOP) for `pauseMs` every `everyMs`, while a
// client writes N pipelined 1 KB SETs without waiting for replies. Measures the
// proxy's peak RSS (sampled every 100 ms) and checks that every request got its
// reply and landed (DBSIZE, spot GETs). Owns: one flood run per proxy kind,
// including starting and stopping that proxy. Must not: stop the backend.
import path from 'node:path';
import { commands } from '../lib/resp.mjs';
import { firstJsonLine, processTree, sleep, startTracked, treeRssKb } from '../lib/procs.mjs';
import { ROOT, startProxy } from '../lib/targets.mjs';

const CLIENT = path.join(ROOT, 'benchmarks/clients/flood-client.mjs');

export async function floodLoad({ kind, bin, extraArgs = [], backend, requests = 200000, batch = 1000, size = 1024, everyMs = 500, pauseMs = 200 }) {
  await commands(backend.port, [['FLUSHALL']]);
  const target = await startProxy(kind, bin, [backend], 'flood', extraArgs);
  if (target.failed) return { failed: target.failed };
  const samples = [];
  let pauses = 0;
  const sampler = setInterval(() => { const r = treeRssKb(target.pid); if (r != null) samples.push(r); }, 100);
  const pauser = setInterval(() => {
    backend.pause();
    pauses++;
    setTimeout(() => backend.resume(), pauseMs);
  }, everyMs);
  try {
    await sleep(300);
    const rssBaselineKb = treeRssKb(target.pid);
    const client = startTracked('flood-client', process.execPath, [CLIENT, '--port', String(target.port),
      '--requests', String(requests), '--batch', String(batch), '--size', String(size)]);
    let res;
    try {
      res = await firstJsonLine(client, 300000);
    } finally {
      await client.stop();
    }
    clearInterval(pauser);
    backend.resume();
    await sleep(pauseMs + 50);
    backend.resume();
    clearInterval(sampler);
    const [dbsize] = await commands(backend.port, [['DBSIZE']]);
    const probes = [`flood:0`, `flood:${Math.floor(requests / 2)}`, `flood:${requests - 1}`];
    let spotOk = false;
    try {
      const got = await commands(target.port, probes.map((k) => ['GET', k]));
      spotOk = got.every((v) => typeof v === 'string' && v.length === size && /^x+$/.test(v));
    } catch { /* proxy gone: spotOk stays false */ }
    const peakRssKb = samples.length ? Math.max(...samples) : null;
    return {
      requests, batch, valueBytes: size, pauseMs, everyMs, pauses, ...res,
      dropped: requests - res.ok, dbsize, spotGetOk: spotOk, proxyAlive: target.proc.isRunning(),
      rssBaselineKb, peakRssKb, processes: processTree(target.pid).length, rssSamplesKb: decimate(samples, 100),
    };
  } finally {
    clearInterval(pauser);
    clearInterval(sampler);
    backend.resume();
    await target.proc.stop();
  }
}

function decimate(xs, max) {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  return Array.from({ length: max }, (_, i) => xs[Math.floor(i * step)]);
}
