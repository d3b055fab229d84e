// `read_from: prefer-replica | replica`: a read-only single-key command goes
// to one of its server's replicas that the heartbeats see in sync (the plan's
// read replicas; a client keeps to one replica, so its reads stay in order).
// `prefer-replica` falls back to the master when no replica is readable;
// `replica` answers an error instead. Writes never come here.
// Reads from a replica may miss the latest writes (asynchronous replication).
import { errorReplies } from '../errors/replies.js';
import { forwardWhole, replyNoLiveServer } from './forward.js';
import { takeReq } from './request.js';
import type { ClientConn } from './client.js';

export function forwardRead(client: ClientConn, buf: Buffer, start: number, end: number, ks: number, ke: number): void {
  const pool = client.ctx.pool;
  const server = pool.route(buf, ks, ke);
  if (server === null) {
    replyNoLiveServer(client);
    return;
  }
  const replicas = server.readBackends;
  if (replicas.length > 0) {
    const req = takeReq(client);
    client.enqueue(req);
    replicas[client.id % replicas.length]!.connFor(client.id).send(req, buf, start, end);
  } else if (pool.config.readFrom === 'replica') {
    pool.stats.forward_error++;
    client.replyLocal(errorReplies.noReadReplica(server.label));
  } else {
    forwardWhole(client, server, buf, start, end);
  }
}
