// What the deciding process (the controller) sends to every process that
// serves clients: the config in force and, per pool, its ring version, the
// servers health has out of the ring, the earlier rings that migration
// still consults, and failover's state (where a server lives now, which are
// unhealthy, which replicas serve reads). Plain data (it crosses process boundaries as JSON).
import type { Distribution, HashName } from '../config/index.js';

export interface RingSpec {
  readonly version: number;
  readonly distribution: Distribution;
  readonly hash: HashName;
  readonly hashTag: string | null;
  readonly servers: readonly { identity: string; label: string; weight: number; host: string | null; port: number; path: string | null }[];
}

export interface HostPort { readonly host: string; readonly port: number }

export interface PoolPlan {
  readonly version: number;
  readonly down: readonly string[];
  /** newest first */
  readonly prior: readonly RingSpec[];
  /** failover: identity -> where that server is now (its config address when absent); its keys stay */
  readonly addresses?: Readonly<Record<string, HostPort>>;
  /** identities the heartbeats see down that stay in the ring (a failover may follow; ejection is off) */
  readonly unhealthy?: readonly string[];
  /** identity -> its replicas that serve reads now (read_from), best first */
  readonly readReplicas?: Readonly<Record<string, readonly HostPort[]>>;
}

export interface DataplanePlan {
  /** increases with every plan the controller makes */
  readonly generation: number;
  /** the config file's text, as read (workers parse it themselves) */
  readonly text: string;
  readonly file: string | null;
  readonly pools: Readonly<Record<string, PoolPlan>>;
}
