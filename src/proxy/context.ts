// What a client connection needs from the proxy around it: its pool, the
// logger, protocol limits, and the proxy-wide facts INFO reports.
import type { Logger } from 'pino';
import type { RespLimits } from '../resp/types.js';
import type { PoolRuntime } from './server-pool.js';
import type { ClientConn } from './client.js';
import type { SecurityState } from '../security/users.js';
import type { EventsChannel } from './events-channel.js';
import type { CommandMetrics } from '../metrics/commands.js';

/** Process-wide counters of a serving process (the metrics table's 'proxy' source reads them by name). */
export interface ProxyTotals {
  connections: number;
  commands: number;
  /** failed AUTH / HELLO AUTH attempts */
  auth_failures: number;
  /** connections refused by limits.max_clients or a pool's client_connections */
  rejected_connections: number;
  /** clients closed by limits.idle_timeout */
  idle_closed: number;
}

export interface ProxyContext {
  readonly pool: PoolRuntime;
  readonly log: Logger;
  readonly limits: Partial<RespLimits>;
  readonly startedAt: number;
  readonly version: string;
  /** clients of this pool now connected */
  readonly clients: ReadonlySet<ClientConn>;
  onClientClosed(c: ClientConn): void;
  /** this pool's per-command request metrics (outlive topology swaps) */
  readonly metrics: CommandMetrics;
  /** proxy-wide counters */
  readonly totals: ProxyTotals;
  /** users and their rules, shared by every pool (replaced on reload) */
  readonly security: SecurityState;
  /** the proxy's own `__shardgate__:events` channel */
  readonly events: EventsChannel;
}
