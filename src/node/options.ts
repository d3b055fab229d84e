// NodeOptions defaults and validation for `shardgate node` (redis-server's
// option names). Pure: no sockets, no files.
import { ConfigError } from '../errors/index.js';
import type { NodeOptions } from './contracts.js';
import { parseMemory } from './memory.js';

export const POLICIES = ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-random', 'volatile-ttl'] as const;

export function defaultOptions(): NodeOptions {
  return {
    port: 6379, bind: '127.0.0.1', dir: process.cwd(), appendonly: false, appendfsync: 'everysec',
    appendfilename: 'appendonly.aof', dbfilename: 'dump.sgdb', save: null, maxmemory: 0, maxmemoryPolicy: 'noeviction',
    maxmemorySamples: 5, replicaof: null, requirepass: null, masterauth: null, aofLoadTruncated: true,
  };
}

/** Options from redis-server-style strings (CLI flags). */
export function optionsFromFlags(f: Record<string, string | undefined>): Partial<NodeOptions> {
  const o: Partial<NodeOptions> = {};
  if (f.port !== undefined) {
    const p = Number(f.port);
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ConfigError(`invalid port '${f.port}'`, { key: 'port' });
    o.port = p;
  }
  if (f.bind !== undefined) o.bind = f.bind.split(/\s+/)[0]!;
  if (f.dir !== undefined) o.dir = f.dir;
  if (f.appendonly !== undefined) {
    if (!['yes', 'no'].includes(f.appendonly)) throw new ConfigError("argument must be 'yes' or 'no'", { key: 'appendonly' });
    o.appendonly = f.appendonly === 'yes';
  }
  if (f.appendfsync !== undefined) {
    if (!['always', 'everysec', 'no'].includes(f.appendfsync)) throw new ConfigError('must be always, everysec or no', { key: 'appendfsync' });
    o.appendfsync = f.appendfsync as NodeOptions['appendfsync'];
  }
  if (f.save !== undefined) {
    const first = f.save.trim().split(/\s+/)[0] ?? '';
    if (first === '') o.save = null;
    else {
      const n = Number(first);
      if (!Number.isInteger(n) || n < 0) throw new ConfigError(`invalid save '${f.save}'`, { key: 'save' });
      o.save = n === 0 ? null : n;
    }
  }
  if (f.maxmemory !== undefined) {
    try { o.maxmemory = parseMemory(f.maxmemory); } catch { throw new ConfigError(`invalid memory size '${f.maxmemory}'`, { key: 'maxmemory' }); }
  }
  if (f.maxmemoryPolicy !== undefined) {
    if (!(POLICIES as readonly string[]).includes(f.maxmemoryPolicy)) throw new ConfigError(`must be one of ${POLICIES.join(', ')}`, { key: 'maxmemory-policy' });
    o.maxmemoryPolicy = f.maxmemoryPolicy as NodeOptions['maxmemoryPolicy'];
  }
  if (f.maxmemorySamples !== undefined) o.maxmemorySamples = Math.max(1, Number(f.maxmemorySamples) | 0);
  if (f.replicaof !== undefined && f.replicaof !== '') {
    const [host, port] = f.replicaof.trim().split(/\s+/);
    const p = Number(port);
    if (!host || !Number.isInteger(p) || p <= 0 || p > 65535) throw new ConfigError(`expected "HOST PORT", got '${f.replicaof}'`, { key: 'replicaof' });
    o.replicaof = { host, port: p };
  }
  if (f.requirepass !== undefined) o.requirepass = f.requirepass === '' ? null : f.requirepass;
  if (f.masterauth !== undefined) o.masterauth = f.masterauth;
  if (f.appendfilename !== undefined) o.appendfilename = f.appendfilename;
  if (f.dbfilename !== undefined) o.dbfilename = f.dbfilename;
  return o;
}
