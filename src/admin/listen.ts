// The admin listen address: 'host:port', ':port' or 'port' (host 127.0.0.1),
// '[v6]:port'. Parsing and the listener error that names the address; must not
// open sockets.
import { listenReason, ShardgateError } from '../errors/index.js';

export interface ListenAddress { host: string; port: number }

export function listenError(listen: string, reason: string): ShardgateError {
  return new ShardgateError('SG_ERR_LISTEN', `admin listener ${listen}: ${reason}`);
}

export function parseListenAddress(listen: string): ListenAddress {
  const parsed = parseHostPort(listen);
  if (parsed === null) throw listenError(listen, 'invalid address (expected host:port, e.g. 127.0.0.1:9100)');
  return parsed;
}

/** 'host:port', ':port', 'port' or '[v6]:port' (host 127.0.0.1 when left out); null when it is none of these. */
export function parseHostPort(text: string): ListenAddress | null {
  const s = text.trim();
  let host: string;
  let portText: string;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (/^\d+$/.test(s)) {
    host = '';
    portText = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) return null;
    host = s.slice(0, i);
    portText = s.slice(i + 1);
    if (/[:\s[\]]/.test(host)) return null; // an IPv6 host needs brackets
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
  return { host: host || '127.0.0.1', port: Number(portText) };
}

/** host:port as a user writes it ('[::1]:9100' for IPv6). */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function bindFailure(listen: string, err: NodeJS.ErrnoException): ShardgateError {
  return listenError(listen, listenReason(err));
}
