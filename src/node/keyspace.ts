// The keyspace: one Map keyed by latin1 key strings, with O(1) random sampling
// (dense arrays of all keys and of keys with a TTL, swap-remove), lazy and
// active expiry, LRU clock, memory estimate, eviction, and the copy-on-write
// hook for snapshots. Must not know about commands, clients or sockets.
import { T, dumpValue, loadValue, type Value } from './dump.js';
import { ENTRY_OVERHEAD, valueSize } from './memory.js';
import { heldBytes } from './types/owned-string.js';
import type { KeyspaceSnapshotSource } from './contracts.js';

export class Entry {
  idx = -1;
  vidx = -1;
  freq = 0;
  /**
   * A string value the node allocated for this key alone (see types/owned-string.ts): e.v is a
   * view at offset 0 of its own ArrayBuffer, whose spare bytes past e.v.length are capacity, and
   * nothing else (argument slab, write stream, reply) holds it, so it may be written in place.
   * False for every value stored as it arrived (a request argument): copy before mutating.
   */
  own = false;
  constructor(public t: T, public v: Value, public exp: number, public lru: number, public size: number) {}
}

type Hook = (key: string, oldPayload: Buffer | null, oldExpiresAtMs: number) => void;
export type Policy = 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-random' | 'volatile-random' | 'volatile-ttl';

export class Keyspace implements KeyspaceSnapshotSource {
  readonly map = new Map<string, Entry>();
  readonly #all: string[] = [];
  readonly #vol: string[] = [];
  #hook: Hook | null = null;
  /**
   * Keys already announced to the hook since it was (re)installed: it wants each key's old state
   * once (CowHub's contract), so a key written again — SETBIT on a 1 MB bitmap while a snapshot
   * runs — is not serialized again on every write.
   */
  readonly #announced = new Set<string>();
  #pool: { key: string; score: number }[] = [];
  used = 0;
  dirty = 0;
  expiredKeys = 0;
  evictedKeys = 0;
  hits = 0;
  misses = 0;
  /** replicas do not delete expired keys themselves (the master sends DEL) */
  passiveExpiry = false;
  /**
   * While a script runs: the time keys are judged expired at — the script's start, as in Redis
   * 7.0, so no key expires in the middle of a script (0: the clock).
   */
  scriptTime = 0;
  /** called with ['DEL', key] when the keyspace itself deletes (expiry, eviction) */
  onDelete: (argv: Buffer[]) => void = () => {};
  /** called when the whole dataset is dropped (FLUSHALL, full sync, snapshot load) */
  onFlushAll: () => void = () => {};

  get size(): number { return this.map.size; }
  get volatileCount(): number { return this.#vol.length; }

  // ---- lookups ----
  /** Lookup for reading: lazily expires, counts hits/misses, refreshes the LRU clock. */
  read(key: string, now = this.scriptTime || Date.now()): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) { this.misses++; return undefined; }
    if (e.exp !== 0 && e.exp <= now) {
      if (!this.passiveExpiry) this.expire(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    e.lru = now;
    if (e.freq < 255) e.freq++;
    return e;
  }

  /** Lookup for writing: lazily expires; calls the copy-on-write hook (the caller may mutate). */
  write(key: string, now = this.scriptTime || Date.now()): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.exp !== 0 && e.exp <= now) {
      if (!this.passiveExpiry) { this.expire(key); return undefined; }
      return undefined;
    }
    if (this.#hook !== null) this.#announce(key, e);
    e.lru = now;
    return e;
  }

  /** Peek without side effects other than lazy expiry (TYPE, EXISTS use read()). */
  peek(key: string, now = this.scriptTime || Date.now()): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined || (e.exp !== 0 && e.exp <= now)) return undefined;
    return e;
  }

  // ---- mutations ----
  /** Insert or replace a key (the TTL is cleared unless given). */
  set(key: string, t: T, v: Value, exp = 0, now = Date.now()): Entry {
    const old = this.map.get(key);
    const size = ENTRY_OVERHEAD + key.length + valueSize(t, v);
    if (old !== undefined) {
      if (this.#hook !== null) this.#announce(key, old);
      this.used += size - old.size;
      old.t = t; old.v = v; old.size = size; old.lru = now; old.own = false;
      this.setExpire(key, old, exp);
      return old;
    }
    if (this.#hook !== null) this.#announce(key, null);
    const e = new Entry(t, v, 0, now, size);
    this.map.set(key, e);
    e.idx = this.#all.length;
    this.#all.push(key);
    this.used += size;
    if (exp !== 0) this.setExpire(key, e, exp);
    return e;
  }

  /** Replace a string value by one that is not the node's own (the write stream may hold it). */
  replaceString(e: Entry, v: Buffer): void {
    this.grow(e, v.length - heldBytes(e));
    e.v = v; e.own = false;
  }

  /** Size change of a mutated collection or string (bytes, may be negative). */
  grow(e: Entry, delta: number): void { e.size += delta; this.used += delta; }

  setExpire(key: string, e: Entry, exp: number): void {
    if (exp === 0) {
      if (e.vidx >= 0) this.#swapRemove(this.#vol, e.vidx, 'vidx');
      e.vidx = -1;
    } else if (e.vidx < 0) {
      e.vidx = this.#vol.length;
      this.#vol.push(key);
    }
    e.exp = exp;
  }

  delete(key: string): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    if (this.#hook !== null) this.#announce(key, e);
    this.map.delete(key);
    this.#swapRemove(this.#all, e.idx, 'idx');
    if (e.vidx >= 0) this.#swapRemove(this.#vol, e.vidx, 'vidx');
    this.used -= e.size;
    return true;
  }

  rename(from: string, to: string): void {
    const e = this.map.get(from)!;
    this.delete(to);
    this.delete(from);
    const n = this.set(to, e.t, e.v, e.exp);
    n.lru = e.lru;
    if (e.own) { const v = e.v as Buffer; n.own = true; this.grow(n, v.buffer.byteLength - v.length); }
  }

  #swapRemove(arr: string[], i: number, field: 'idx' | 'vidx'): void {
    const last = arr.pop()!;
    if (i < arr.length) {
      arr[i] = last;
      this.map.get(last)![field] = i;
    }
  }

  expire(key: string): void {
    this.delete(key);
    this.expiredKeys++;
    this.dirty++;
    this.onDelete([Buffer.from('DEL'), Buffer.from(key, 'latin1')]);
  }

  // ---- active expiry ----
  /** One cycle of active expiry: sample 20 keys with a TTL, repeat while >25% were expired, within budgetMs. */
  activeExpireCycle(budgetMs = 25): number {
    if (this.passiveExpiry) return 0;
    const start = Date.now();
    let total = 0;
    for (;;) {
      const n = Math.min(20, this.#vol.length);
      if (n === 0) break;
      let expired = 0;
      const now = Date.now();
      for (let i = 0; i < n && this.#vol.length > 0; i++) {
        const key = this.#vol[(Math.random() * this.#vol.length) | 0]!;
        const e = this.map.get(key)!;
        if (e.exp <= now) { this.expire(key); expired++; }
      }
      total += expired;
      if (expired <= n / 4 || Date.now() - start > budgetMs) break;
    }
    return total;
  }

  // ---- eviction ----
  /** Evict until used <= limit; false when nothing more can be evicted. */
  evict(limit: number, policy: Policy, samples: number): boolean {
    while (this.used > limit) {
      if (policy === 'noeviction') return false;
      const volatile = policy.startsWith('volatile');
      const arr = volatile ? this.#vol : this.#all;
      if (arr.length === 0) return false;
      let victim: string | undefined;
      if (policy.endsWith('random')) victim = arr[(Math.random() * arr.length) | 0];
      else victim = this.#fromPool(arr, samples, policy === 'volatile-ttl', volatile);
      if (victim === undefined) return false;
      this.delete(victim);
      this.evictedKeys++;
      this.dirty++;
      this.onDelete([Buffer.from('DEL'), Buffer.from(victim, 'latin1')]);
    }
    return true;
  }

  /** Approximated LRU / TTL: sample keys into a 16-slot pool of the best candidates, take the best still present. */
  #fromPool(arr: string[], samples: number, byTtl: boolean, volatile: boolean): string | undefined {
    const now = Date.now();
    for (let i = 0; i < samples; i++) {
      const key = arr[(Math.random() * arr.length) | 0]!;
      const e = this.map.get(key)!;
      const score = byTtl ? Number.MAX_SAFE_INTEGER - e.exp : now - e.lru;
      if (this.#pool.some((p) => p.key === key)) continue;
      this.#pool.push({ key, score });
    }
    this.#pool.sort((a, b) => a.score - b.score);
    if (this.#pool.length > 16) this.#pool.splice(0, this.#pool.length - 16);
    while (this.#pool.length > 0) {
      const best = this.#pool.pop()!;
      const e = this.map.get(best.key);
      if (e !== undefined && (!volatile || e.exp !== 0)) return best.key;
    }
    return arr[(Math.random() * arr.length) | 0];
  }

  /** A random live key (RANDOMKEY), or null. */
  randomKey(): string | null {
    for (let i = 0; i < 100 && this.#all.length > 0; i++) {
      const k = this.#all[(Math.random() * this.#all.length) | 0]!;
      if (this.peek(k) !== undefined) return k;
    }
    return null;
  }

  // ---- KeyspaceSnapshotSource ----
  *entries(): IterableIterator<[string, Buffer, number]> {
    const now = Date.now();
    for (const [k, e] of this.map) {
      if (e.exp !== 0 && e.exp <= now) continue;
      yield [k, dumpValue(e.t, e.v), e.exp];
    }
  }

  setBeforeWriteHook(hook: Hook | null): void { this.#hook = hook; this.#announced.clear(); }

  #announce(key: string, e: Entry | null): void {
    if (this.#announced.has(key)) return;
    this.#announced.add(key);
    this.#hook!(key, e === null ? null : dumpValue(e.t, e.v), e === null ? 0 : e.exp);
  }

  restore(key: string, payload: Buffer, expiresAtMs: number): void {
    const d = loadValue(payload);
    if (d === null) throw new Error('DUMP payload version or checksum are wrong');
    this.set(key, d.t, d.v, expiresAtMs);
    this.dirty++;
  }

  flushAll(): void {
    if (this.#hook !== null) for (const [k, e] of this.map) this.#announce(k, e);
    this.map.clear();
    this.#all.length = 0;
    this.#vol.length = 0;
    this.#pool = [];
    this.used = 0;
    this.dirty++;
    this.onFlushAll();
  }

  /** Keys in Map order (SCAN cursor = position in this order; stable while unchanged). */
  allKeys(): string[] { return this.#all; }
}
