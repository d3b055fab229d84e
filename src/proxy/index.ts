// The proxy: one listener per pool, each client bound to its pool's runtime.
// Stateless: everything it holds is connections and counters.
import net from 'node:net';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config, PoolConfig } from '../config/index.js';
import type { RespLimits } from '../resp/types.js';
import { PoolRuntime } from './server-pool.js';
import { ClientConn } from './client.js';
import type { ProxyContext } from './context.js';
import { acceptedReadMode } from './socket-read.js';
import { writeMode } from './socket-write.js';

export interface ProxyOptions {
  log: Logger;
  version: string;
  limits?: Partial<RespLimits>;
}

export interface PoolHandle {
  readonly runtime: PoolRuntime;
  readonly server: net.Server;
  readonly ctx: ProxyContext;
  /** where it listens: "host:port" or a socket path */
  readonly address: string;
}

export class Proxy {
  readonly pools: PoolHandle[] = [];
  readonly startedAt = Date.now();
  readonly totals = { connections: 0, commands: 0 };
  readonly #opts: ProxyOptions;

  constructor(opts: ProxyOptions) {
    this.#opts = opts;
  }

  async start(config: Config): Promise<void> {
    for (const pc of config.pools) this.pools.push(await this.#listen(pc));
  }

  async #listen(pc: PoolConfig): Promise<PoolHandle> {
    const log = this.#opts.log.child({ pool: pc.name });
    const runtime = new PoolRuntime(pc, log);
    const clients = new Set<ClientConn>();
    const ctx: ProxyContext = {
      pool: runtime,
      log,
      limits: this.#opts.limits ?? {},
      startedAt: this.startedAt,
      version: this.#opts.version,
      clients,
      totals: this.totals,
      onClientClosed: (c) => {
        clients.delete(c);
        runtime.stats.client_connections--;
      },
    };
    // TCP_NODELAY and keepalive are set on every accepted socket by the server itself.
    const server = net.createServer({ noDelay: true, keepAlive: pc.tcpkeepalive }, (socket) => {
      this.totals.connections++;
      runtime.stats.client_connections++;
      clients.add(new ClientConn(socket, ctx));
    });
    server.on('error', (err) => log.error({ err }, 'listener error'));
    const l = pc.listen;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (l.path !== null) {
        try { fs.unlinkSync(l.path); } catch { /* not there */ }
        server.listen({ path: l.path, backlog: pc.backlog }, () => {
          if (l.mode !== null) fs.chmodSync(l.path!, l.mode);
          resolve();
        });
      } else {
        server.listen({ host: l.host ?? '0.0.0.0', port: l.port, backlog: pc.backlog }, () => resolve());
      }
    });
    const a = server.address();
    const address = typeof a === 'string' ? a : a ? `${a.address}:${a.port}` : '?';
    log.info({ listen: address, servers: pc.servers.length, distribution: pc.distribution, hash: pc.hash, reads: acceptedReadMode(), writes: writeMode() }, `pool ${pc.name} listening on ${address}`);
    return { runtime, server, ctx, address };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => new Promise<void>((resolve) => {
      p.server.close(() => resolve());
      for (const c of p.ctx.clients) c.close();
      p.runtime.close();
    })));
  }
}
