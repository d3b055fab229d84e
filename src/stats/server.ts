// The nutcracker-compatible stats port: every TCP connection receives one
// JSON document (Twemproxy's shape and field names) and is closed. Values are
// read live from the pools; no aggregation thread is needed.
import net from 'node:net';
import os from 'node:os';
import type { Proxy } from '../proxy/index.js';
import type { TopologyServer } from '../topology/topology.js';

function serverStats(s: TopologyServer): Record<string, number> {
  let inQueue = 0, inQueueBytes = 0, outQueue = 0, outQueueBytes = 0;
  const k = s.backend.counters;
  for (const c of s.backend.conns) {
    inQueue += c.unsent;
    inQueueBytes += c.unsentBytes;
    outQueue += c.inflight - c.unsent;
    outQueueBytes += c.awaitingBytes;
  }
  return {
    server_eof: k.server_eof,
    server_err: k.server_err,
    server_timedout: k.server_timedout,
    server_connections: k.server_connections,
    server_ejected_at: k.server_ejected_at * 1_000_000,
    requests: k.requests,
    request_bytes: k.request_bytes,
    responses: k.responses,
    response_bytes: k.response_bytes,
    in_queue: inQueue,
    in_queue_bytes: inQueueBytes,
    out_queue: outQueue,
    out_queue_bytes: outQueueBytes,
  };
}

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
    const pool: Record<string, unknown> = { ...p.runtime.stats };
    for (const s of p.runtime.servers) pool[s.label] = serverStats(s);
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
