// Point-in-time snapshots written in slices while the server keeps serving
// (BGSAVE, AOF rewrite, replication full sync). Owns the keyspace's
// copy-on-write hook: several jobs may run at once, the hub fans the hook out.
// Writes no files itself: a job hands encoded chunks to a sink.
//
// How a job stays consistent: it starts synchronously (no command can run in
// between), then walks keyspace.entries() a slice at a time. When the core says
// a key is about to change, the job writes that key's old state first (or, if
// the key did not exist at the start, remembers to skip it) and marks the key
// done, so the walk skips it later. Every key is written at most once, with the
// value it had when the job started.
import type { KeyspaceSnapshotSource } from '../contracts.js';
import { SnapshotEncoder } from './snapshot-format.js';

type Hook = (key: string, oldPayload: Buffer | null, oldExpiresAtMs: number) => void;

const hubs = new WeakMap<KeyspaceSnapshotSource, CowHub>();

/** The one hub of a keyspace (persistence and replication share it). */
export function hubFor(keyspace: KeyspaceSnapshotSource): CowHub {
  let h = hubs.get(keyspace);
  if (!h) { h = new CowHub(keyspace); hubs.set(keyspace, h); }
  return h;
}

/** Shares the single setBeforeWriteHook of the keyspace among running jobs. */
export class CowHub {
  readonly #keyspace: KeyspaceSnapshotSource;
  readonly #hooks = new Set<Hook>();
  readonly #dispatch: Hook = (k, p, e) => { for (const h of this.#hooks) h(k, p, e); };

  constructor(keyspace: KeyspaceSnapshotSource) { this.#keyspace = keyspace; }

  get active(): number { return this.#hooks.size; }

  add(hook: Hook): () => void {
    this.#hooks.add(hook);
    // (re)install: a core that reports only the first change per key per install starts afresh, jobs dedupe
    this.#keyspace.setBeforeWriteHook(this.#dispatch);
    return () => {
      if (!this.#hooks.delete(hook)) return;
      if (this.#hooks.size === 0) this.#keyspace.setBeforeWriteHook(null);
    };
  }
}

export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

export interface SnapshotJobOptions {
  aux?: Record<string, string>;
  /** at most this many keys per slice before yielding to the event loop */
  sliceKeys?: number;
  /** and at most about this many milliseconds per slice */
  sliceMs?: number;
  /** bytes gathered before handing a chunk to the sink */
  chunkBytes?: number;
}

export interface SnapshotResult { entries: number; bytes: number; ms: number }

export class SnapshotJob {
  readonly #enc = new SnapshotEncoder();
  readonly #done = new Set<string>();
  #pending: Buffer[] = [];
  #pendingLen = 0;
  readonly #iter: IterableIterator<[string, Buffer, number]>;
  #release: (() => void) | null;
  readonly #sink: ChunkSink;
  readonly #sliceKeys: number;
  readonly #sliceMs: number;
  readonly #chunkBytes: number;
  readonly #t0 = Date.now();
  #cancelled = false;

  /** Starts the point in time now (synchronously); call run() to write it. */
  constructor(keyspace: KeyspaceSnapshotSource, hub: CowHub, sink: ChunkSink, opts: SnapshotJobOptions = {}) {
    this.#sink = sink;
    this.#sliceKeys = opts.sliceKeys ?? 5000;
    this.#sliceMs = opts.sliceMs ?? 10;
    this.#chunkBytes = opts.chunkBytes ?? 256 * 1024;
    this.#push(this.#enc.header());
    for (const [k, v] of Object.entries(opts.aux ?? {})) this.#push(this.#enc.aux(k, v));
    this.#release = hub.add((key, oldPayload, oldExp) => {
      if (this.#done.has(key)) return;
      this.#done.add(key);
      if (oldPayload !== null) this.#push(this.#enc.entry(key, oldPayload, oldExp));
    });
    this.#iter = keyspace.entries();
  }

  /** Stop early (e.g. the replica went away); run() then rejects. */
  cancel(): void {
    this.#cancelled = true;
    this.#unhook();
  }

  async run(): Promise<SnapshotResult> {
    try {
      for (;;) {
        if (this.#cancelled) throw new Error('snapshot cancelled');
        let n = 0;
        let finished = false;
        const sliceEnd = performance.now() + this.#sliceMs;
        while (n < this.#sliceKeys && ((n & 63) !== 63 || performance.now() < sliceEnd)) {
          const r = this.#iter.next();
          if (r.done) { finished = true; break; }
          const [key, payload, exp] = r.value;
          n++;
          if (this.#done.has(key)) continue;
          this.#done.add(key);
          this.#push(this.#enc.entry(key, payload, exp));
        }
        if (finished) {
          this.#unhook();
          this.#push(this.#enc.end());
          await this.#flush();
          return { entries: this.#enc.entries, bytes: this.#enc.size, ms: Date.now() - this.#t0 };
        }
        if (this.#pendingLen >= this.#chunkBytes) await this.#flush();
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.#unhook();
    }
  }

  #unhook(): void {
    if (this.#release) { this.#release(); this.#release = null; }
  }

  #push(b: Buffer): void {
    this.#pending.push(b);
    this.#pendingLen += b.length;
  }

  async #flush(): Promise<void> {
    if (this.#pendingLen === 0) return;
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingLen);
    this.#pending = [];
    this.#pendingLen = 0;
    await this.#sink(chunk);
  }
}

/** Encode the whole keyspace at once (SAVE, tests): blocks the event loop. */
export function encodeSnapshotSync(keyspace: KeyspaceSnapshotSource, aux: Record<string, string> = {}): Buffer[] {
  const enc = new SnapshotEncoder();
  const out = [enc.header()];
  for (const [k, v] of Object.entries(aux)) out.push(enc.aux(k, v));
  for (const [key, payload, exp] of keyspace.entries()) out.push(enc.entry(key, payload, exp));
  out.push(enc.end());
  return out;
}
