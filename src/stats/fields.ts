// The nutcracker stats fields: the entries of the metrics table
// (src/metrics/table.ts) that carry a Twemproxy field name, so the JSON
// document keeps Twemproxy's names for existing dashboards while the table
// stays the one place a metric is declared. The stats port (server.ts),
// `shardgate proxy -D` and docs/stats.md read these lists.
import { METRICS, type MetricDef } from '../metrics/table.js';

export type FieldKind = 'counter' | 'gauge' | 'timestamp';

export interface Field {
  /** the document's field name */
  readonly name: string;
  readonly kind: FieldKind;
  readonly help: string;
  /** the metric it is */
  readonly metric: MetricDef;
}

function fieldsOf(scopes: readonly string[]): Field[] {
  return METRICS.filter((m) => m.nutcracker !== undefined && scopes.includes(m.source))
    .map((m) => ({ name: m.nutcracker!, kind: m.stats ?? 'counter', help: m.help, metric: m }));
}

export const POOL_FIELDS: readonly Field[] = fieldsOf(['pool']);
export const SERVER_FIELDS: readonly Field[] = fieldsOf(['server', 'queue']);

export function describeStats(): string {
  const pad = (s: string) => s.padEnd(20);
  const help = (f: Field) => `  ${pad(f.name)}"${f.help.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase())}"`;
  return ['pool stats:', ...POOL_FIELDS.map(help), '', 'server stats:', ...SERVER_FIELDS.map(help), ''].join('\n');
}
