// INFO text of the node: built-in sections (server, clients, memory, stats,
// keyspace) plus the ones persistence/replication register. Field names are
// Redis's so tools that parse INFO keep working.
import os from 'node:os';
import type { NodeState } from '../state.js';

export const REDIS_VERSION = '7.0.0';
const ORDER = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace'];

function builtin(n: NodeState, name: string): Record<string, string | number> | null {
  const ks = n.keyspace;
  switch (name) {
    case 'server': return {
      redis_version: REDIS_VERSION, redis_mode: 'standalone', shardgate_node: 1, os: `${os.type()} ${os.release()} ${os.arch()}`,
      arch_bits: 64, process_id: process.pid, tcp_port: n.options.port, uptime_in_seconds: Math.floor((Date.now() - n.startedAt) / 1000),
      uptime_in_days: Math.floor((Date.now() - n.startedAt) / 86400000), executable: process.execPath, config_file: '',
    };
    case 'clients': return { connected_clients: n.clients.size, blocked_clients: n.blockedClients, maxclients: 10000 };
    case 'memory': {
      const mu = process.memoryUsage();
      return {
        used_memory: ks.used, used_memory_human: human(ks.used), used_memory_rss: mu.rss, used_memory_rss_human: human(mu.rss),
        used_memory_peak: Math.max(ks.used, peak.v = Math.max(peak.v, ks.used)), used_memory_dataset: ks.used,
        used_memory_heap: mu.heapUsed, used_memory_arraybuffers: mu.arrayBuffers,
        maxmemory: n.options.maxmemory, maxmemory_human: human(n.options.maxmemory), maxmemory_policy: n.options.maxmemoryPolicy,
        mem_allocator: 'v8',
        number_of_cached_scripts: n.cachedScripts.count, used_memory_scripts_eval: n.cachedScripts.bytes,
        number_of_functions: n.functionCounts.functions, number_of_libraries: n.functionCounts.libraries,
      };
    }
    case 'persistence': return { loading: 0, rdb_changes_since_last_save: ks.dirty, aof_enabled: 0 };
    case 'stats': return {
      total_connections_received: n.stats.connections, total_commands_processed: n.stats.commands,
      rejected_connections: n.stats.rejected, expired_keys: ks.expiredKeys, evicted_keys: ks.evictedKeys,
      keyspace_hits: ks.hits, keyspace_misses: ks.misses, pubsub_channels: n.channels.size, pubsub_patterns: n.patterns.size,
    };
    case 'replication': return { role: n.readOnly ? 'slave' : 'master', connected_slaves: 0 };
    case 'cpu': {
      const u = process.cpuUsage();
      return { used_cpu_sys: (u.system / 1e6).toFixed(6), used_cpu_user: (u.user / 1e6).toFixed(6) };
    }
    case 'keyspace': return ks.size > 0 ? { db0: `keys=${ks.size},expires=${ks.volatileCount},avg_ttl=0` } : {};
    default: return null;
  }
}
const peak = { v: 0 };

function human(b: number): string {
  if (b < 1024) return `${b}B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(2)}K`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(2)}M`;
  return `${(b / 1024 ** 3).toFixed(2)}G`;
}

export function infoText(n: NodeState, wanted: string[]): string {
  const all = wanted.length === 0 || wanted.some((w) => w === 'all' || w === 'everything' || w === 'default');
  const names = all ? [...new Set([...ORDER, ...n.infoSections.keys()])] : wanted;
  const parts: string[] = [];
  for (const name of names) {
    const ext = n.infoSections.get(name);
    const fields = ext ? ext() : builtin(n, name);
    if (fields === null) continue;
    let s = `# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n`;
    for (const [k, v] of Object.entries(fields)) s += `${k}:${v}\r\n`;
    parts.push(s);
  }
  return parts.join('\r\n');
}
