// The nutcracker-compatible stats port: every TCP connection receives one
// JSON document (Twemproxy's shape and field names) and is closed. Values are
// read live from the pools; no aggregation thread is needed.
import net from 'node:net';
import os from 'node:os';
import type { Proxy } from '../proxy/index.js';
import type { ServerRuntime } from '../proxy/server-pool.js';

function serverStats(s: ServerRuntime): Record<string, number> {
  let requests = 0, requestBytes = 0, responses = 0, responseBytes = 0;
  let inQueue = 0, inQueueBytes = 0, outQueue = 0, outQueueBytes = 0;
  for (const c of s.conns) {
    requests += c.requests;
    requestBytes += c.requestBytes;
    responses += c.responses;
    responseBytes += c.responseBytes;
    inQueue += c.unsent;
    inQueueBytes += c.unsentBytes;
    outQueue += c.inflight - c.unsent;
    outQueueBytes += c.awaitingBytes;
  }
  return {
    server_eof: s.stats.server_eof,
    server_err: s.stats.server_err,
    server_timedout: s.stats.server_timedout,
    server_connections: s.stats.server_connections,
    server_ejected_at: s.stats.server_ejected_at * 1_000_000,
    requests,
    request_bytes: requestBytes,
    responses,
    response_bytes: responseBytes,
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
    for (const s of p.runtime.servers) pool[s.config.label] = serverStats(s);
    doc[p.runtime.config.name] = pool;
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
