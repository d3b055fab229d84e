// The proxy's own pub/sub channel `__shardgate__:events`: a client that
// SUBSCRIBEs to it through the proxy gets every event of the control plane
// (failover, ring changes, node health, reloads) as a pub/sub message whose
// payload is the event as JSON — the same object /events streams. Served by
// the proxy's pub/sub (pubsub.ts) as a local channel: it never reaches a
// backend. Owns only the fan-in of events into that channel. Must not:
// decide anything, or forward pub/sub to backends.
import type { ShardgateEvent } from '../events/types.js';
import { setLocalChannel } from './pubsub.js';

export const EVENTS_CHANNEL = '__shardgate__:events';

export class EventsChannel {
  readonly #deliver = new Set<(payload: string) => void>();

  /** Register the channel with the proxy's pub/sub (once per process). */
  constructor() {
    setLocalChannel(EVENTS_CHANNEL, {
      start: (publish) => {
        this.#deliver.add(publish);
        return () => this.#deliver.delete(publish);
      },
    });
  }

  /** Deliver one event to every client of this process subscribed to the channel. */
  publish(e: ShardgateEvent): void {
    if (this.#deliver.size === 0) return;
    const payload = JSON.stringify(e);
    for (const d of this.#deliver) d(payload);
  }
}
