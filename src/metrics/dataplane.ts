// The serving process's metrics, read from the proxy when asked: the pool and
// server counters (outside the topology), the servers' queues, the
// per-command arrays, the process-wide totals. One reader per source of the
// metrics table; the stats document (src/stats/) reads servers through
// serverValue too. Must not change anything it reads.
import type { Proxy } from '../proxy/index.js';
import type { TopologyServer } from '../topology/topology.js';
import { commandName } from '../commands/table.js';
import { LATENCY_BUCKETS, metricsFrom, type MetricDef } from './table.js';
import { BUCKET_COUNT, type CommandMetrics } from './commands.js';
import { metricSet, type MetricJson } from './series.js';

/** A server's value of one 'server' or 'queue' metric. */
export function serverValue(s: TopologyServer, def: MetricDef): number {
  if (def.source === 'server') return (s.backend.counters as unknown as Record<string, number>)[def.field!] ?? 0;
  let v = 0;
  for (const c of s.backend.conns) {
    switch (def.field) {
      case 'in_queue': v += c.unsent; break;
      case 'in_queue_bytes': v += c.unsentBytes; break;
      case 'out_queue': v += c.inflight - c.unsent; break;
      case 'out_queue_bytes': v += c.awaitingBytes; break;
    }
  }
  return v;
}

function commandSeries(set: Map<string, MetricJson>, pool: string, m: CommandMetrics): void {
  const byField: Record<string, Float64Array> = { requests: m.requests, errors: m.errors, hits: m.hits, misses: m.misses };
  for (const def of metricsFrom('command')) {
    if (def.type === 'histogram') continue;
    const arr = byField[def.field!]!;
    const out = set.get(def.name)!.values;
    for (let id = 0; id < arr.length; id++) if (arr[id]! > 0) out.push({ labels: { pool, command: commandName(id) }, value: arr[id]! });
  }
  const h = set.get('shardgate_request_duration_seconds')!;
  for (let id = 0; id < m.sumMs.length; id++) {
    const base = id * BUCKET_COUNT;
    let count = 0;
    for (let b = 0; b < BUCKET_COUNT; b++) count += m.buckets[base + b]!;
    if (count === 0) continue;
    const command = commandName(id);
    let cum = 0;
    for (let b = 0; b < BUCKET_COUNT; b++) {
      cum += m.buckets[base + b]!;
      h.values.push({ labels: { le: b < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[b]! : '+Inf', pool, command }, value: cum, metricName: `${h.name}_bucket` });
    }
    h.values.push({ labels: { pool, command }, value: m.sumMs[id]! / 1000, metricName: `${h.name}_sum` });
    h.values.push({ labels: { pool, command }, value: count, metricName: `${h.name}_count` });
  }
}

/** Every metric this serving process holds (sources pool, server, queue, command, proxy). */
export function dataplaneMetrics(proxy: Proxy): MetricJson[] {
  const defs = [...metricsFrom('pool'), ...metricsFrom('server'), ...metricsFrom('queue'), ...metricsFrom('command'), ...metricsFrom('proxy')];
  const set = metricSet(defs);
  for (const h of proxy.pools) {
    const pool = h.runtime.name;
    const stats = h.runtime.stats as unknown as Record<string, number>;
    for (const def of metricsFrom('pool')) set.get(def.name)!.values.push({ labels: { pool }, value: stats[def.field!] ?? 0 });
    for (const s of h.runtime.servers) {
      for (const def of [...metricsFrom('server'), ...metricsFrom('queue')]) {
        set.get(def.name)!.values.push({ labels: { pool, server: s.label }, value: serverValue(s, def) });
      }
    }
    commandSeries(set, pool, h.ctx.metrics);
  }
  const totals = proxy.totals as unknown as Record<string, number>;
  for (const def of metricsFrom('proxy')) set.get(def.name)!.values.push({ labels: {}, value: totals[def.field!] ?? 0 });
  return [...set.values()];
}
