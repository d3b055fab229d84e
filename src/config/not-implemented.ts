// Settings that are named in the docs or in open issues but that nothing acts
// on yet. A file that sets one is refused at load with "not implemented yet",
// naming file, line and key — never accepted and silently ignored (a TLS
// setting that is ignored serves plaintext). As a capability lands, its keys
// move from here into the schema. Must not know anything else of the config.
import type { YNode } from './yaml-tree.js';

interface Pending {
  /** the key under a `shardgate:` section */
  readonly key: string;
  /** what it is for, in the message the user sees */
  readonly what: string;
}

/** Keys of the top-level `shardgate:` section. */
export const PENDING_PROCESS_KEYS: readonly Pending[] = [
  { key: 'tls', what: 'one TLS block for every listener (TLS is set per pool, under <pool>: shardgate: tls:)' },
  { key: 'sentinel', what: 'process-wide Sentinel settings (a pool\'s shardgate.sentinel has heartbeats, failover and the sentinels to follow)' },
];

/**
 * Keys of a pool's `shardgate:` block. None now: `client_auth` was listed here
 * and was dropped rather than built, since users (`shardgate: users:`) and
 * redis_auth cover client passwords; it is an unknown key now (also refused).
 */
export const PENDING_POOL_KEYS: readonly Pending[] = [];

/** The path of the first pending key the file sets, and its message; null when none. */
export function findPendingKey(tree: YNode | null, reserved: string): { path: string[]; message: string } | null {
  if (tree?.kind !== 'map') return null;
  for (const top of tree.entries) {
    const block = top.key === reserved ? top.value : top.value.kind === 'map' ? top.value.entries.find((e) => e.key === reserved)?.value : undefined;
    if (block?.kind !== 'map') continue;
    const table = top.key === reserved ? PENDING_PROCESS_KEYS : PENDING_POOL_KEYS;
    for (const e of block.entries) {
      const p = table.find((x) => x.key === e.key);
      if (p === undefined) continue;
      const path = top.key === reserved ? [reserved, e.key] : [top.key, reserved, e.key];
      return { path, message: `not implemented yet: ${p.what}; remove this key (docs/config.md lists what is built)` };
    }
  }
  return null;
}
