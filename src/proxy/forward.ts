// The two ends every routing path shares: a whole request sent untouched to
// one server (the hot path), and the error when no server of the pool is live.
import { errorReplies } from '../errors/replies.js';
import { takeReq } from './request.js';
import { timing } from '../metrics/commands.js';
import type { ClientConn } from './client.js';
import type { TopologyServer } from '../topology/topology.js';
import type { ServerBackend } from '../topology/registry.js';

/** The server's connections that speak the client's RESP version, so its replies need no conversion. */
export function backendFor(client: ClientConn, server: TopologyServer): ServerBackend {
  return client.resp === 3 ? server.backend3 : server.backend;
}

/** Forward buf[start,end) as it came to `server`, its reply in the client's order. */
export function forwardWhole(client: ClientConn, server: TopologyServer, buf: Buffer, start: number, end: number): void {
  const req = takeReq(client);
  req.cmd = client.cmd;
  req.t0 = timing.now;
  req.argc = client.argc;
  req.via = server;
  client.enqueue(req);
  backendFor(client, server).connFor(client.id).send(req, buf, start, end);
}

export function replyNoLiveServer(client: ClientConn): void {
  const pool = client.ctx.pool;
  pool.stats.forward_error++;
  client.replyLocal(errorReplies.noLiveServer(pool.config.name));
}
