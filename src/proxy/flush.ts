// Write batching: connections that have output queue themselves here and are
// flushed together — at the end of the event-loop turn (setImmediate) or right
// after the current socket callback (nextTick) — so what one batch of socket
// reads produced leaves in one write per socket. Must not know about requests
// or replies.

export interface Flushable {
  flush(): void;
}

/** Connections waiting to be flushed by one scheduler; the list is swapped before running. */
class Batch {
  #list: Flushable[] = [];
  #scheduled = false;
  readonly #schedule: (run: () => void) => void;

  constructor(schedule: (run: () => void) => void) {
    this.#schedule = schedule;
  }

  add(f: Flushable): void {
    this.#list.push(f);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#run);
    }
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    const list = this.#list;
    this.#list = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  };
}

const endOfTurn = new Batch(setImmediate);
const afterCallback = new Batch((run) => process.nextTick(run));

/**
 * Queue `f` to be flushed once every socket read of this event-loop turn was
 * handled (setImmediate): requests from many clients bound for one backend
 * leave in one write. Callers keep their own "already queued" flag.
 */
export function scheduleFlush(f: Flushable): void {
  endOfTurn.add(f);
}

/**
 * Queue `f` to be flushed right after the current socket callback
 * (process.nextTick): everything one backend read produced for a client leaves
 * in one write, without waiting for the rest of the turn. For client replies.
 */
export function scheduleFlushSoon(f: Flushable): void {
  afterCallback.add(f);
}
