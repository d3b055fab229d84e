// The slow log: requests slower than `threshold_us` (from reading the request
// to reading its reply) kept in a bounded ring, newest first when read, in
// Redis's SLOWLOG reply shape. One per process; the request path only compares
// a latency with the threshold, and builds an entry (strings) only for a slow
// request. The arguments are not kept per request (that would be a copy per
// request): an entry shows the command name and how many arguments followed,
// in the form Redis uses for arguments it leaves out. Must not import sockets.
import { encodeArray, encodeBulk, encodeInteger } from '../resp/encode.js';

export interface SlowEntry {
  readonly id: number;
  /** unix seconds */
  readonly time: number;
  readonly durationUs: number;
  readonly args: readonly string[];
  /** the client, host:port */
  readonly client: string;
  /** where it went: "backend=<label>" (the client-name field of Redis's entry) */
  readonly info: string;
  readonly pool: string;
}

export class SlowLog {
  /** -1 = off; 0 = every request */
  thresholdUs = 10_000;
  maxLen = 128;
  /** oldest first (a slow request is rare: shifting a bounded array is fine here) */
  #entries: SlowEntry[] = [];
  #id = 0;

  configure(thresholdUs: number, maxLen: number): void {
    this.thresholdUs = thresholdUs;
    this.maxLen = maxLen;
    if (this.#entries.length > maxLen) this.#entries.splice(0, this.#entries.length - maxLen);
  }

  /** Whether a request of `ms` milliseconds goes in. */
  isSlow(ms: number): boolean {
    return this.thresholdUs >= 0 && ms * 1000 >= this.thresholdUs;
  }

  add(e: Omit<SlowEntry, 'id' | 'time'>): void {
    if (this.maxLen === 0) return;
    this.#entries.push({ id: this.#id++, time: Math.floor(Date.now() / 1000), ...e });
    if (this.#entries.length > this.maxLen) this.#entries.shift();
  }

  get length(): number {
    return this.#entries.length;
  }

  /** The newest `n` entries (all for n < 0), newest first. */
  get(n = 10): SlowEntry[] {
    const newest = this.#entries.slice().reverse();
    return n < 0 ? newest : newest.slice(0, n);
  }

  reset(): void {
    this.#entries = [];
  }
}

/** The process's slow log (the request path and SLOWLOG read it; the config sets it). */
export const slowlog = new SlowLog();

/** One entry as Redis's SLOWLOG GET shows it: id, time, µs, args, client address, client name. */
export function encodeSlowEntry(e: SlowEntry): Buffer {
  return encodeArray([
    encodeInteger(e.id), encodeInteger(e.time), encodeInteger(e.durationUs),
    encodeArray(e.args.map((a) => encodeBulk(a))), encodeBulk(e.client), encodeBulk(e.info),
  ]);
}
