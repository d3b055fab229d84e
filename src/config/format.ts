// Config -> YAML text that parseConfig reads back to the same pools. Pools
// without shardgate extensions come out as plain nutcracker pools; the
// `shardgate:` blocks are written only where a setting differs from its
// default. Used by tests (round trip) and by the admin API's GET /config.
// Must not parse or validate.
import type { Config, ListenerTls, PoolConfig, ShardgateSettings } from './index.js';
import { LIMIT_DEFAULTS } from './schema.js';

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
  if (p.migration !== 'off') ext.push(`    migration: ${p.migration}`);
  if (p.migrationRate !== 5000) ext.push(`    migration_rate: ${p.migrationRate}`);
  const replicas = Object.entries(p.replicas);
  if (replicas.length > 0) {
    ext.push('    replicas:');
    for (const [label, list] of replicas) ext.push(`      ${key(label)}: [${list.map((r) => q(`${r.host}:${r.port}`)).join(', ')}]`);
  }
  const st = p.sentinel;
  if (st !== null) {
    ext.push('    sentinel:', `      heartbeat_ms: ${st.heartbeatMs}`, `      down_after: ${st.downAfter}`, `      failover: ${st.failover}`);
    if (st.sentinels.length > 0) ext.push(`      sentinels: [${st.sentinels.map((r) => q(`${r.host}:${r.port}`)).join(', ')}]`);
    const renamed = Object.entries(st.masterNames).filter(([label, n]) => label !== n);
    if (renamed.length > 0) ext.push('      master_names:', ...renamed.map(([label, n]) => `        ${key(label)}: ${q(n)}`));
  }
  if (p.readFrom !== 'master') ext.push(`    read_from: ${p.readFrom}`);
  if (p.proxyProtocol) ext.push('    proxy_protocol: true');
  if (p.tls !== null) formatListenerTls(p.tls, '    ', ext);
  if (p.backendAuth !== null) {
    ext.push('    backend_auth:');
    if (p.backendAuth.username !== null) ext.push(`      username: ${q(p.backendAuth.username)}`);
    ext.push(`      password: ${q(p.backendAuth.password)}`);
  }
  const perServer = Object.entries(p.backendAuthServers);
  if (perServer.length > 0) {
    ext.push('    backend_auth_servers:');
    for (const [label, c] of perServer) {
      ext.push(`      ${key(label)}:`);
      if (c.username !== null) ext.push(`        username: ${q(c.username)}`);
      ext.push(`        password: ${q(c.password)}`);
    }
  }
  if (p.backendTls !== null) {
    const b = p.backendTls;
    const empty = b.ca === null && b.cert === null && b.servername === null;
    ext.push(empty ? '    backend_tls: {}' : '    backend_tls:');
    if (b.ca !== null) ext.push(`      ca: ${q(b.ca)}`);
    if (b.cert !== null) ext.push(`      cert: ${q(b.cert)}`);
    if (b.key !== null) ext.push(`      key: ${q(b.key)}`);
    if (b.servername !== null) ext.push(`      servername: ${q(b.servername)}`);
  }
  if (ext.length > 0) out.push('  shardgate:', ...ext);
}

/** A listener's `tls:` block (a pool's or the admin API's), `indent` before `tls:`. */
function formatListenerTls(t: ListenerTls, indent: string, out: string[]): void {
  const i = `${indent}  `;
  out.push(`${indent}tls:`, `${i}cert: ${q(t.cert)}`, `${i}key: ${q(t.key)}`);
  if (t.ca !== null) out.push(`${i}ca: ${q(t.ca)}`);
  if (t.clientCerts !== 'off') out.push(`${i}client_certs: ${t.clientCerts}`);
  if (t.allowSubjects.length > 0) out.push(`${i}allow_subjects: [${t.allowSubjects.map(q).join(', ')}]`);
  if (t.minVersion !== 'TLSv1.2') out.push(`${i}min_version: ${t.minVersion}`);
}

function formatShardgate(s: ShardgateSettings, out: string[]): void {
  const o: string[] = [];
  if (s.users.length > 0) {
    o.push('  users:');
    for (const u of s.users) o.push(`    - name: ${q(u.name)}`, `      password_sha256: ${u.passwordSha256}`, `      rules: ${q(u.rules)}`);
  }
  const a = s.admin;
  if (a.listen !== null || a.token !== null || a.authReads || a.readyMinLivePercent !== 1 || a.tls !== null) {
    o.push('  admin:');
    if (a.listen !== null) o.push(`    listen: ${q(a.listen)}`);
    if (a.token !== null) o.push(`    token: ${q(a.token)}`);
    if (a.authReads) o.push('    auth_reads: true');
    if (a.readyMinLivePercent !== 1) o.push(`    ready_min_live_percent: ${a.readyMinLivePercent}`);
    if (a.tls !== null) formatListenerTls(a.tls, '    ', o);
  }
  if (s.logLevel !== 'info') o.push(`  log_level: ${s.logLevel}`);
  if (s.workers !== 1) o.push(`  workers: ${s.workers}`);
  if (s.stats.listen !== null) o.push('  stats:', `    listen: ${q(s.stats.listen)}`);
  if (!s.watch) o.push('  watch: false');
  const m = s.metrics;
  if (!m.enabled || m.infoInterval !== 5000) o.push('  metrics:', `    enabled: ${m.enabled}`, `    info_interval: ${m.infoInterval}`);
  const sl = s.slowlog;
  if (sl.thresholdUs !== 10_000 || sl.maxLen !== 128) o.push('  slowlog:', `    threshold_us: ${sl.thresholdUs}`, `    max_len: ${sl.maxLen}`);
  if (s.drainTimeout !== 30000) o.push(`  drain_timeout: ${s.drainTimeout}`);
  const l = s.limits;
  if (l.maxRequestBytes !== LIMIT_DEFAULTS.maxRequestBytes || l.maxArgs !== LIMIT_DEFAULTS.maxArgs || l.maxBulkBytes !== LIMIT_DEFAULTS.maxBulkBytes || l.idleTimeout !== 0 || l.maxClients !== 0) {
    o.push('  limits:', `    max_request_bytes: ${l.maxRequestBytes}`, `    max_args: ${l.maxArgs}`, `    max_bulk_bytes: ${l.maxBulkBytes}`,
      `    idle_timeout: ${l.idleTimeout}`, `    max_clients: ${l.maxClients}`);
  }
  if (o.length > 0) out.push('shardgate:', ...o);
}
