// This process's own figures for the metrics: resident memory and event-loop
// delay (perf_hooks' histogram, read and reset at each look so the figure
// covers the last interval). Must not import the proxy.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { metricsFrom } from './table.js';
import { metricSet, type MetricJson } from './series.js';

let loop: IntervalHistogram | null = null;

/** This process's metrics (source 'process'). */
export function processMetrics(): MetricJson[] {
  if (loop === null) {
    loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
  }
  const set = metricSet(metricsFrom('process'));
  set.get('shardgate_process_resident_memory_bytes')!.values.push({ labels: {}, value: process.memoryUsage.rss() });
  const p99 = loop.count > 0 ? loop.percentile(99) / 1e9 : 0;
  loop.reset();
  set.get('shardgate_event_loop_lag_seconds')!.values.push({ labels: {}, value: p99 });
  return [...set.values()];
}
