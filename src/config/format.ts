// Config -> YAML text that parseConfig reads back to the same pools. Pools
// without shardgate extensions come out as plain nutcracker pools; the
// `shardgate:` blocks are written only where a setting differs from its
// default. Used by tests (round trip) and available to an admin "show config".
// Must not parse or validate.
import type { Config, PoolConfig, ShardgateSettings, TlsConfig } from './index.js';

const q = (s: string): string => JSON.stringify(s);
const key = (s: string): string => (/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s) ? s : q(s));

export function formatConfig(config: Pick<Config, 'pools'> & { shardgate?: ShardgateSettings }): string {
  const out: string[] = [];
  for (const p of config.pools) formatPool(p, out);
  if (config.shardgate) formatShardgate(config.shardgate, out);
  return out.join('\n') + '\n';
}

function formatPool(p: PoolConfig, out: string[]): void {
  const l = p.listen;
  out.push(`${key(p.name)}:`);
  out.push(`  listen: ${q(l.path !== null ? (l.mode !== null ? `${l.path} ${l.mode.toString(8).padStart(4, '0')}` : l.path) : `${l.host !== null && l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`)}`);
  out.push(`  hash: ${p.hash}`);
  if (p.hashTag !== null) out.push(`  hash_tag: ${q(p.hashTag)}`);
  out.push(`  distribution: ${p.distribution}`);
  if (p.timeout !== null) out.push(`  timeout: ${p.timeout}`);
  out.push(`  backlog: ${p.backlog}`);
  if (p.clientConnections !== 0) out.push(`  client_connections: ${p.clientConnections}`);
  out.push(`  preconnect: ${p.preconnect}`);
  out.push(`  redis: true`);
  if (p.redisAuth !== null) out.push(`  redis_auth: ${q(p.redisAuth)}`);
  out.push(`  redis_db: ${p.redisDb}`);
  out.push(`  server_connections: ${p.serverConnections}`);
  out.push(`  auto_eject_hosts: ${p.autoEjectHosts}`);
  out.push(`  server_retry_timeout: ${p.serverRetryTimeout}`);
  out.push(`  server_failure_limit: ${p.serverFailureLimit}`);
  out.push(`  tcpkeepalive: ${p.tcpkeepalive}`);
  out.push('  servers:');
  for (const s of p.servers) out.push(`    - ${q(s.spec)}`);
  const ext: string[] = [];
  const replicas = Object.entries(p.replicas);
  if (replicas.length > 0) {
    ext.push('    replicas:');
    for (const [label, addrs] of replicas) {
      ext.push(`      ${q(label)}:${addrs.length === 0 ? ' []' : ''}`);
      for (const a of addrs) ext.push(`        - ${q(a)}`);
    }
  }
  formatTls(p.tls, '    ', ext);
  if (p.clientAuth !== null) ext.push(`    client_auth: ${q(p.clientAuth)}`);
  if (p.sentinelMaster !== null) ext.push(`    sentinel_master: ${q(p.sentinelMaster)}`);
  if (ext.length > 0) out.push('  shardgate:', ...ext);
}

function formatTls(t: TlsConfig, indent: string, out: string[]): void {
  if (!t.enabled && t.ca === null && t.cert === null && t.key === null && t.servername === null && t.verify) return;
  out.push(`${indent}tls:`, `${indent}  enabled: ${t.enabled}`, `${indent}  verify: ${t.verify}`);
  for (const k of ['ca', 'cert', 'key', 'servername'] as const) {
    const v = t[k];
    if (v !== null) out.push(`${indent}  ${k}: ${q(v)}`);
  }
}

function formatShardgate(s: ShardgateSettings, out: string[]): void {
  const o: string[] = [];
  if (s.admin.listen !== null) o.push('  admin:', `    listen: ${q(s.admin.listen)}`);
  if (s.metrics.enabled || s.metrics.path !== '/metrics') o.push('  metrics:', `    enabled: ${s.metrics.enabled}`, `    path: ${q(s.metrics.path)}`);
  if (s.logLevel !== 'info') o.push(`  log_level: ${s.logLevel}`);
  if (s.workers !== 1) o.push(`  workers: ${s.workers}`);
  if (s.stats.listen !== null || s.stats.interval !== 30000) {
    o.push('  stats:', `    interval: ${s.stats.interval}`);
    if (s.stats.listen !== null) o.push(`    listen: ${q(s.stats.listen)}`);
  }
  if (s.sentinel.addresses.length > 0 || s.sentinel.password !== null) {
    o.push('  sentinel:');
    if (s.sentinel.addresses.length > 0) o.push('    addresses:', ...s.sentinel.addresses.map((a) => `      - ${q(a)}`));
    if (s.sentinel.password !== null) o.push(`    password: ${q(s.sentinel.password)}`);
  }
  formatTls(s.tls, '  ', o);
  if (s.users.length > 0) {
    o.push('  users:');
    for (const u of s.users) {
      o.push(`    - name: ${q(u.name)}`, `      password: ${q(u.password)}`, `      readonly: ${u.readonly}`, `      pools:${u.pools.length === 0 ? ' []' : ''}`);
      o.push(...u.pools.map((p) => `        - ${q(p)}`));
    }
  }
  if (s.watch) o.push('  watch: true');
  if (o.length > 0) out.push('shardgate:', ...o);
}
