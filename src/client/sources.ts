// Where a client's ring comes from and how it learns of changes:
// - admin: GET /ring?pool=…, then the /events stream: a `failover` of the
//   pool moves that server's address at once (from the event) and GET /ring
//   is fetched again; a `ring_changed` of the pool fetches GET /ring (which
//   shows each server's current address); while the stream is down, GET /ring is polled
//   and the stream reopened; on reopen the ring is fetched whole, so an event
//   missed while it was down loses nothing.
// - file: the config file (the proxy's own parser); with `watch`, its folder is
//   watched and a changed pool becomes a new ring version.
// Each source calls `apply(description)` with a ring it checked; the client
// decides whether it differs. Must not: route or open Redis connections.
// The config parser (zod, which puts its registry on globalThis) and the file
// watcher (chokidar) are loaded only by a client created from a file.
import { AdminClient, type EventStreamHandle } from '../admin/client.js';
import type { FileWatch } from '../control/file-watch.js';
import type { PoolConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { describeConfigPool, describeRingJson, withAddress, type PoolDescription } from './ring-state.js';

export interface RingSource {
  /** The ring at start. */
  readonly initial: PoolDescription;
  close(): Promise<void>;
}

export interface SourceSignals {
  apply(d: PoolDescription): void;
  /** Something went wrong that the client survives (a bad file, the stream down): for the 'error' event. */
  problem(err: Error): void;
}

function poolOf(pools: readonly PoolConfig[], name: string, file: string): PoolConfig {
  const p = pools.find((x) => x.name === name);
  if (p === undefined) throw new ConfigError(`has no pool '${name}' (pools: ${pools.map((x) => x.name).join(', ')})`, { file, key: 'pool' });
  return p;
}

export async function fileSource(file: string, pool: string, watch: boolean, s: SourceSignals): Promise<RingSource & { pool: PoolConfig }> {
  const { parseConfig, readConfigFile } = await import('../config/index.js');
  const { config, text } = readConfigFile(file);
  const first = poolOf(config.pools, pool, file);
  let version = 1;
  let current = describeConfigPool(first, version);
  let watcher: FileWatch | null = null;
  if (watch) {
    const { watchConfigFile } = await import('../control/file-watch.js');
    watcher = watchConfigFile(file, text, (next, error) => {
      if (next === null) { s.problem(new ConfigError(`cannot read the config file: ${error}`, { file })); return; }
      try {
        const d = describeConfigPool(poolOf(parseConfig(next, file).pools, pool, file), version + 1);
        if (JSON.stringify({ ...d.spec, version: 0 }) === JSON.stringify({ ...current.spec, version: 0 })) return;
        version++;
        current = d;
        s.apply(d);
      } catch (err) {
        s.problem(err as Error);
      }
    });
  }
  return { initial: current, pool: first, close: async () => { await watcher?.close(); } };
}

export interface AdminSourceOptions {
  /** http://host:port of the proxy's admin API */
  url: string;
  pool: string;
  token: string | null;
  /** how often GET /ring is polled while the event stream is down, ms */
  pollMs: number;
}

export async function adminSource(o: AdminSourceOptions, s: SourceSignals): Promise<RingSource> {
  const u = new URL(o.url);
  if (u.protocol !== 'http:') throw new ConfigError(`admin: '${o.url}' must be an http:// URL`, { key: 'admin' });
  const api = new AdminClient(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || 80), o.token);
  const path = `/ring?pool=${encodeURIComponent(o.pool)}`;
  const fetchRing = async () => describeRingJson(await api.getJson(path), o.pool, `the admin API at ${api.address}`);
  const initial = await fetchRing();
  /** the description last applied (a failover event edits it) */
  let current = initial;
  let closed = false;
  let stream: EventStreamHandle | null = null;
  let poll: NodeJS.Timeout | null = null;
  let reopen: NodeJS.Timeout | null = null;
  // Fetches may overlap (an event while a poll is out): only an answer newer than the last applied one counts.
  let asked = 0;
  let applied = 0;
  const refresh = () => {
    const seq = ++asked;
    fetchRing().then((d) => {
      if (closed || seq < applied) return;
      applied = seq;
      current = d;
      s.apply(d);
    }, (err: Error) => { if (!closed) s.problem(err); });
  };
  const startPolling = () => {
    if (poll !== null || closed) return;
    poll = setInterval(refresh, o.pollMs);
    poll.unref();
  };
  const stopPolling = () => { if (poll !== null) clearInterval(poll); poll = null; };
  const open = () => {
    reopen = null;
    if (closed) return;
    stream = api.events('/events?types=ring_changed,failover', {
      onOpen: () => { stopPolling(); refresh(); },
      onMessage: (m) => {
        if (m.event !== 'ring_changed' && m.event !== 'failover') return;
        let e: { pool?: unknown; server?: unknown; new_address?: unknown; ring_version?: unknown };
        try { e = JSON.parse(m.data) as typeof e; } catch { return; }
        if (e.pool !== o.pool) return;
        if (m.event === 'failover' && typeof e.server === 'string' && typeof e.new_address === 'string' && typeof e.ring_version === 'number') {
          // Reroute now, without waiting for GET /ring; answers to fetches sent before this are older, so they are dropped.
          const d = withAddress(current, e.server, e.new_address, e.ring_version);
          if (d !== null) {
            applied = ++asked;
            current = d;
            s.apply(d);
          }
        }
        refresh();
      },
      onEnd: (err) => {
        stream = null;
        if (closed) return;
        if (err) s.problem(err);
        startPolling();
        reopen = setTimeout(open, o.pollMs);
        reopen.unref();
      },
    });
  };
  open();
  return {
    initial,
    close: async () => {
      closed = true;
      stopPolling();
      if (reopen !== null) clearTimeout(reopen);
      (stream as EventStreamHandle | null)?.close();
    },
  };
}
