// Which credentials the proxy presents to one backend server: the server's
// own entry in `backend_auth_servers` (by its name, or host:port / socket path
// when it has none), else the pool's `backend_auth`, else the pool's
// `redis_auth` as a bare password (nutcracker's behaviour), else none. Every
// connection the proxy opens to a server asks here — the request path's, the
// heartbeats', the INFO polls', key migration's and MIGRATE's AUTH option —
// so they all authenticate alike. Pure: must not log, and never put a
// password in a string that may be shown (backendKey hashes it).
import crypto from 'node:crypto';
import type { BackendCredentials, PoolConfig } from '../config/index.js';

/** What the proxy sends to the server `label` of the pool; null = no AUTH. */
export function credentialsFor(pc: Pick<PoolConfig, 'backendAuthServers' | 'backendAuth' | 'redisAuth'>, label: string): BackendCredentials | null {
  const own = Object.hasOwn(pc.backendAuthServers, label) ? pc.backendAuthServers[label] : undefined;
  if (own !== undefined) return own;
  if (pc.backendAuth !== null) return pc.backendAuth;
  return pc.redisAuth === null ? null : { username: null, password: pc.redisAuth };
}

/** The shape RedisConnection (src/redis) takes. */
export function connectionAuth(c: BackendCredentials | null): { username?: string; password: string } | null {
  if (c === null) return null;
  return c.username === null ? { password: c.password } : { username: c.username, password: c.password };
}

/** A digest of a password for keys and comparisons that must not hold the password itself. */
export function secretDigest(password: string | null): string | null {
  return password === null ? null : crypto.createHash('sha256').update(password, 'utf8').digest('hex').slice(0, 32);
}
