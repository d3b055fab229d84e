// The admin listen address: 'host:port', ':port' or 'port' (host 127.0.0.1),
// '[v6]:port'. Parsing and the listener error that names the address; must not
// open sockets.
import { ShardgateError } from '../errors/index.js';

export interface ListenAddress { host: string; port: number }

export function listenError(listen: string, reason: string): ShardgateError {
  return new ShardgateError('SG_ERR_LISTEN', `admin listener ${listen}: ${reason}`);
}

export function parseListenAddress(listen: string): ListenAddress {
  const invalid = () => listenError(listen, 'invalid address (expected host:port, e.g. 127.0.0.1:9100)');
  const s = listen.trim();
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
    if (i < 0) throw invalid();
    host = s.slice(0, i);
    portText = s.slice(i + 1);
    if (/[:\s[\]]/.test(host)) throw invalid(); // an IPv6 host needs brackets
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw invalid();
  return { host: host || '127.0.0.1', port: Number(portText) };
}

/** host:port as a user writes it ('[::1]:9100' for IPv6). */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

export function bindFailure(listen: string, err: NodeJS.ErrnoException): ShardgateError {
  return listenError(listen, REASONS[err.code ?? ''] ?? err.message);
}
