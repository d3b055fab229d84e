// The proxy's data plane in one process: a listener per pool, each client
// bound to its pool's runtime, and `apply(plan)` — the one way the running
// proxy changes. A plan brings a config and, per pool, a ring version, the
// servers that are down and the rings migration still consults; applying it
// builds every new topology completely, then swaps each in by one reference.
// Pools that appear get a listener; pools that go stop accepting and their
// clients are closed once their replies are written; a pool whose listen
// address changes opens the new listener before it closes the old one (its
// clients stay). Stateless: everything it holds is connections and counters.
// Must not: decide health or versions (the controller does), read files.
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config, ListenConfig, PoolConfig } from '../config/index.js';
import type { RespLimits } from '../resp/types.js';
import { ListenError, ShardgateError, toRespError } from '../errors/index.js';
import { listenerShape, listenerTlsOptions, refuseReason } from '../security/tls-listener.js';
import { UserTable, type SecurityState } from '../security/users.js';
import { errorReplies } from '../errors/replies.js';
import { PoolRuntime, type ControlLink } from './server-pool.js';
import { ClientConn } from './client.js';
import type { ProxyContext, ProxyTotals } from './context.js';
import { ClientLimiter } from './client-limits.js';
import { acceptedReadMode } from './socket-read.js';
import { writeMode } from './socket-write.js';
import { BackendRegistry, type BackendSignals } from '../topology/registry.js';
import { CounterStore } from '../topology/counters.js';
import { buildTopology, failoverKeyOf, releaseTopology, type PoolTopology } from '../topology/topology.js';
import type { DataplanePlan, PoolPlan } from '../topology/plan.js';
import { EventsChannel } from './events-channel.js';
import { timing } from '../metrics/commands.js';
import { slowlog } from '../metrics/slowlog.js';

export interface ProxyOptions {
  log: Logger;
  version: string;
  limits?: Partial<RespLimits>;
  /** where backend failures are reported */
  control: ControlLink;
  /**
   * Whether this process counts ejections (server_ejects, server_ejected_at):
   * under -w N only one worker does, so the summed stats count each once.
   */
  countsEjections?: boolean;
}

export interface PoolHandle {
  readonly runtime: PoolRuntime;
  readonly ctx: ProxyContext;
  /** null for a pool being removed (its clients are finishing) */
  server: net.Server | null;
  /** where it listens: "host:port" or a socket path */
  address: string;
  listen: ListenConfig;
}

/** What applying a plan did; errors are per pool and leave that pool as it was. */
export interface ApplyOutcome {
  readonly generation: number;
  readonly errors: string[];
}

/** ms a TLS client has to finish its handshake (a crowd of slow handshakes must not hold sockets for long) */
const TLS_HANDSHAKE_MS = 10_000;

const NO_PLAN: PoolPlan = { version: 1, down: [], prior: [] };

function sameListen(a: ListenConfig, b: ListenConfig): boolean {
  return a.host === b.host && a.port === b.port && a.path === b.path && a.mode === b.mode;
}

export class Proxy {
  readonly #handles = new Map<string, PoolHandle>();
  /** pools removed by a reload whose clients are still being answered */
  readonly #leaving = new Set<PoolHandle>();
  readonly startedAt = Date.now();
  readonly totals: ProxyTotals = { connections: 0, commands: 0, auth_failures: 0, rejected_connections: 0, idle_closed: 0 };
  readonly registry = new BackendRegistry();
  readonly counters = new CounterStore();
  /** `SUBSCRIBE __shardgate__:events` clients of this process; fed with the control plane's events */
  readonly events = new EventsChannel();
  readonly #opts: ProxyOptions;
  #generation = 0;
  #config: Config | null = null;
  readonly #security: SecurityState = { users: new UserTable([]) };
  /** limits.max_clients and limits.idle_timeout over every pool's clients */
  readonly #clientLimits = new ClientLimiter(
    () => [...this.#handles.values(), ...this.#leaving].map((h) => h.ctx.clients),
    this.totals,
    (c, idleMs) => c.ctx.log.debug({ remote: `${c.peerAddress}:${c.peerPort}`, idle_s: Math.floor(idleMs / 1000) }, 'client closed: idle past limits.idle_timeout'),
  );
  /** what every client's scanner is built with: the options', then the config's `limits:` (new clients see a reload's) */
  readonly #limits: Partial<RespLimits> = {};

  constructor(opts: ProxyOptions) {
    this.#opts = opts;
  }

  get pools(): PoolHandle[] {
    return [...this.#handles.values()];
  }

  get generation(): number {
    return this.#generation;
  }

  get config(): Config | null {
    return this.#config;
  }

  /** Start with a config and no plan of a controller (every pool at version 1, all servers up). */
  async start(config: Config): Promise<void> {
    const outcome = await this.apply(config, { generation: 1, text: '', file: config.file, pools: {} });
    if (outcome.errors.length > 0) throw new Error(outcome.errors.join('; '));
  }

  /**
   * Apply a plan. At start (no pool yet) a listener that cannot bind is thrown
   * (ListenError) after closing what opened; later it is reported in the outcome.
   */
  async apply(config: Config, plan: DataplanePlan): Promise<ApplyOutcome> {
    const first = this.#generation === 0;
    const errors: string[] = [];
    const l = config.shardgate.limits;
    Object.assign(this.#limits, this.#opts.limits ?? {}, { maxRequestBytes: l.maxRequestBytes, maxArgs: l.maxArgs, maxBulkLength: l.maxBulkBytes });
    this.#clientLimits.maxClients = l.maxClients;
    this.#clientLimits.idleTimeoutMs = l.idleTimeout * 1000;
    if (JSON.stringify(this.#config?.shardgate.users ?? []) !== JSON.stringify(config.shardgate.users)) {
      this.#security.users = new UserTable(config.shardgate.users);
    }
    const obs = config.shardgate;
    timing.on = obs.metrics.enabled;
    slowlog.configure(obs.slowlog.thresholdUs, obs.slowlog.maxLen);
    for (const pc of config.pools) {
      const pp = plan.pools[pc.name] ?? NO_PLAN;
      const h = this.#handles.get(pc.name);
      try {
        if (h === undefined) this.#handles.set(pc.name, await this.#addPool(pc, pp));
        else await this.#updatePool(h, pc, pp);
      } catch (err) {
        if (first) {
          await this.close();
          throw err;
        }
        errors.push((err as Error).message);
      }
    }
    const names = new Set(config.pools.map((p) => p.name));
    for (const [name, h] of this.#handles) if (!names.has(name)) this.#removePool(name, h);
    this.#generation = plan.generation;
    this.#config = config;
    return { generation: plan.generation, errors };
  }

  #build(pc: PoolConfig, pp: PoolPlan, signals: BackendSignals): PoolTopology {
    return buildTopology({
      config: pc, version: pp.version, down: new Set(pp.down), prior: pp.prior, failover: pp, registry: this.registry, counters: this.counters, signals,
    });
  }

  async #addPool(pc: PoolConfig, pp: PoolPlan): Promise<PoolHandle> {
    const log = this.#opts.log.child({ pool: pc.name });
    // The runtime is its backends' signal sink, and it is made from its first topology: a late binding.
    let runtime: PoolRuntime | null = null;
    const topology = this.#build(pc, pp, {
      backendFailed: (identity, label, kind, reason, failed) => runtime?.backendFailed(identity, label, kind, reason, failed),
      backendRecovered: (identity, label) => runtime?.backendRecovered(identity, label),
      backendNotServing: (identity, label, reason) => runtime?.backendNotServing(identity, label, reason),
    });
    runtime = new PoolRuntime(topology, this.counters.pool(pc.name), this.#opts.control, log);
    const clients = new Set<ClientConn>();
    const ctx: ProxyContext = {
      pool: runtime,
      log,
      limits: this.#limits,
      startedAt: this.startedAt,
      version: this.#opts.version,
      clients,
      metrics: this.counters.commands(pc.name),
      totals: this.totals,
      security: this.#security,
      events: this.events,
      onClientClosed: (c) => {
        clients.delete(c);
        runtime.stats.client_connections--;
        this.#clientLimits.connected--;
        this.#maybeGone();
      },
    };
    const handle: PoolHandle = { runtime, ctx, server: null, address: '', listen: pc.listen };
    try {
      const { server, address } = await this.#listen(pc, handle);
      handle.server = server;
      handle.address = address;
    } catch (err) {
      releaseTopology(topology, this.registry);
      throw err;
    }
    log.info({ listen: handle.address, servers: pc.servers.length, distribution: pc.distribution, hash: pc.hash,
      reads: pc.tls === null ? acceptedReadMode() : 'data', writes: writeMode(), tls: pc.tls === null ? 'off' : `client_certs ${pc.tls.clientCerts}` },
      `pool ${pc.name} listening on ${handle.address}${pc.tls === null ? '' : ' (TLS)'}`);
    return handle;
  }

  async #updatePool(h: PoolHandle, pc: PoolConfig, pp: PoolPlan): Promise<void> {
    const wasTls = h.server instanceof tls.Server;
    if (listenerShape(h.runtime.config.tls) !== listenerShape(pc.tls) && sameListen(h.listen, pc.listen)) {
      // Plaintext <-> TLS, or another client_certs, on the same address: the old listener must go first (its clients stay).
      h.server?.close();
      const { server, address } = await this.#listen(pc, h);
      h.server = server;
      h.address = address;
      h.runtime.log.info(`pool ${pc.name} now listens on ${address} with TLS ${pc.tls === null ? 'off' : `on (client_certs ${pc.tls.clientCerts})`} (connected clients stay)`);
    } else if (wasTls && pc.tls !== null && sameListen(h.listen, pc.listen)) {
      // Certificates and keys are re-read on every reload; established connections keep theirs.
      (h.server as tls.Server).setSecureContext(listenerTlsOptions(pc.tls));
    }
    if (!sameListen(h.listen, pc.listen)) {
      // The new listener first: a failure leaves the pool as it was.
      const { server, address } = await this.#listen(pc, h);
      const old = h.server;
      const oldAddress = h.address;
      h.server = server;
      h.address = address;
      h.listen = pc.listen;
      old?.close();
      h.runtime.log.info({ old: oldAddress, listen: address }, `pool ${pc.name} now listens on ${address} (clients of ${oldAddress} stay connected)`);
    }
    const t = h.runtime.topology;
    if (this.#opts.countsEjections !== false) {
      const now = Math.floor(Date.now() / 1000);
      for (const s of t.servers) {
        if (s.live && pp.down.includes(s.identity)) {
          h.runtime.stats.server_ejects++;
          s.backend.counters.server_ejected_at = now;
        }
      }
    }
    if (t.version === pp.version && sameDown(t, pp) && samePrior(t, pp) && t.failoverKey === failoverKeyOf(pp) && JSON.stringify(t.config) === JSON.stringify(pc)) return;
    releaseTopology(h.runtime.swap(this.#build(pc, pp, h.runtime)), this.registry);
  }

  #removePool(name: string, h: PoolHandle): void {
    this.#handles.delete(name);
    h.server?.close();
    h.server = null;
    this.#leaving.add(h);
    h.runtime.log.info(`pool ${name} removed: no new clients; its ${h.ctx.clients.size} clients are closed once answered`);
    for (const c of h.ctx.clients) c.closeAfterReplies();
    this.#maybeGone();
  }

  /** A removed pool whose last client left gives its backends back. */
  #maybeGone(): void {
    for (const h of this.#leaving) {
      if (h.ctx.clients.size > 0) continue;
      this.#leaving.delete(h);
      releaseTopology(h.runtime.topology, this.registry);
    }
  }

  #listen(pc: PoolConfig, h: PoolHandle): Promise<{ server: net.Server; address: string }> {
    const server = pc.tls === null ? net.createServer({ noDelay: true }, (socket) => this.#accept(h, socket)) : this.#tlsServer(pc, h);
    const l = pc.listen;
    const shown = l.path ?? `${l.host}:${l.port}`;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new ListenError(`pool '${pc.name}'`, shown, err as NodeJS.ErrnoException)));
      const listening = () => {
        server.removeAllListeners('error');
        server.on('error', (err) => h.runtime.log.error({ err }, 'listener error'));
        const a = server.address();
        resolve({ server, address: typeof a === 'string' ? a : a ? `${a.address}:${a.port}` : '?' });
      };
      if (l.path !== null) {
        try { fs.unlinkSync(l.path); } catch { /* not there */ }
        server.listen({ path: l.path, backlog: pc.backlog }, () => {
          if (l.mode !== null) fs.chmodSync(l.path!, l.mode);
          listening();
        });
      } else {
        server.listen({ host: l.host ?? '0.0.0.0', port: l.port, backlog: pc.backlog }, listening);
      }
    });
  }

  /** A TLS listener: a client is accepted once its handshake is done and its certificate (if asked for) passes. */
  #tlsServer(pc: PoolConfig, h: PoolHandle): tls.Server {
    const server = tls.createServer({ ...listenerTlsOptions(pc.tls!), noDelay: true, handshakeTimeout: TLS_HANDSHAKE_MS }, (socket) => {
      const t = h.runtime.config.tls;
      const why = t === null ? null : refuseReason(socket, t);
      if (why === null) return this.#accept(h, socket);
      h.runtime.log.warn({ remote: socket.remoteAddress }, `TLS client refused: ${why}`);
      h.runtime.stats.client_err++;
      socket.on('error', () => { /* closing anyway */ });
      socket.end(toRespError(new ShardgateError('SG_ERR_TLS_REFUSED', `TLS client refused: ${why}`)));
    });
    // A failed handshake (plaintext on a TLS port, no or a bad certificate under 'require', the deadline).
    // node:tls closes the socket on a protocol error, but not on its own handshake timeout
    // (ERR_TLS_HANDSHAKE_TIMEOUT is only reported here): the destroy() is what enforces the deadline.
    server.on('tlsClientError', (err, socket) => {
      socket.destroy();
      h.runtime.stats.client_err++;
      h.runtime.log.debug({ remote: socket.remoteAddress, reason: err.message }, 'TLS handshake failed');
    });
    return server;
  }

  #accept(h: PoolHandle, socket: net.Socket): void {
    const pc = h.runtime.config;
    const poolFull = pc.clientConnections > 0 && h.ctx.clients.size >= pc.clientConnections;
    if (poolFull || !this.#clientLimits.admit()) {
      if (poolFull) this.totals.rejected_connections++;
      socket.on('error', () => { /* closing anyway */ });
      socket.end(errorReplies.maxClients());
      return;
    }
    if (pc.tcpkeepalive) socket.setKeepAlive(true);
    this.totals.connections++;
    this.#clientLimits.connected++;
    h.runtime.stats.client_connections++;
    (h.ctx.clients as Set<ClientConn>).add(new ClientConn(socket, h.ctx));
  }

  /**
   * Graceful shutdown, first half: stop accepting, read nothing more from any
   * client, and answer everything already read; resolves when every client
   * has been answered and closed, or when `timeoutMs` has passed (then close()).
   */
  async drain(timeoutMs: number): Promise<{ clients: number; left: number }> {
    const all = [...this.#handles.values(), ...this.#leaving];
    // No new connection from here on (close's callback waits for the open ones: not awaited).
    for (const h of all) { h.server?.close(); h.server = null; }
    const clients = () => all.reduce((n, h) => n + h.ctx.clients.size, 0);
    const before = clients();
    for (const h of all) for (const c of h.ctx.clients) c.drain();
    const deadline = Date.now() + timeoutMs;
    while (clients() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return { clients: before, left: clients() };
  }

  async close(): Promise<void> {
    const all = [...this.#handles.values(), ...this.#leaving];
    this.#handles.clear();
    this.#leaving.clear();
    await Promise.all(all.map((h) => new Promise<void>((resolve) => {
      for (const c of h.ctx.clients) c.close();
      if (h.server === null) return resolve();
      h.server.close(() => resolve());
    })));
    this.registry.close();
    this.#clientLimits.close();
  }
}

function sameDown(t: PoolTopology, pp: PoolPlan): boolean {
  const down = t.servers.filter((s) => !s.live).map((s) => s.identity);
  return down.length === pp.down.length && down.every((d) => pp.down.includes(d));
}

function samePrior(t: PoolTopology, pp: PoolPlan): boolean {
  return t.prior.length === pp.prior.length && t.prior.every((p, i) => p.version === pp.prior[i]!.version);
}
