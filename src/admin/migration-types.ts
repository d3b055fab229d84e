// The JSON of the admin API's /migration route (served by the proxy, read by
// `shardgate rebalance`). Types only: one definition both sides build against.

import type { MigrationMode } from '../config/index.js';

export type { MigrationMode };
export type MigrationState = 'idle' | 'running' | 'done' | 'failed';

export interface MigrationPoolStatus {
  mode: MigrationMode;
  state: MigrationState;
  ring_version: number;
  /** earlier ring versions whose keys may not have moved yet */
  prior_versions: number[];
  scanned: number;
  misplaced: number;
  moved: number;
  busy: number;
  missing: number;
  errors: number;
  /** Sum of DBSIZE of the scanned servers when the walk started, or null. */
  total_keys: number | null;
  started_at: string | null;
  finished_at: string | null;
  last_error: string | null;
}

/** GET /migration[?pool=NAME] */
export interface MigrationReport {
  pools: Record<string, MigrationPoolStatus>;
}

/** POST /migration {"pool"?: NAME} answers 202 with this. */
export interface MigrationStartReply {
  started: string[];
}
