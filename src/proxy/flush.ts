// Write batching: connections that have output queue themselves here and are
// flushed together — after the next turn's socket reads (two check phases),
// at the end of this event-loop turn (setImmediate) or right after the
// current socket read's handler — so what a batch of socket reads
// produced leaves in one write per socket. Must not know about requests or
// replies.

import { runAfterRead } from './socket-read.js';

export interface Flushable {
  flush(): void;
}

/**
 * Connections waiting to be flushed by one scheduler. Two lists take turns:
 * the one being run, and the one that collects connections queued meanwhile
 * (no array allocated per turn).
 */
class Batch {
  #list: (Flushable | null)[] = [];
  #length = 0;
  #spare: (Flushable | null)[] = [];
  #scheduled = false;
  readonly #schedule: (run: () => void) => void;

  constructor(schedule: (run: () => void) => void) {
    this.#schedule = schedule;
  }

  add(f: Flushable): void {
    this.#list[this.#length++] = f;
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#run);
    }
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    const list = this.#list;
    const n = this.#length;
    this.#list = this.#spare;
    this.#length = 0;
    this.#spare = list;
    for (let i = 0; i < n; i++) {
      const f = list[i]!;
      list[i] = null;
      f.flush();
    }
  };
}

// An immediate queued while immediates run waits for the next turn, after that turn's poll phase.
// (The hop is made once: an argument to setImmediate would cost an array per turn.)
let hop: (() => void) | null = null;
const nextTurn = new Batch((run) => setImmediate(hop ??= () => setImmediate(run)));
const endOfTurn = new Batch(setImmediate);
// After a socket read's handler: at its end (no object per read); elsewhere a nextTick.
const afterCallback = new Batch((run) => {
  if (!runAfterRead(run)) process.nextTick(run);
});

/**
 * Queue `f` to be flushed at the end of the next event-loop turn: what this
 * turn's reads and the next turn's reads produce leaves in one write (as
 * nutcracker writes a server's queue on the next epoll round). For backend
 * connections, where fewer and fuller writes save the server wake-ups.
 */
export function scheduleFlushNextTurn(f: Flushable): void {
  nextTurn.add(f);
}

/**
 * Queue `f` to be flushed once every socket read of this event-loop turn was
 * handled (setImmediate): requests from many clients bound for one backend
 * leave in one write. Callers keep their own "already queued" flag.
 */
export function scheduleFlush(f: Flushable): void {
  endOfTurn.add(f);
}

/**
 * Queue `f` to be flushed right after the current socket read's handler
 * returns (outside one: process.nextTick): everything one backend read
 * produced for a client leaves in one write, without waiting for the rest of
 * the turn. For client replies.
 */
export function scheduleFlushSoon(f: Flushable): void {
  afterCallback.add(f);
}
