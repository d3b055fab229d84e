// Metric values as prom-client's JSON shape (what `registry.getMetricsAsJSON()`
// gives and `AggregatorRegistry.aggregate()` sums), built from the metrics
// table: every process describes its metrics this way, the primary under -w N
// sums the workers' documents with prom-client's aggregation (histograms
// included: bucket by bucket), and exposition.ts renders the text format.
// Must not import sockets or the proxy.
import prom from 'prom-client';
import type { MetricDef } from './table.js';

export type Labels = Record<string, string | number>;

export interface SeriesValue {
  labels: Labels;
  value: number;
  /** histograms: name_bucket / name_sum / name_count */
  metricName?: string;
}

export interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum' | 'max';
  values: SeriesValue[];
}

/** An empty document entry for one metric of the table. */
export function metricJson(def: MetricDef): MetricJson {
  return { name: def.name, help: def.help, type: def.type, aggregator: def.aggregator ?? 'sum', values: [] };
}

/** Entries for `defs`, by name, to fill in. */
export function metricSet(defs: readonly MetricDef[]): Map<string, MetricJson> {
  return new Map(defs.map((d) => [d.name, metricJson(d)]));
}

/** The documents of every process summed (max for `aggregator: 'max'`) into the text exposition. */
export async function renderExposition(docs: readonly (readonly MetricJson[])[]): Promise<string> {
  const registry = prom.AggregatorRegistry.aggregate(docs as object[]);
  return registry.metrics();
}

export const EXPOSITION_CONTENT_TYPE = prom.Registry.PROMETHEUS_CONTENT_TYPE;
