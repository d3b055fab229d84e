// Health of a pool's servers, apart from the ring: which servers are down
// and why. Two inputs. Without `sentinel:` it is the failures the proxy's own
// traffic sees, with Twemproxy's auto-eject semantics: server_failure_limit
// consecutive failures (a reply resets the count) take a server out for
// server_retry_timeout ms, then it is tried again. With `sentinel:` the
// heartbeats decide (src/sentinel/): a server they see down is either ejected
// until they see it answer again (no blind retry), or kept in the ring while
// marked unhealthy (a failover may follow, and ejecting it would move its
// keys). It reports "down" / "up" changes, saying whether the ring changes;
// the caller rebuilds the ring only then. Keyed by ring identity, so a server
// keeps its state when its address changes. Must not: touch sockets or rings.

export interface HealthPolicy {
  readonly autoEject: boolean;
  readonly failureLimit: number;
  readonly retryTimeoutMs: number;
}

export interface ServerHealthState {
  failures: number;
  /** ms timestamp until which the server is out of the ring; 0 = in it */
  downUntil: number;
  lastError: string | null;
  /** ms timestamp of the last time it went down; 0 = never */
  downAt: number;
  /** heartbeats see it down while it stays in the ring */
  unhealthy: boolean;
}

/** `ring`: whether the ring changes (an ejection or a return), or only the server's health. */
export type HealthChange =
  | { kind: 'down'; identity: string; reason: string; ring: boolean }
  | { kind: 'up'; identity: string; reason: string; ring: boolean };

export class PoolHealth {
  #policy: HealthPolicy;
  readonly #servers = new Map<string, ServerHealthState>();

  constructor(policy: HealthPolicy) {
    this.#policy = policy;
  }

  /** A reload changed the policy or the servers: forget servers that left. */
  update(policy: HealthPolicy, identities: readonly string[]): void {
    this.#policy = policy;
    const keep = new Set(identities);
    for (const id of this.#servers.keys()) if (!keep.has(id)) this.#servers.delete(id);
    if (!policy.autoEject) for (const s of this.#servers.values()) { s.downUntil = 0; s.failures = 0; }
  }

  state(identity: string): ServerHealthState {
    let s = this.#servers.get(identity);
    if (s === undefined) this.#servers.set(identity, s = { failures: 0, downUntil: 0, lastError: null, downAt: 0, unhealthy: false });
    return s;
  }

  isDown(identity: string): boolean {
    return (this.#servers.get(identity)?.downUntil ?? 0) !== 0;
  }

  /** Identities out of the ring now. */
  down(): string[] {
    return [...this.#servers].filter(([, s]) => s.downUntil !== 0).map(([id]) => id);
  }

  /** A failure seen on the server's traffic; a change when it is now down. */
  failed(identity: string, reason: string, now: number): HealthChange | null {
    const s = this.state(identity);
    s.lastError = reason;
    s.failures++;
    const p = this.#policy;
    if (!p.autoEject || s.downUntil !== 0 || s.failures < p.failureLimit) return null;
    s.downUntil = now + p.retryTimeoutMs;
    s.downAt = now;
    s.failures = 0;
    return { kind: 'down', identity, reason: `${reason} (${p.failureLimit} consecutive failures; retry in ${p.retryTimeoutMs} ms)`, ring: true };
  }

  /** Identities heartbeats see down that are still in the ring. */
  unhealthy(): string[] {
    return [...this.#servers].filter(([, s]) => s.unhealthy).map(([id]) => id);
  }

  /** Heartbeats see the server down: ejected until they see it answer (`eject`), or kept in the ring as unhealthy. */
  heartbeatDown(identity: string, reason: string, eject: boolean, now: number): HealthChange | null {
    const s = this.state(identity);
    s.lastError = reason;
    if (eject && this.#policy.autoEject) {
      if (s.downUntil === Infinity) return null;
      s.unhealthy = false;
      s.downUntil = Infinity;
      s.downAt = now;
      return { kind: 'down', identity, reason: `${reason} (out of the ring until heartbeats see it answer)`, ring: true };
    }
    if (s.unhealthy || s.downUntil !== 0) return null;
    s.unhealthy = true;
    s.downAt = now;
    return { kind: 'down', identity, reason: `${reason} (kept in the ring: its keys stay where they are)`, ring: false };
  }

  /** Heartbeats see the server answer again (or a failover put a live server behind its identity). */
  heartbeatUp(identity: string, reason: string): HealthChange | null {
    const s = this.#servers.get(identity);
    if (s === undefined) return null;
    s.failures = 0;
    if (s.downUntil !== 0) {
      s.downUntil = 0;
      s.unhealthy = false;
      return { kind: 'up', identity, reason, ring: true };
    }
    if (!s.unhealthy) return null;
    s.unhealthy = false;
    return { kind: 'up', identity, reason, ring: false };
  }

  /** The server answered after failing: its consecutive count starts again. */
  recovered(identity: string): void {
    const s = this.#servers.get(identity);
    if (s !== undefined) s.failures = 0;
  }

  /** Servers whose retry time has come go back in (Twemproxy's retry), as changes. */
  tick(now: number): HealthChange[] {
    const out: HealthChange[] = [];
    for (const [identity, s] of this.#servers) {
      if (s.downUntil !== 0 && s.downUntil <= now) {
        s.downUntil = 0;
        s.failures = 0;
        out.push({ kind: 'up', identity, reason: 'retry timeout passed', ring: true });
      }
    }
    return out;
  }
}
