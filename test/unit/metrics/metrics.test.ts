// The metrics table and the request path's counting, pinned down: names and
// types that Prometheus accepts, Twemproxy's stats fields kept, hits/misses
// and latency buckets from raw reply bytes, the slow log's bounds, INFO
// parsing of the backend poller, and the metrics/slowlog settings.
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, METRICS } from '../../../src/metrics/table.js';
import { BUCKET_COUNT, CommandMetrics, timing } from '../../../src/metrics/commands.js';
import { SlowLog } from '../../../src/metrics/slowlog.js';
import { figuresOf, parseInfo } from '../../../src/metrics/backend-info.js';
import { POOL_FIELDS, SERVER_FIELDS } from '../../../src/stats/fields.js';
import { lookupCommand } from '../../../src/commands/table.js';
import { parseConfig } from '../../../src/config/index.js';

const id = (name: string) => lookupCommand(name)!.id;
const POOL = 'alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n    - 127.0.0.1:7001:1\n';

describe('the metrics table', () => {
  it('declares each metric once, with names, types and labels Prometheus accepts', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRICS) {
      expect(m.name).toMatch(/^shardgate_[a-z][a-z0-9_]*$/);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      else expect(m.name).not.toMatch(/_total$/);
      for (const l of m.labels) expect(l).toMatch(/^[a-z_]+$/);
      expect(m.help.length).toBeGreaterThan(10);
    }
  });

  it('keeps Twemproxy\'s stats field names and order for existing dashboards', () => {
    expect(POOL_FIELDS.map((f) => f.name)).toEqual(['client_eof', 'client_err', 'client_connections', 'server_ejects', 'forward_error', 'fragments']);
    expect(SERVER_FIELDS.map((f) => f.name)).toEqual(['server_eof', 'server_err', 'server_timedout', 'server_connections', 'server_ejected_at',
      'requests', 'request_bytes', 'responses', 'response_bytes', 'in_queue', 'in_queue_bytes', 'out_queue', 'out_queue_bytes']);
  });
});

describe('per-command counting from reply bytes', () => {
  const reply = (s: string) => Buffer.from(s);
  const answer = (m: CommandMetrics, cmd: number, bytes: string, ms = 0.3) => {
    timing.now = 1000 + ms;
    const b = reply(bytes);
    return m.replied(cmd, 1000, b, 0, b.length);
  };

  it('tells hits, misses and errors apart for single-value reads', () => {
    const m = new CommandMetrics();
    answer(m, id('get'), '$3\r\nabc\r\n');
    answer(m, id('get'), '$-1\r\n');
    answer(m, id('get'), '$0\r\n\r\n');
    answer(m, id('get'), '-ERR wrong\r\n');
    answer(m, id('hget'), '$-1\r\n');
    answer(m, id('set'), '+OK\r\n');
    expect([m.hits[id('get')], m.misses[id('get')], m.errors[id('get')]]).toEqual([2, 1, 1]);
    expect(m.misses[id('hget')]).toBe(1);
    expect([m.hits[id('set')], m.misses[id('set')], m.errors[id('set')]]).toEqual([0, 0, 0]);
  });

  it('counts each element of MGET and HMGET replies', () => {
    const m = new CommandMetrics();
    answer(m, id('mget'), '*4\r\n$1\r\na\r\n$-1\r\n$12\r\nhello\r\nworld\r\n$-1\r\n');
    answer(m, id('hmget'), '*2\r\n$-1\r\n$-1\r\n');
    expect([m.hits[id('mget')], m.misses[id('mget')]]).toEqual([2, 2]);
    expect([m.hits[id('hmget')], m.misses[id('hmget')]]).toEqual([0, 2]);
  });

  it('puts each latency in the first bucket whose bound holds it', () => {
    const m = new CommandMetrics();
    const g = id('get');
    const cases = [0.01, 0.3, 1, 7, 20_000];
    for (const ms of cases) expect(answer(m, g, '$-1\r\n', ms)).toBeCloseTo(ms, 6);
    const counts = Array.from(m.buckets.subarray(g * BUCKET_COUNT, (g + 1) * BUCKET_COUNT));
    const expected = new Array(BUCKET_COUNT).fill(0);
    for (const ms of cases) {
      const b = LATENCY_BUCKETS.findIndex((s) => ms / 1000 <= s);
      expected[b < 0 ? BUCKET_COUNT - 1 : b]++;
    }
    expect(counts).toEqual(expected);
    expect(m.sumMs[g]).toBeCloseTo(cases.reduce((a, b) => a + b, 0), 6);
  });

  it('gives every command and subcommand its own id', () => {
    const ids = ['get', 'set', 'mget', 'slowlog'].map(id);
    expect(new Set(ids).size).toBe(4);
    expect(lookupCommand('object')!.subcommands!.get('encoding')!.id).not.toBe(id('object'));
  });
});

describe('the slow log', () => {
  const entry = (us: number) => ({ durationUs: us, args: ['get'], client: '127.0.0.1:1', info: 'backend=a', pool: 'p' });

  it('keeps the newest max_len entries, newest first, and follows its threshold', () => {
    const s = new SlowLog();
    s.configure(1000, 3);
    expect(s.isSlow(0.999)).toBe(false);
    expect(s.isSlow(1)).toBe(true);
    for (let i = 1; i <= 5; i++) s.add(entry(i));
    expect(s.length).toBe(3);
    expect(s.get(10).map((e) => e.durationUs)).toEqual([5, 4, 3]);
    expect(s.get(1).map((e) => e.durationUs)).toEqual([5]);
    expect(s.get(-1)).toHaveLength(3);
    s.configure(1000, 2);
    expect(s.get(-1).map((e) => e.durationUs)).toEqual([5, 4]);
    s.reset();
    expect(s.length).toBe(0);
    s.configure(-1, 2);
    expect(s.isSlow(1e9)).toBe(false);
    s.configure(0, 2);
    expect(s.isSlow(0)).toBe(true);
  });
});

describe('backend INFO figures', () => {
  it('reads memory, keyspace and a master\'s replica lag', () => {
    const text = ['# Memory', 'used_memory:1048576', 'mem_fragmentation_ratio:1.25', '# Stats', 'evicted_keys:3', 'expired_keys:4',
      'keyspace_hits:10', 'keyspace_misses:5', '# Clients', 'connected_clients:7', '# Replication', 'role:master', 'connected_slaves:2',
      'slave0:ip=127.0.0.1,port=7001,state=online,offset=900,lag=0', 'slave1:ip=127.0.0.1,port=7002,state=online,offset=700,lag=2',
      'master_repl_offset:1000', ''].join('\r\n');
    expect(figuresOf(parseInfo(text))).toEqual({
      role: 'master', used_memory: 1048576, mem_fragmentation_ratio: 1.25, evicted_keys: 3, expired_keys: 4, keyspace_hits: 10,
      keyspace_misses: 5, connected_clients: 7, repl_offset: 1000, lag_bytes: 300, lag_seconds: 2,
    });
  });

  it('reads a replica\'s offset and the seconds since its master spoke', () => {
    const f = figuresOf(parseInfo('role:slave\r\nmaster_last_io_seconds_ago:3\r\nslave_repl_offset:555\r\nmaster_repl_offset:560\r\n'));
    expect(f).toMatchObject({ role: 'slave', repl_offset: 555, lag_seconds: 3, lag_bytes: null });
  });
});

describe('metrics and slowlog settings', () => {
  it('defaults to metrics on, INFO polled every 5 s, a 10 ms slow log of 128 entries', () => {
    const c = parseConfig(POOL);
    expect(c.shardgate.metrics).toEqual({ enabled: true, infoInterval: 5000 });
    expect(c.shardgate.slowlog).toEqual({ thresholdUs: 10_000, maxLen: 128 });
    expect(c.shardgate.admin.readyMinLivePercent).toBe(1);
  });

  it('reads them from the file', () => {
    const c = parseConfig(`${POOL}shardgate:\n  metrics: { enabled: false, info_interval: 0 }\n  slowlog: { threshold_us: -1, max_len: 4 }\n`);
    expect(c.shardgate.metrics).toEqual({ enabled: false, infoInterval: 0 });
    expect(c.shardgate.slowlog).toEqual({ thresholdUs: -1, maxLen: 4 });
  });

  it('refuses a slow log that nothing would time, and bad values, naming the key', () => {
    expect(() => parseConfig(`${POOL}shardgate:\n  metrics: { enabled: false }\n  slowlog: { threshold_us: 100 }\n`, 'p.yaml'))
      .toThrow(/slowlog.*needs metrics/);
    expect(() => parseConfig(`${POOL}shardgate:\n  metrics: { enabled: maybe }\n`)).toThrow(/metrics\.enabled/);
    expect(() => parseConfig(`${POOL}shardgate:\n  slowlog: { threshold_us: -2 }\n`)).toThrow(/threshold_us/);
    expect(() => parseConfig(`${POOL}shardgate:\n  metrics: { path: /m }\n`)).toThrow(/unknown key/);
  });
});
