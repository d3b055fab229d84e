// The in-process event bus: numbers events, keeps the last N in a bounded
// ring for replay (SSE resume), and hands each one synchronously to the
// subscribers. A subscriber that throws is reported and skipped; it never
// breaks the publisher or the other subscribers. Must not do I/O.
import type { EventInput, ShardgateEvent } from './types.js';

export type EventSubscriber = (event: ShardgateEvent) => void;

export interface EventBusOptions {
  /** How many past events are kept for replay (default 1000). */
  capacity?: number;
  /** Told about a subscriber that threw (default: ignored). */
  onSubscriberError?: (err: unknown, event: ShardgateEvent) => void;
}

/** What a resuming reader gets: the held events after its id, and what it cannot get back. */
export interface Replay {
  events: ShardgateEvent[];
  /** Events after the id that are no longer held (0 = nothing lost). */
  lost: number;
  /**
   * The id is beyond anything this bus has numbered: it came from an earlier
   * run of the process. `events` is then everything held, and `lost` is unknown (0).
   */
  unknownId: boolean;
}

export class EventBus {
  readonly capacity: number;
  #ring: (ShardgateEvent | undefined)[];
  /** Slot of the oldest held event. */
  #head = 0;
  #size = 0;
  #lastId = 0;
  #subscribers: EventSubscriber[] = [];
  #onSubscriberError: (err: unknown, event: ShardgateEvent) => void;

  constructor(opts: EventBusOptions = {}) {
    const capacity = opts.capacity ?? 1000;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event bus capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Array<ShardgateEvent | undefined>(capacity);
    this.#onSubscriberError = opts.onSubscriberError ?? (() => {});
  }

  /** Id of the newest event (0 before the first). */
  get lastId(): number { return this.#lastId; }

  /** Id of the oldest held event, or null when none is held. */
  get oldestId(): number | null { return this.#size === 0 ? null : this.#ring[this.#head]!.id; }

  get subscriberCount(): number { return this.#subscribers.length; }

  /** Numbers and stamps the event, keeps it, and delivers it; returns it as delivered. */
  publish(input: EventInput): ShardgateEvent {
    return this.#deliver({ id: this.#lastId + 1, time: new Date().toISOString(), ...input } as ShardgateEvent);
  }

  /**
   * Re-publishes an event numbered elsewhere (a worker process's bus). The
   * event gets the next id of this bus — one sequence for every reader, so
   * Last-Event-ID resume stays exact — and keeps its original `time`.
   */
  ingest(event: ShardgateEvent): ShardgateEvent {
    return this.#deliver({ ...event, id: this.#lastId + 1 });
  }

  /** Calls `fn` with every later event until the returned function is called. */
  subscribe(fn: EventSubscriber): () => void {
    this.#subscribers = [...this.#subscribers, fn];
    return () => { this.#subscribers = this.#subscribers.filter((s) => s !== fn); };
  }

  /** The held events with an id greater than `id`, oldest first. */
  since(id: number): ShardgateEvent[] {
    const out: ShardgateEvent[] = [];
    for (let i = 0; i < this.#size; i++) {
      const e = this.#ring[(this.#head + i) % this.capacity]!;
      if (e.id > id) out.push(e);
    }
    return out;
  }

  /** `since(id)` plus how many events after `id` were already dropped from the ring. */
  replay(id: number): Replay {
    if (id > this.#lastId) return { events: this.since(0), lost: 0, unknownId: true };
    const oldest = this.oldestId ?? this.#lastId + 1;
    return { events: this.since(id), lost: Math.max(0, oldest - id - 1), unknownId: false };
  }

  /** The newest `n` held events, oldest first. */
  last(n: number): ShardgateEvent[] {
    const count = Math.max(0, Math.min(Math.floor(n), this.#size));
    const out: ShardgateEvent[] = [];
    for (let i = this.#size - count; i < this.#size; i++) out.push(this.#ring[(this.#head + i) % this.capacity]!);
    return out;
  }

  #deliver(event: ShardgateEvent): ShardgateEvent {
    this.#lastId = event.id;
    if (this.#size < this.capacity) {
      this.#ring[(this.#head + this.#size) % this.capacity] = event;
      this.#size++;
    } else {
      this.#ring[this.#head] = event;
      this.#head = (this.#head + 1) % this.capacity;
    }
    // The list is replaced (never mutated) on (un)subscribe, so a subscriber
    // that unsubscribes during delivery does not shift this loop.
    for (const fn of this.#subscribers) {
      try { fn(event); } catch (err) {
        try { this.#onSubscriberError(err, event); } catch { /* the reporter itself failed: nothing left to tell */ }
      }
    }
    return event;
  }
}
