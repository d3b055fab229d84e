// Which credentials the proxy presents to a server: the server's own entry,
// else the pool's backend_auth, else redis_auth as a bare password, else none;
// and the registry key never holds the password.
import { describe, expect, it } from 'vitest';
import { connectionAuth, credentialsFor, secretDigest } from '../../../src/security/backend-auth.js';
import { backendKey, type BackendSpec } from '../../../src/topology/registry.js';

const pool = (o: Partial<Parameters<typeof credentialsFor>[0]> = {}) => ({ backendAuthServers: {}, backendAuth: null, redisAuth: null, ...o });

describe('credentialsFor', () => {
  it('server entry, then backend_auth, then redis_auth, then none', () => {
    const all = pool({ backendAuthServers: { b: { username: 'ub', password: 'pb' } }, backendAuth: { username: 'u', password: 'p' }, redisAuth: 'r' });
    expect(credentialsFor(all, 'b')).toEqual({ username: 'ub', password: 'pb' });
    expect(credentialsFor(all, 'a')).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFor(pool({ redisAuth: 'r' }), 'a')).toEqual({ username: null, password: 'r' });
    expect(credentialsFor(pool(), 'a')).toBeNull();
    // a label that is an Object.prototype name is not an entry
    expect(credentialsFor(pool({ redisAuth: 'r' }), 'constructor')).toEqual({ username: null, password: 'r' });
  });

  it('connectionAuth leaves the username out when there is none', () => {
    expect(connectionAuth({ username: null, password: 'p' })).toEqual({ password: 'p' });
    expect(connectionAuth({ username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
    expect(connectionAuth(null)).toBeNull();
  });

  it('the registry key changes with the password but does not contain it', () => {
    const spec = (auth: string): BackendSpec => ({
      pool: 'p', identity: 'a', label: 'a', host: '127.0.0.1', port: 6379, path: null, auth, authUser: 'u', db: 0, keepalive: false,
      timeout: null, connections: 1, tls: null, protocol: 2,
    });
    const k1 = backendKey(spec('very-secret-1'));
    const k2 = backendKey(spec('very-secret-2'));
    expect(k1).not.toBe(k2);
    expect(k1).not.toContain('very-secret-1');
    expect(k1).toContain(secretDigest('very-secret-1')!);
  });
});
