// How a pool's ring spreads sequential keys over its servers: the real ring
// (buildRing, serverHashName, as the proxy builds it from a PoolConfig), the
// count per server and the worst deviation from each server's weighted share.
import { buildRing, serverHashName, type HashName } from '../../../src/ring/index.js';
import type { PoolConfig } from '../../../src/config/index.js';

export const SEQUENCES: Readonly<Record<string, (i: number) => string>> = {
  'key:1..key:10000': (i) => `key:${i}`,
  'k1..k10000': (i) => `k${i}`,
};
export const SEQUENCE_LENGTH = 10_000;

export interface Spread { counts: number[]; worst: number }

/** Keys key(1)..key(n) placed by the pool's ring, optionally with another hash. */
export function spreadOf(pool: PoolConfig, key: (i: number) => string, n: number, hash: HashName = pool.hash): Spread {
  const servers = pool.servers.map((s) => ({ name: serverHashName(s.host ?? s.path ?? '', s.port, s.weight, s.name), weight: s.weight }));
  const ring = buildRing({ distribution: pool.distribution, hash, hashTag: pool.hashTag, servers });
  const counts = servers.map(() => 0);
  for (let i = 1; i <= n; i++) {
    const b = Buffer.from(key(i));
    counts[ring.pick(b, 0, b.length)]!++;
  }
  const total = servers.reduce((a, s) => a + s.weight, 0);
  const worst = Math.max(...counts.map((c, i) => Math.abs(c - (n * servers[i]!.weight) / total) / ((n * servers[i]!.weight) / total)));
  return { counts, worst };
}
