// The events shardgate publishes about itself (config reloads, ring changes,
// node health, key migration): one payload type per event name, and the
// envelope (id, time) the bus adds. Pure types plus the list of names; must not
// import sockets, config or the bus.
//
// To add an event: add its payload to `EventPayloads` and its name to
// `EVENT_TYPES` (the compiler insists on both).

export type ConfigSource = 'file' | 'sighup' | 'api' | 'start';

export interface ConfigProblem {
  file?: string;
  line?: number;
  key?: string;
  message: string;
}

export interface EventPayloads {
  config_applied: {
    source: ConfigSource;
    /** Config generation after the change. */
    version: number;
    /** Pools whose configuration changed. */
    pools: string[];
    /** What was applied live. */
    live: string[];
    /** What only takes effect after a restart. */
    restart: string[];
  };
  config_rejected: { source: ConfigSource; errors: ConfigProblem[] };
  ring_changed: {
    pool: string;
    old_version: number | null;
    new_version: number;
    added: string[];
    removed: string[];
    /** Server names whose weight or address changed. */
    changed: string[];
    reason: 'config' | 'health' | 'failover';
  };
  pool_added: { pool: string; listen: string };
  pool_removed: { pool: string };
  listener_changed: { pool: string; old: string; new: string };
  node_down: { pool: string; server: string; address: string; reason: string };
  node_up: { pool: string; server: string; address: string };
  /** A server's address changed and its ring identity (so its keys) stayed: a promoted replica, or a master Sentinel reports. */
  failover: {
    pool: string;
    server: string;
    old_address: string;
    new_address: string;
    /** who decided: this proxy ('local'), Redis Sentinel ('redis-sentinel'), or found at start / after another's failover ('discovered') */
    mode: 'local' | 'redis-sentinel' | 'discovered';
    reason: string;
    ring_version: number;
  };
  migration_started: { pool: string; mode: 'lazy' | 'background'; ring_version: number };
  migration_progress: {
    pool: string;
    scanned: number;
    moved: number;
    misplaced: number;
    busy: number;
    missing: number;
    errors: number;
    done: boolean;
  };
  migration_done: { pool: string; moved: number; errors: number; ms: number };
}

export type EventType = keyof EventPayloads;

/** Every event name, for validating filters (`?types=`). */
export const EVENT_TYPES: readonly EventType[] = Object.keys({
  config_applied: true,
  config_rejected: true,
  ring_changed: true,
  pool_added: true,
  pool_removed: true,
  listener_changed: true,
  node_down: true,
  node_up: true,
  failover: true,
  migration_started: true,
  migration_progress: true,
  migration_done: true,
} satisfies Record<EventType, true>) as EventType[];

export function isEventType(name: string): name is EventType {
  return (EVENT_TYPES as readonly string[]).includes(name);
}

/** An event as published: its name and payload, without the envelope. */
export type EventInput = { [T in EventType]: { type: T } & EventPayloads[T] }[EventType];

/** An event as stored and delivered: `id` grows by one per event of this process; `time` is ISO 8601. */
export type ShardgateEvent = { [T in EventType]: { id: number; time: string; type: T } & EventPayloads[T] }[EventType];

/** The event of one given name. */
export type EventOf<T extends EventType> = Extract<ShardgateEvent, { type: T }>;
