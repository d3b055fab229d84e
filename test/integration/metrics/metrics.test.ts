// GET /metrics, SLOWLOG and /readyz against real redis-servers: after a known
// workload the request, hit and miss counts and latency histograms match what
// was sent, the backend INFO figures match what each redis-server's own INFO
// says, a request held up by DEBUG SLEEP on its backend is in the slow log
// (RESP and HTTP) naming that backend, -w 2 sums both workers, and /readyz
// turns 503 when a pool has fewer reachable servers than configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { command, pipeline, type Reply } from '../../fixtures/resp-client.js';
import { adminRequest, waitForAdmin } from '../../fixtures/admin.js';
import { has, metric, readMetrics } from '../../fixtures/metrics.js';
import { until } from '../../fixtures/until.js';

function infoFields(text: string): Map<string, string> {
  return new Map(text.split('\r\n').filter((l) => l.includes(':') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

async function directInfo(port: number): Promise<Map<string, string>> {
  return infoFields(String(await command(port, 'INFO')));
}

function config(listen: number, admin: number, servers: { port: number; name: string }[], extra = ''): string {
  const file = path.join(tmpDir(), 'proxy.yaml');
  fs.writeFileSync(file, [
    'alpha:', `  listen: 127.0.0.1:${listen}`, '  redis: true', '  hash: fnv1a_64', '  servers:',
    ...servers.map((s) => `    - 127.0.0.1:${s.port}:1 ${s.name}`),
    'shardgate:', `  admin: { listen: 127.0.0.1:${admin}, ready_min_live_percent: 100 }`, '  metrics: { info_interval: 200 }',
    '  slowlog: { threshold_us: 150000, max_len: 16 }', extra, '',
  ].join('\n'));
  return file;
}

describe('one process', () => {
  let redis: Proc[];
  let replica: Proc;
  let proxy: Proc;
  let port: number;
  let admin: string;
  let file: string;
  const names = ['a', 'b'];

  beforeAll(async () => {
    redis = await Promise.all(names.map(() => startRedis(['--enable-debug-command', 'yes'])));
    replica = await startRedis(['--replicaof', '127.0.0.1', String(redis[0]!.port)]);
    port = await freePort();
    const adminPort = await freePort();
    admin = `127.0.0.1:${adminPort}`;
    file = config(port, adminPort, redis.map((r, i) => ({ port: r.port, name: names[i]! })));
    proxy = await startShardgate(['proxy', '-c', file, '-s', '0'], port);
    await waitForAdmin(admin);
  });
  afterAll(async () => {
    await proxy?.stop();
    await replica?.stop();
    await Promise.all((redis ?? []).map((r) => r.stop()));
  });

  it('counts requests, hits, misses and latency per command as the workload sent them', async () => {
    const present = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const absent = Array.from({ length: 10 }, (_, i) => `missing${i}`);
    const mget = [...present.slice(0, 5), ...absent.slice(0, 5)];
    const cmds: string[][] = [
      ...present.map((k) => ['SET', k, `v-${k}`]),
      ...present.map((k) => ['GET', k]),
      ...absent.map((k) => ['GET', k]),
      ['MGET', ...mget],
      ['HSET', 'h1', 'f', 'x'], ['HGET', 'h1', 'f'], ['HGET', 'h1', 'nofield'],
    ];
    const replies = await pipeline(port, cmds);
    expect(replies.filter((r) => r instanceof Error)).toEqual([]);
    // What the replies say, counted here: the proxy's figures must be these.
    const gets = replies.slice(present.length, present.length * 2 + absent.length);
    const mgetReply = replies[present.length * 2 + absent.length] as Reply[];
    const m = await readMetrics(admin);
    const p = { pool: 'alpha' };
    expect(metric(m, 'shardgate_requests_total', { ...p, command: 'set' })).toBe(present.length);
    expect(metric(m, 'shardgate_requests_total', { ...p, command: 'get' })).toBe(gets.length);
    expect(metric(m, 'shardgate_requests_total', { ...p, command: 'mget' })).toBe(1);
    expect(metric(m, 'shardgate_cache_hits_total', { ...p, command: 'get' })).toBe(gets.filter((r) => r !== null).length);
    expect(metric(m, 'shardgate_cache_misses_total', { ...p, command: 'get' })).toBe(gets.filter((r) => r === null).length);
    expect(metric(m, 'shardgate_cache_hits_total', { ...p, command: 'mget' })).toBe(mgetReply.filter((r) => r !== null).length);
    expect(metric(m, 'shardgate_cache_misses_total', { ...p, command: 'mget' })).toBe(mgetReply.filter((r) => r === null).length);
    expect(metric(m, 'shardgate_cache_hits_total', { ...p, command: 'hget' })).toBe(1);
    expect(metric(m, 'shardgate_cache_misses_total', { ...p, command: 'hget' })).toBe(1);
    expect(metric(m, 'shardgate_cache_hits_total', { ...p, command: 'set' })).toBe(0);
    // Every forwarded GET is in the latency histogram; +Inf holds them all, the buckets grow.
    expect(metric(m, 'shardgate_request_duration_seconds_count', { ...p, command: 'get' })).toBe(gets.length);
    expect(metric(m, 'shardgate_request_duration_seconds_bucket', { ...p, command: 'get', le: '+Inf' })).toBe(gets.length);
    const buckets = m.filter((s) => s.name === 'shardgate_request_duration_seconds_bucket' && s.labels.command === 'get').map((s) => s.value);
    expect(buckets).toEqual([...buckets].sort((x, y) => x - y));
    expect(metric(m, 'shardgate_request_duration_seconds_sum', { ...p, command: 'get' })).toBeGreaterThan(0);
    // The per-server request counters add up to what was forwarded (MGET split into fragments).
    const serverRequests = metric(m, 'shardgate_server_requests_total', p);
    const fragments = metric(m, 'shardgate_fragments_total', p);
    expect(serverRequests).toBe(cmds.length - 1 + Math.max(1, fragments));
    // INFO's stats section reads the same table.
    const info = infoFields(String(await command(port, 'INFO', 'stats')));
    expect(Number(info.get('keyspace_hits'))).toBe(metric(m, 'shardgate_cache_hits_total', p));
    expect(Number(info.get('keyspace_misses'))).toBe(metric(m, 'shardgate_cache_misses_total', p));
  });

  it('keeps its counts across a reload that swaps the topology', async () => {
    const before = await readMetrics(admin);
    const text = fs.readFileSync(file, 'utf8').replace('  redis: true\n', '  redis: true\n  timeout: 5000\n');
    const r = await adminRequest(admin, 'PUT', '/config', text);
    expect(r.status).toBe(200);
    expect(r.body.live.join(' ')).toMatch(/timeout/);
    const after = await readMetrics(admin);
    for (const name of ['shardgate_requests_total', 'shardgate_cache_hits_total', 'shardgate_cache_misses_total', 'shardgate_server_requests_total']) {
      expect(metric(after, name)).toBe(metric(before, name));
    }
    expect(metric(after, 'shardgate_config_generation')).toBe(metric(before, 'shardgate_config_generation') + 1);
    expect(metric(after, 'shardgate_events_total', { type: 'config_applied' })).toBe(2);
  });

  it('shows every backend\'s INFO figures as the backend reports them', async () => {
    for (const [i, r] of redis.entries()) {
      const want = await directInfo(r.port);
      const labels = { pool: 'alpha', server: names[i]! };
      await until(`backend ${names[i]} polled after the workload`, async () => {
        const m = await readMetrics(admin);
        return metric(m, 'shardgate_backend_keyspace_hits_total', labels) === Number(want.get('keyspace_hits'))
          && metric(m, 'shardgate_backend_keyspace_misses_total', labels) === Number(want.get('keyspace_misses'));
      }, 5000, 100);
      const m = await readMetrics(admin);
      expect(metric(m, 'shardgate_backend_info_up', labels)).toBe(1);
      expect(metric(m, 'shardgate_backend_evicted_keys_total', labels)).toBe(Number(want.get('evicted_keys')));
      expect(metric(m, 'shardgate_backend_expired_keys_total', labels)).toBe(Number(want.get('expired_keys')));
      expect(metric(m, 'shardgate_backend_role', { ...labels, role: want.get('role')! })).toBe(1);
      const mem = metric(m, 'shardgate_backend_used_memory_bytes', labels);
      expect(Math.abs(mem - Number(want.get('used_memory'))) / Number(want.get('used_memory'))).toBeLessThan(0.5);
      expect(metric(m, 'shardgate_backend_mem_fragmentation_ratio', labels)).toBeGreaterThan(0);
      expect(metric(m, 'shardgate_backend_connected_clients', labels)).toBeGreaterThanOrEqual(1);
    }
    // Server a has a replica: its lag is what its INFO's slave0 line says, once the replica is online.
    await until('the replica online', async () => /state=online/.test((await directInfo(redis[0]!.port)).get('slave0') ?? ''), 10_000, 100);
    await until('the replica seen in the poll', async () => has(await readMetrics(admin), 'shardgate_backend_replication_lag_seconds', { server: 'a' }), 5000, 100);
    const m = await readMetrics(admin);
    const master = await directInfo(redis[0]!.port);
    const slave = new Map(master.get('slave0')!.split(',').map((kv) => kv.split('=') as [string, string]));
    const lagBytes = metric(m, 'shardgate_backend_replication_lag_bytes', { server: 'a' });
    expect(lagBytes).toBeGreaterThanOrEqual(0);
    expect(lagBytes).toBeLessThanOrEqual(Number(master.get('master_repl_offset')) - Number(slave.get('offset')) + 1024);
    expect(metric(m, 'shardgate_backend_replication_offset_bytes', { server: 'a' })).toBeGreaterThan(0);
    expect(metric(m, 'shardgate_server_up', { server: 'a' })).toBe(1);
    expect(metric(m, 'shardgate_ring_version', { pool: 'alpha' })).toBe((await adminRequest(admin, 'GET', '/ring')).body.pools.alpha.version);
    expect(metric(m, 'shardgate_process_resident_memory_bytes')).toBeGreaterThan(1e6);
  });

  it('keeps a request held up by DEBUG SLEEP on its backend in the slow log, naming the backend', async () => {
    expect(await command(port, 'SLOWLOG', 'RESET')).toBe('OK');
    const key = 'k3';
    const owner = (await Promise.all(redis.map((r) => command(r.port, 'EXISTS', key)))).findIndex((n) => n === 1);
    expect(owner).toBeGreaterThanOrEqual(0);
    const sleeping = command(redis[owner]!.port, 'DEBUG', 'SLEEP', '0.4');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    expect(String(await command(port, 'GET', key))).toBe(`v-${key}`);
    const waited = Date.now() - t0;
    await sleeping;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(await command(port, 'GET', 'k4')).not.toBeInstanceOf(Error); // a fast one: not logged
    expect(await command(port, 'SLOWLOG', 'LEN')).toBe(1);
    const entries = await command(port, 'SLOWLOG', 'GET') as Reply[][];
    expect(entries).toHaveLength(1);
    const [id, time, us, args, client, info] = entries[0]!;
    expect(typeof id).toBe('number');
    expect(Math.abs((time as number) - Date.now() / 1000)).toBeLessThan(10);
    expect(us as number).toBeGreaterThanOrEqual(150_000);
    expect(us as number).toBeLessThanOrEqual(waited * 1000 + 50_000);
    expect((args as Reply[]).map(String)).toEqual(['get', '... (1 more arguments)']);
    expect(String(client)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(String(info)).toBe(`backend=${names[owner]}`);
    const http = await adminRequest(admin, 'GET', '/slowlog');
    expect(http.status).toBe(200);
    expect(http.body.entries).toHaveLength(1);
    expect(http.body.entries[0]).toMatchObject({ duration_us: us, backend: names[owner], pool: 'alpha', args: (args as Reply[]).map(String) });
    expect((await adminRequest(admin, 'GET', '/slowlog?count=x')).status).toBe(400);
    expect(await command(port, 'SLOWLOG', 'GET', 'nope')).toBeInstanceOf(Error);
    expect(await command(port, 'SLOWLOG', 'NOPE')).toBeInstanceOf(Error);
    expect(await command(port, 'SLOWLOG', 'RESET')).toBe('OK');
    expect(await command(port, 'SLOWLOG', 'LEN')).toBe(0);
  });

  it('/readyz is 503 once fewer of a pool\'s servers answer than ready_min_live_percent asks', async () => {
    expect((await adminRequest(admin, 'GET', '/readyz')).status).toBe(200);
    await redis[1]!.stop();
    await until('/readyz 503', async () => (await adminRequest(admin, 'GET', '/readyz')).status === 503, 5000, 100);
    const r = await adminRequest(admin, 'GET', '/readyz');
    expect(r.body.reasons.join(' ')).toMatch(/pool alpha: 1 of 2 servers reachable, 2 needed/);
    expect(metric(await readMetrics(admin), 'shardgate_backend_info_up', { server: 'b' })).toBe(0);
  });
});

describe('-w 2', () => {
  let redis: Proc[];
  let proxy: Proc;
  let port: number;
  let admin: string;

  beforeAll(async () => {
    redis = await Promise.all([0, 1].map(() => startRedis()));
    port = await freePort();
    const adminPort = await freePort();
    admin = `127.0.0.1:${adminPort}`;
    const file = config(port, adminPort, redis.map((r, i) => ({ port: r.port, name: `s${i}` })));
    proxy = await startShardgate(['proxy', '-c', file, '-s', '0', '-w', '2'], port);
    await waitForAdmin(admin);
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all((redis ?? []).map((r) => r.stop()));
  });

  it('sums both workers\' counters and histograms', async () => {
    // Connections are handed to the workers in turn: several clients reach both.
    const pids = new Set<string>();
    const clients = 6;
    let gets = 0;
    await until('both workers served a client', async () => {
      const info = String(await command(port, 'INFO', 'server'));
      pids.add(/process_id:(\d+)/.exec(info)![1]!);
      return pids.size === 2;
    }, 15_000, 50);
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      const cmds = Array.from({ length: 10 }, (_, i) => [['SET', `w${c}:${i}`, 'x'], ['GET', `w${c}:${i}`], ['GET', `none${c}:${i}`]]).flat();
      const replies = await pipeline(port, cmds);
      expect(replies.filter((r) => r instanceof Error)).toEqual([]);
    }));
    gets = clients * 20;
    const m = await readMetrics(admin);
    expect(metric(m, 'shardgate_requests_total', { command: 'get' })).toBe(gets);
    expect(metric(m, 'shardgate_request_duration_seconds_count', { command: 'get' })).toBe(gets);
    expect(metric(m, 'shardgate_request_duration_seconds_bucket', { command: 'get', le: '+Inf' })).toBe(gets);
    expect(metric(m, 'shardgate_cache_hits_total', { command: 'get' })).toBe(gets / 2);
    expect(metric(m, 'shardgate_cache_misses_total', { command: 'get' })).toBe(gets / 2);
    expect(metric(m, 'shardgate_server_requests_total')).toBe(clients * 30);
    // One series per label set: the workers' values are summed, not listed twice.
    const seen = m.filter((s) => s.name === 'shardgate_requests_total' && s.labels.command === 'get');
    expect(seen).toHaveLength(1);
  });
});
