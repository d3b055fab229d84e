// Per-command request metrics of one pool, kept for the request path: plain
// typed arrays indexed by the command table's small integer id (CommandDef.id),
// preallocated once per pool, so counting a request, its latency bucket and
// its hit or miss allocates nothing and builds no label. The exposition
// (exposition.ts) turns them into labelled series when scraped.
//
// Time: `timing.now` is one performance.now() per socket read (client and
// backend reads stamp it), not one per request: a request's start is the
// stamp of the read that brought it, its end the stamp of the read that
// brought its reply — what a pipeline of 100 requests costs is two clock
// reads, not 200.
//
// Written this way on purpose (hot path): no Map, no object per request.
// Must not: import sockets, the proxy or prom-client.
import { allCommands, commandCount, type CommandDef } from '../commands/table.js';
import { LATENCY_BUCKETS } from './table.js';

/** The metrics switch (`shardgate: metrics: enabled`) and the coarse clock, in ms. */
export const timing = { on: true, now: 0 };

/** A socket read happened: stamp the clock (nothing when metrics are off). */
export function stamp(): void {
  if (timing.on) timing.now = performance.now();
}

const BOUNDS_MS = Float64Array.from(LATENCY_BUCKETS, (s) => s * 1000);
/** buckets per command: the bounds plus +Inf */
export const BUCKET_COUNT = BOUNDS_MS.length + 1;

/** Per id: 0 = the reply says nothing of hits, 1 = one value (nil: a miss), 2 = an array of values. */
const LOOKUP = new Uint8Array(commandCount());
const ids = (d: CommandDef) => {
  LOOKUP[d.id] = d.lookup === 'value' ? 1 : d.lookup === 'values' ? 2 : 0;
  if (d.subcommands !== null) for (const s of d.subcommands.values()) ids(s);
};
for (const d of allCommands()) ids(d);

export class CommandMetrics {
  readonly requests: Float64Array;
  readonly errors: Float64Array;
  readonly hits: Float64Array;
  readonly misses: Float64Array;
  /** latency sum in ms, per id */
  readonly sumMs: Float64Array;
  /** per id, BUCKET_COUNT non-cumulative counts: buckets[id * BUCKET_COUNT + b] */
  readonly buckets: Float64Array;

  constructor(n = commandCount()) {
    this.requests = new Float64Array(n);
    this.errors = new Float64Array(n);
    this.hits = new Float64Array(n);
    this.misses = new Float64Array(n);
    this.sumMs = new Float64Array(n);
    this.buckets = new Float64Array(n * BUCKET_COUNT);
  }

  observe(id: number, ms: number): void {
    this.sumMs[id] += ms;
    let b = 0;
    while (b < BOUNDS_MS.length && ms > BOUNDS_MS[b]!) b++;
    this.buckets[id * BUCKET_COUNT + b]++;
  }

  /**
   * A reply buf[start,end) for a request of command `id` started at `t0`:
   * its latency, and whether it was an error, a hit or a miss. Returns the latency in ms.
   */
  replied(id: number, t0: number, buf: Buffer, start: number, end: number): number {
    const ms = this.timed(id, t0);
    const first = buf[start];
    if (first === 45 /* - */) this.errors[id]++;
    else if (LOOKUP[id] === 1) {
      if (first === 36 /* $ */ && buf[start + 1] === 45) this.misses[id]++;
      else this.hits[id]++;
    } else if (LOOKUP[id] === 2) this.countValues(id, buf, start, end);
    return ms;
  }

  /** A request of command `id` started at `t0` is answered now: its latency in ms. */
  timed(id: number, t0: number): number {
    const d = timing.now - t0;
    const ms = d > 0 ? d : 0;
    this.observe(id, ms);
    return ms;
  }

  /** An array reply of values: each nil element is a miss, each other a hit. */
  countValues(id: number, buf: Buffer, start: number, end: number): void {
    if (buf[start] !== 42 /* * */) return;
    let p = start + 1;
    let n = 0;
    while (p < end && buf[p] !== 13) n = n * 10 + (buf[p++]! - 48);
    p += 2;
    for (let i = 0; i < n && p < end; i++) {
      if (buf[p] !== 36) return; // not a bulk string: not a plain value array
      if (buf[p + 1] === 45) {
        this.misses[id]++;
        p += 5; // $-1\r\n
        continue;
      }
      this.hits[id]++;
      let len = 0;
      p++;
      while (p < end && buf[p] !== 13) len = len * 10 + (buf[p++]! - 48);
      p += 2 + len + 2;
    }
  }
}
