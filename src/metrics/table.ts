// The one table of shardgate's metrics: name, type, help and labels of each,
// where its value comes from, and under which name the nutcracker stats
// document and the proxy's INFO show it. The Prometheus exposition
// (exposition.ts), the stats document (src/stats/), INFO (src/proxy/local.ts)
// and docs/observability.md all read this table; a metric is added here once.
// Pure data: must not import sockets, prom-client or the proxy.

export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * Where a value comes from:
 * - pool / server: the counters outside the topology (src/topology/counters.ts), per serving process;
 * - queue: a server's connections' queues, read when asked;
 * - command: per-command arrays of the request path (commands.ts), per serving process;
 * - proxy: process-wide totals of a serving process;
 * - control: the controller's view (ring, health, migration, events), in the controlling process only;
 * - backend: the backends' own INFO, polled by the controlling process;
 * - process: this process (memory, event loop).
 */
export type MetricSource = 'pool' | 'server' | 'queue' | 'command' | 'proxy' | 'control' | 'backend' | 'process';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  readonly source: MetricSource;
  /** the field it reads: the counter's key (pool/server/proxy sources), or the INFO field (backend) */
  readonly field?: string;
  /** its name in the nutcracker stats document, when it is one of Twemproxy's fields */
  readonly nutcracker?: string;
  /** nutcracker's kind for the document (a timestamp is shown in microseconds) */
  readonly stats?: 'counter' | 'gauge' | 'timestamp';
  /** its name in the proxy's INFO, when INFO shows it */
  readonly info?: string;
  /** how the primary under -w N combines the workers' values (default: their sum) */
  readonly aggregator?: 'sum' | 'max';
}

const POOL = ['pool'] as const;
const SERVER = ['pool', 'server'] as const;
const COMMAND = ['pool', 'command'] as const;

/** Upper bounds of the request latency histogram, in seconds (+Inf is implied). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const METRICS: readonly MetricDef[] = [
  // per pool, per serving process (nutcracker's pool fields)
  { name: 'shardgate_client_eof_total', type: 'counter', help: 'Client connections closed by the client.', labels: POOL, source: 'pool', field: 'client_eof', nutcracker: 'client_eof', stats: 'counter', info: 'client_eof' },
  { name: 'shardgate_client_errors_total', type: 'counter', help: 'Errors on client connections.', labels: POOL, source: 'pool', field: 'client_err', nutcracker: 'client_err', stats: 'counter', info: 'client_err' },
  { name: 'shardgate_client_connections', type: 'gauge', help: 'Client connections open now.', labels: POOL, source: 'pool', field: 'client_connections', nutcracker: 'client_connections', stats: 'gauge' },
  { name: 'shardgate_server_ejects_total', type: 'counter', help: 'Times a backend server was ejected from the ring.', labels: POOL, source: 'pool', field: 'server_ejects', nutcracker: 'server_ejects', stats: 'counter', info: 'server_ejects' },
  { name: 'shardgate_forward_errors_total', type: 'counter', help: 'Requests answered with an error because they could not be forwarded: no live server, or their server failed (refused, closed, timed out) with them in flight.', labels: POOL, source: 'pool', field: 'forward_error', nutcracker: 'forward_error', stats: 'counter', info: 'forward_error' },
  { name: 'shardgate_fragments_total', type: 'counter', help: 'Fragments made by splitting multi-key requests over servers.', labels: POOL, source: 'pool', field: 'fragments', nutcracker: 'fragments', stats: 'counter', info: 'fragments' },
  // per backend server, per serving process (nutcracker's server fields)
  { name: 'shardgate_server_eof_total', type: 'counter', help: 'Backend connections closed by the server.', labels: SERVER, source: 'server', field: 'server_eof', nutcracker: 'server_eof', stats: 'counter' },
  { name: 'shardgate_server_errors_total', type: 'counter', help: 'Errors on backend connections.', labels: SERVER, source: 'server', field: 'server_err', nutcracker: 'server_err', stats: 'counter' },
  { name: 'shardgate_server_timeouts_total', type: 'counter', help: 'Requests that timed out on backend connections.', labels: SERVER, source: 'server', field: 'server_timedout', nutcracker: 'server_timedout', stats: 'counter' },
  { name: 'shardgate_server_connections', type: 'gauge', help: 'Backend connections open now.', labels: SERVER, source: 'server', field: 'server_connections', nutcracker: 'server_connections', stats: 'gauge' },
  { name: 'shardgate_server_ejected_at_seconds', type: 'gauge', help: 'When the server was last ejected, seconds since the epoch (0: never).', labels: SERVER, source: 'server', field: 'server_ejected_at', nutcracker: 'server_ejected_at', stats: 'timestamp', aggregator: 'max' },
  { name: 'shardgate_server_requests_total', type: 'counter', help: 'Requests sent to the server.', labels: SERVER, source: 'server', field: 'requests', nutcracker: 'requests', stats: 'counter' },
  { name: 'shardgate_server_request_bytes_total', type: 'counter', help: 'Request bytes sent to the server.', labels: SERVER, source: 'server', field: 'request_bytes', nutcracker: 'request_bytes', stats: 'counter' },
  { name: 'shardgate_server_responses_total', type: 'counter', help: 'Replies received from the server.', labels: SERVER, source: 'server', field: 'responses', nutcracker: 'responses', stats: 'counter' },
  { name: 'shardgate_server_response_bytes_total', type: 'counter', help: 'Reply bytes received from the server.', labels: SERVER, source: 'server', field: 'response_bytes', nutcracker: 'response_bytes', stats: 'counter' },
  { name: 'shardgate_server_in_queue', type: 'gauge', help: 'Requests waiting to be written to the server.', labels: SERVER, source: 'queue', field: 'in_queue', nutcracker: 'in_queue', stats: 'gauge' },
  { name: 'shardgate_server_in_queue_bytes', type: 'gauge', help: 'Request bytes waiting to be written to the server.', labels: SERVER, source: 'queue', field: 'in_queue_bytes', nutcracker: 'in_queue_bytes', stats: 'gauge' },
  { name: 'shardgate_server_out_queue', type: 'gauge', help: 'Requests written to the server and awaiting a reply.', labels: SERVER, source: 'queue', field: 'out_queue', nutcracker: 'out_queue', stats: 'gauge' },
  { name: 'shardgate_server_out_queue_bytes', type: 'gauge', help: 'Request bytes written to the server and awaiting a reply.', labels: SERVER, source: 'queue', field: 'out_queue_bytes', nutcracker: 'out_queue_bytes', stats: 'gauge' },
  // per command, per serving process (the request path's arrays)
  { name: 'shardgate_requests_total', type: 'counter', help: 'Requests routed, by pool and command.', labels: COMMAND, source: 'command', field: 'requests' },
  { name: 'shardgate_request_errors_total', type: 'counter', help: 'Forwarded requests whose reply was an error (from the server, or the proxy\'s own on a backend failure or timeout).', labels: COMMAND, source: 'command', field: 'errors' },
  { name: 'shardgate_cache_hits_total', type: 'counter', help: 'Keys read that were found (GET, MGET, HGET, ...: a value that is not nil).', labels: COMMAND, source: 'command', field: 'hits', info: 'keyspace_hits' },
  { name: 'shardgate_cache_misses_total', type: 'counter', help: 'Keys read that were not found (a nil reply, or a nil element of MGET/HMGET).', labels: COMMAND, source: 'command', field: 'misses', info: 'keyspace_misses' },
  { name: 'shardgate_request_duration_seconds', type: 'histogram', help: 'Time from reading a forwarded request to reading its reply, by pool and command.', labels: COMMAND, source: 'command', field: 'latency' },
  // process-wide totals of a serving process
  { name: 'shardgate_connections_total', type: 'counter', help: 'Client connections accepted.', labels: [], source: 'proxy', field: 'connections', info: 'total_connections_received' },
  { name: 'shardgate_commands_total', type: 'counter', help: 'Requests received (every command, local ones and rejected ones included).', labels: [], source: 'proxy', field: 'commands', info: 'total_commands_processed' },
  { name: 'shardgate_rejected_connections_total', type: 'counter', help: 'Client connections refused with -ERR max number of clients reached (limits.max_clients, or a pool\'s client_connections).', labels: [], source: 'proxy', field: 'rejected_connections', info: 'rejected_connections' },
  { name: 'shardgate_auth_failures_total', type: 'counter', help: 'Failed AUTH and HELLO AUTH attempts (a wrong password, an unknown or disabled user).', labels: [], source: 'proxy', field: 'auth_failures', info: 'auth_failures' },
  { name: 'shardgate_client_idle_timeouts_total', type: 'counter', help: 'Client connections closed for sending nothing for limits.idle_timeout seconds.', labels: [], source: 'proxy', field: 'idle_closed', info: 'client_idle_timeouts' },
  // the controller's view
  { name: 'shardgate_config_generation', type: 'gauge', help: 'Generation of the config in force (grows by one per applied change).', labels: [], source: 'control', field: 'generation' },
  { name: 'shardgate_ring_version', type: 'gauge', help: 'Version of the pool\'s ring (grows when its placement changes).', labels: POOL, source: 'control', field: 'ring_version' },
  { name: 'shardgate_server_up', type: 'gauge', help: '1 when the server is in the ring and healthy, 0 when it is ejected or heartbeats see it down (sentinel:).', labels: SERVER, source: 'control', field: 'up' },
  { name: 'shardgate_failovers_total', type: 'counter', help: 'Failovers of the server: its address in the ring replaced by a promoted replica (sentinel module or followed Redis Sentinel).', labels: SERVER, source: 'control', field: 'failovers' },
  { name: 'shardgate_server_share', type: 'gauge', help: 'Share of the pool\'s key space the server owns now (0..1).', labels: SERVER, source: 'control', field: 'share' },
  { name: 'shardgate_migration_active', type: 'gauge', help: '1 while key migration of the pool is in progress (earlier rings still consulted).', labels: POOL, source: 'control', field: 'migration_active' },
  { name: 'shardgate_migration_scanned_keys', type: 'gauge', help: 'Keys scanned by the pool\'s current or last background migration walk.', labels: POOL, source: 'control', field: 'migration_scanned' },
  { name: 'shardgate_migration_moved_keys', type: 'gauge', help: 'Keys moved by the pool\'s current or last background migration walk.', labels: POOL, source: 'control', field: 'migration_moved' },
  { name: 'shardgate_events_total', type: 'counter', help: 'Events published on the event bus, by type (node_down counts ejections, ring_changed reloads and failovers).', labels: ['type'], source: 'control', field: 'events' },
  // the backends' own INFO, polled
  { name: 'shardgate_backend_info_up', type: 'gauge', help: '1 when the last INFO poll of the server was answered.', labels: SERVER, source: 'backend', field: 'up' },
  { name: 'shardgate_backend_used_memory_bytes', type: 'gauge', help: 'The server\'s used_memory.', labels: SERVER, source: 'backend', field: 'used_memory' },
  { name: 'shardgate_backend_mem_fragmentation_ratio', type: 'gauge', help: 'The server\'s mem_fragmentation_ratio.', labels: SERVER, source: 'backend', field: 'mem_fragmentation_ratio' },
  { name: 'shardgate_backend_evicted_keys_total', type: 'counter', help: 'The server\'s evicted_keys.', labels: SERVER, source: 'backend', field: 'evicted_keys' },
  { name: 'shardgate_backend_expired_keys_total', type: 'counter', help: 'The server\'s expired_keys.', labels: SERVER, source: 'backend', field: 'expired_keys' },
  { name: 'shardgate_backend_keyspace_hits_total', type: 'counter', help: 'The server\'s keyspace_hits.', labels: SERVER, source: 'backend', field: 'keyspace_hits' },
  { name: 'shardgate_backend_keyspace_misses_total', type: 'counter', help: 'The server\'s keyspace_misses.', labels: SERVER, source: 'backend', field: 'keyspace_misses' },
  { name: 'shardgate_backend_connected_clients', type: 'gauge', help: 'The server\'s connected_clients.', labels: SERVER, source: 'backend', field: 'connected_clients' },
  { name: 'shardgate_backend_role', type: 'gauge', help: '1 for the server\'s role (master or slave) as its INFO says.', labels: ['pool', 'server', 'role'], source: 'backend', field: 'role' },
  { name: 'shardgate_backend_replication_offset_bytes', type: 'gauge', help: 'The server\'s master_repl_offset (a replica: slave_repl_offset).', labels: SERVER, source: 'backend', field: 'repl_offset' },
  { name: 'shardgate_backend_replication_lag_bytes', type: 'gauge', help: 'A master: bytes its furthest-behind replica lags (master_repl_offset - the replica\'s offset). 0 without replicas.', labels: SERVER, source: 'backend', field: 'lag_bytes' },
  { name: 'shardgate_backend_replication_lag_seconds', type: 'gauge', help: 'A master: its replicas\' largest lag in seconds; a replica: seconds since it last heard from its master.', labels: SERVER, source: 'backend', field: 'lag_seconds' },
  // this process
  { name: 'shardgate_process_resident_memory_bytes', type: 'gauge', help: 'Resident memory of shardgate\'s processes (summed over the primary and workers).', labels: [], source: 'process', field: 'rss' },
  { name: 'shardgate_event_loop_lag_seconds', type: 'gauge', help: 'Event-loop delay, 99th percentile over the last interval (the worst process under -w N).', labels: [], source: 'process', field: 'loop_lag', aggregator: 'max' },
];

export function metricsFrom(source: MetricSource): MetricDef[] {
  return METRICS.filter((m) => m.source === source);
}
