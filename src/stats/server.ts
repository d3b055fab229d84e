// The nutcracker-compatible stats port: every TCP connection receives one
// JSON document (Twemproxy's shape and field names) and is closed. Values are
// read live from the pools through the fields of the metrics table
// (fields.ts); no aggregation thread is needed.
import net from 'node:net';
import os from 'node:os';
import type { Proxy } from '../proxy/index.js';
import { serverValue } from '../metrics/dataplane.js';
import { POOL_FIELDS, SERVER_FIELDS } from './fields.js';

export function statsDocument(proxy: Proxy, version: string): Record<string, unknown> {
  const now = Date.now();
  let curr = 0;
  for (const p of proxy.pools) curr += p.ctx.clients.size;
  const doc: Record<string, unknown> = {
    service: 'nutcracker',
    source: os.hostname(),
    version,
    uptime: Math.floor((now - proxy.startedAt) / 1000),
    timestamp: Math.floor(now / 1000),
    total_connections: proxy.totals.connections,
    curr_connections: curr,
  };
  for (const p of proxy.pools) {
    const pool: Record<string, unknown> = {};
    const stats = p.runtime.stats as unknown as Record<string, number>;
    for (const f of POOL_FIELDS) pool[f.name] = stats[f.metric.field!];
    for (const s of p.runtime.servers) {
      const server: Record<string, number> = {};
      for (const f of SERVER_FIELDS) {
        const v = serverValue(s, f.metric);
        server[f.name] = f.kind === 'timestamp' ? v * 1_000_000 : v;
      }
      pool[s.label] = server;
    }
    doc[p.runtime.name] = pool;
  }
  return doc;
}

/** Serve `source()` (one JSON document per connection) on host:port. */
export function startStatsServer(source: () => Promise<Record<string, unknown>> | Record<string, unknown>, host: string, port: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    Promise.resolve(source()).then(
      (doc) => socket.end(`${JSON.stringify(doc)}\n`),
      () => socket.destroy(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}
