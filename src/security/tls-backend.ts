// TLS from the proxy to a pool's backends (`shardgate: backend_tls:`): the
// node:tls connection options of one server, made once per server (one secure
// context for all its connections). The server's certificate is always
// verified against `ca` (or the system's CAs) and `servername` (or the
// server's host). Must not open sockets nor log key material.
import net from 'node:net';
import tls from 'node:tls';
import type { BackendTls } from '../config/index.js';
import { readPemFiles } from './tls-files.js';

export function backendTlsOptions(t: BackendTls, host: string | null): tls.ConnectionOptions {
  const pem = readPemFiles({ ca: t.ca, cert: t.cert, key: t.key });
  const name = t.servername ?? host;
  return {
    secureContext: tls.createSecureContext(pem),
    rejectUnauthorized: true,
    // SNI takes a host name only; without one node checks the connected address against the certificate's IP SANs.
    ...(name !== null && net.isIP(name) === 0 ? { servername: name } : {}),
  };
}
