// What the sentinel module needs of the controller, and the words they share.
// The controller stays the one deciding component: the sentinel module tells
// it what heartbeats and Sentinel see and asks it to move a server's address;
// the controller changes versions, makes the plan and publishes the events.
// Pure types; must not import sockets or the controller.
import type { Config } from '../config/index.js';
import type { HostPort } from '../topology/plan.js';

export type { HostPort };

export const addressText = (a: HostPort): string => `${a.host}:${a.port}`;
export const sameAddress = (a: HostPort, b: HostPort): boolean => a.host === b.host && a.port === b.port;

/** The controller, as the sentinel module drives it. */
export interface FailoverControl {
  readonly config: Config;
  /** where the server with this ring identity is reached now */
  addressOf(pool: string, identity: string): HostPort | null;
  /** heartbeats' verdict on a server's current master; `eject`: take it out of the ring (no failover possible) */
  serverHealth(pool: string, identity: string, up: boolean, reason: string, eject: boolean): void;
  /**
   * The server now lives at `to` (same identity, so same keys): a new ring
   * version, applied in every serving process before this resolves. False
   * when the server is no longer in the pool.
   */
  moveServer(pool: string, identity: string, to: HostPort, mode: 'local' | 'redis-sentinel' | 'discovered', reason: string): Promise<boolean>;
  /** the replicas that may serve reads for a server (read_from), best first */
  setReadReplicas(pool: string, identity: string, replicas: readonly HostPort[]): void;
}

/** Where the controller hands the failures the proxy's traffic sees in a pool that has `sentinel:`. */
export interface PassiveSignals {
  backendFailed(pool: string, identity: string, reason: string): void;
}
