// The contracts of the background key walk (walker.ts): what the caller (the
// proxy's migration controller) hands in, and the progress it gets back.
// Types only.
import type { ConnectionOptions } from 'node:tls';

/** One Redis server as the walk sees it: where it is and how to log in. A host starting with '/' is a unix socket path. */
export interface WalkServer {
  /** Unique within the plan; owners are compared by name. */
  name: string;
  host: string;
  port: number;
  auth: { username?: string; password: string } | null;
  db: number;
  /** TLS to the server (node:tls options); null / absent: plaintext */
  tls?: ConnectionOptions | null;
}

export interface WalkPlan {
  pool: string;
  /** Every server to scan: the pool's current servers and any previous ones still reachable. */
  sources: readonly WalkServer[];
  /** The key's owner by the current ring (null: no live owner, the key is left where it is). */
  ownerOf(key: Buffer): WalkServer | null;
  /** Keys moved per second at most; 0 = unlimited. */
  ratePerSec: number;
  /** SCAN COUNT (default 200). */
  scanCount?: number;
  /** MIGRATE timeout, ms (default 5000). */
  migrateTimeoutMs?: number;
}

export type WalkState = 'idle' | 'running' | 'done' | 'failed' | 'stopped';

export interface WalkProgress {
  pool: string;
  state: WalkState;
  /** Keys SCAN returned (a key SCAN returns twice counts twice). */
  scanned: number;
  /** Keys whose owner is another server. */
  misplaced: number;
  /** Keys now on their owner and gone from the source. */
  moved: number;
  /** Keys the owner already had (written there after the ring change): the owner's copy kept, the source's deleted. */
  busy: number;
  /** Misplaced keys gone from the source before they could be moved (deleted or moved by someone else meanwhile). */
  missing: number;
  /** Keys that could not be moved (left on the source); lastError says the latest reason. */
  errors: number;
  /** Of `moved`, keys moved by DUMP / RESTORE / DEL because the source has no MIGRATE: not atomic (docs/operations.md). */
  nonAtomic: number;
  /** Sum of DBSIZE of the sources reached, taken before scanning; null until known. */
  totalKeys: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
}
