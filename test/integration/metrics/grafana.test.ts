// deploy/grafana/: every metric the dashboard and the alert rules query is one
// that a running shardgate (real redis-servers behind it, after traffic)
// serves on /metrics, and every metric of the table is listed in
// docs/observability.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { freePort } from '../../fixtures/ports.js';
import { ROOT, startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { pipeline } from '../../fixtures/resp-client.js';
import { adminRequest, waitForAdmin } from '../../fixtures/admin.js';
import { readMetrics } from '../../fixtures/metrics.js';
import { until } from '../../fixtures/until.js';
import { METRICS } from '../../../src/metrics/table.js';

const DIR = path.join(ROOT, 'deploy/grafana');

/** Every shardgate metric name in a PromQL expression. */
function namesIn(expr: string): string[] {
  return [...expr.matchAll(/\bshardgate_[a-z0-9_]+/g)].map((m) => m[0]);
}

function dashboardExprs(): string[] {
  const dash = JSON.parse(fs.readFileSync(path.join(DIR, 'shardgate-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
  for (const v of dash.templating.list) if (typeof v.query === 'string') exprs.push(v.query);
  return exprs;
}

function alertExprs(): string[] {
  const doc = load(fs.readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

let redis: Proc[];
let proxy: Proc;
let admin: string;
let port: number;

beforeAll(async () => {
  redis = await Promise.all([0, 1].map(() => startRedis()));
  port = await freePort();
  const adminPort = await freePort();
  admin = `127.0.0.1:${adminPort}`;
  const file = path.join(tmpDir(), 'proxy.yaml');
  fs.writeFileSync(file, ['alpha:', `  listen: 127.0.0.1:${port}`, '  redis: true', '  servers:', ...redis.map((r, i) => `    - 127.0.0.1:${r.port}:1 s${i}`),
    'shardgate:', `  admin: { listen: ${admin} }`, '  metrics: { info_interval: 200 }', ''].join('\n'));
  proxy = await startShardgate(['proxy', '-c', file, '-s', '0'], port);
  await waitForAdmin(admin);
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('deploy/grafana', () => {
  it('queries only metrics that /metrics serves', async () => {
    // Traffic of every kind the panels show: sets, hits, misses, and a backend error.
    await pipeline(port, [['SET', 'g1', 'x'], ['GET', 'g1'], ['GET', 'g2'], ['MGET', 'g1', 'g2'], ['INCR', 'g1']]);
    await until('backend INFO polled', async () => (await readMetrics(admin)).some((s) => s.name === 'shardgate_backend_used_memory_bytes'), 5000, 100);
    const served = new Set((await readMetrics(admin)).map((s) => s.name));
    const exprs = [...dashboardExprs(), ...alertExprs()];
    expect(exprs.length).toBeGreaterThan(20);
    const queried = new Set(exprs.flatMap(namesIn));
    expect(queried.size).toBeGreaterThan(15);
    const missing = [...queried].filter((n) => !served.has(n));
    expect(missing).toEqual([]);
  });

  it('the alert rules cover node down, hit rate drop and replication lag', () => {
    const names = (load(fs.readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] })
      .groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(expect.arrayContaining(['ShardgateNodeDown', 'ShardgateHitRateDrop', 'ShardgateReplicationLag']));
    const scrape = load(fs.readFileSync(path.join(DIR, 'prometheus.yml'), 'utf8')) as { scrape_configs: { metrics_path: string }[]; rule_files: string[] };
    expect(scrape.scrape_configs[0]!.metrics_path).toBe('/metrics');
    expect(scrape.rule_files).toContain('alerts.yml');
  });

  it('docs/observability.md lists every metric of the table', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/observability.md'), 'utf8');
    expect(METRICS.map((m) => m.name).filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
