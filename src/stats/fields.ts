// The nutcracker stats fields, declared once with their meaning. The stats
// port (server.ts), `shardgate proxy -D` and docs/stats.md all read this table,
// so the JSON document keeps Twemproxy's field names for existing dashboards.

export type FieldKind = 'counter' | 'gauge' | 'timestamp';

export interface Field {
  readonly name: string;
  readonly kind: FieldKind;
  readonly help: string;
}

export const POOL_FIELDS: readonly Field[] = [
  { name: 'client_eof', kind: 'counter', help: 'client connections closed by the client' },
  { name: 'client_err', kind: 'counter', help: 'errors on client connections' },
  { name: 'client_connections', kind: 'gauge', help: 'client connections open now' },
  { name: 'server_ejects', kind: 'counter', help: 'times a backend server was ejected' },
  { name: 'forward_error', kind: 'counter', help: 'requests answered with an error because they could not be forwarded: no live server, or their server failed (refused, closed, timed out) with them in flight' },
  { name: 'fragments', kind: 'counter', help: 'fragments created by splitting multi-key requests' },
];

export const SERVER_FIELDS: readonly Field[] = [
  { name: 'server_eof', kind: 'counter', help: 'backend connections closed by the server' },
  { name: 'server_err', kind: 'counter', help: 'errors on backend connections' },
  { name: 'server_timedout', kind: 'counter', help: 'requests that timed out on backend connections' },
  { name: 'server_connections', kind: 'gauge', help: 'backend connections open now' },
  { name: 'server_ejected_at', kind: 'timestamp', help: 'when the server was last ejected, microseconds since the epoch' },
  { name: 'requests', kind: 'counter', help: 'requests sent to the server' },
  { name: 'request_bytes', kind: 'counter', help: 'request bytes sent to the server' },
  { name: 'responses', kind: 'counter', help: 'replies received from the server' },
  { name: 'response_bytes', kind: 'counter', help: 'reply bytes received from the server' },
  { name: 'in_queue', kind: 'gauge', help: 'requests waiting to be written to the server' },
  { name: 'in_queue_bytes', kind: 'gauge', help: 'request bytes waiting to be written to the server' },
  { name: 'out_queue', kind: 'gauge', help: 'requests written and awaiting a reply' },
  { name: 'out_queue_bytes', kind: 'gauge', help: 'request bytes written and awaiting a reply' },
];

export function describeStats(): string {
  const pad = (s: string) => s.padEnd(20);
  return ['pool stats:', ...POOL_FIELDS.map((f) => `  ${pad(f.name)}"${f.help}"`), '', 'server stats:',
    ...SERVER_FIELDS.map((f) => `  ${pad(f.name)}"${f.help}"`), ''].join('\n');
}
