// The pure parts of the sentinel module: reading `INFO replication` (as
// redis-server 7.0 and the built-in node write it) and `SENTINEL MASTER`
// replies, and PoolHealth's heartbeat verdicts (eject until answered, or
// keep in the ring as unhealthy; no retry timer brings a heartbeat-ejected
// server back).
import { describe, expect, it } from 'vitest';
import { parseReplicationInfo } from '../../../src/sentinel/heartbeat.js';
import { parseSentinelMaster } from '../../../src/sentinel/sentinel-follower.js';
import { PoolHealth } from '../../../src/topology/health.js';

const REPLICA = [
  '# Replication', 'role:slave', 'master_host:127.0.0.1', 'master_port:7001', 'master_link_status:up', 'master_last_io_seconds_ago:0',
  'master_sync_in_progress:0', 'slave_read_repl_offset:5231320', 'slave_repl_offset:5231320', 'slave_priority:100', 'connected_slaves:0',
  'master_repl_offset:5231320', '',
].join('\r\n');

describe('parseReplicationInfo', () => {
  it('a replica: its master, link and offset', () => {
    expect(parseReplicationInfo(REPLICA)).toEqual({ role: 'slave', offset: 5231320, linkUp: true, master: { host: '127.0.0.1', port: 7001 } });
  });
  it('a replica that never synced: link down, offset as reported', () => {
    const r = parseReplicationInfo(REPLICA.replace('master_link_status:up', 'master_link_status:down').replace(/slave_repl_offset:\d+/, 'slave_repl_offset:1'));
    expect(r).toMatchObject({ role: 'slave', linkUp: false, offset: 1 });
  });
  it('a master: its own offset, no master', () => {
    expect(parseReplicationInfo('# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=7011,state=online,offset=10,lag=0\r\nmaster_repl_offset:10\r\n'))
      .toEqual({ role: 'master', offset: 10, linkUp: false, master: null });
  });
  it('anything else: role unknown', () => {
    expect(parseReplicationInfo('')).toEqual({ role: null, offset: -1, linkUp: false, master: null });
  });
});

describe('parseSentinelMaster', () => {
  it('reads ip, port, config epoch and flags from the flat list', () => {
    const reply = ['name', 'shard-a', 'ip', '127.0.0.1', 'port', '7011', 'runid', 'x', 'flags', 'master', 'config-epoch', '3'].map((s) => Buffer.from(s));
    expect(parseSentinelMaster(reply)).toEqual({ address: { host: '127.0.0.1', port: 7011 }, epoch: 3, flags: ['master'] });
  });
  it('anything but such a list is null', () => {
    expect(parseSentinelMaster(null)).toBeNull();
    expect(parseSentinelMaster([Buffer.from('name'), Buffer.from('x')])).toBeNull();
  });
});

describe('PoolHealth with heartbeats', () => {
  const policy = { autoEject: true, failureLimit: 2, retryTimeoutMs: 1000 };
  it('eject: out of the ring until heartbeats see it answer; the retry timer never brings it back', () => {
    const h = new PoolHealth(policy);
    expect(h.heartbeatDown('a', 'refused', true, 0)).toMatchObject({ kind: 'down', ring: true });
    expect(h.heartbeatDown('a', 'refused', true, 10)).toBeNull();
    expect(h.tick(10_000_000)).toEqual([]);
    expect(h.down()).toEqual(['a']);
    expect(h.heartbeatUp('a', 'answers')).toMatchObject({ kind: 'up', ring: true });
    expect(h.down()).toEqual([]);
  });
  it('keep: unhealthy but in the ring (a failover may follow, or auto_eject_hosts is off)', () => {
    const h = new PoolHealth(policy);
    expect(h.heartbeatDown('a', 'refused', false, 0)).toMatchObject({ kind: 'down', ring: false });
    expect(h.down()).toEqual([]);
    expect(h.unhealthy()).toEqual(['a']);
    expect(h.heartbeatUp('a', 'answers')).toMatchObject({ kind: 'up', ring: false });
    expect(h.unhealthy()).toEqual([]);
    expect(h.heartbeatUp('a', 'answers')).toBeNull();
  });
  it('without auto_eject_hosts an eject verdict keeps the server in the ring', () => {
    const h = new PoolHealth({ ...policy, autoEject: false });
    expect(h.heartbeatDown('a', 'refused', true, 0)).toMatchObject({ kind: 'down', ring: false });
    expect(h.down()).toEqual([]);
  });
});
