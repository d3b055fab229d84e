// MULTI / EXEC / DISCARD / WATCH / UNWATCH through a sharding proxy: a
// transaction is pinned to one server, the one its first keyed command (or
// WATCH) names, and runs there on a dedicated connection (dedicated.ts) that
// is given back after EXEC / DISCARD. A later command whose keys live on
// another server — or one that cannot run inside a transaction here — is
// refused while queueing, and EXEC then answers -EXECABORT (what Redis does
// for a command refused while queueing, and what Redis Cluster clients expect
// of a cross-slot transaction).
// Must not: route outside a transaction (router.ts does).
import { encodeCommand, encodeError, EMPTY_ARRAY, OK } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { backendFor, replyNoLiveServer } from './forward.js';
import { serverOfKeys } from './keys.js';
import { sessionOf, type ClientSession } from './session.js';
import type { Lease } from './dedicated.js';
import type { CommandDef } from '../commands/table.js';
import type { ClientConn } from './client.js';
import type { TopologyServer } from '../topology/topology.js';

const MULTI = encodeCommand(['MULTI']);
const EXECABORT = encodeError('EXECABORT Transaction discarded because of previous errors.');
/** Keyless commands that may be queued once the transaction has its server (they run there). */
const KEYLESS_QUEUED = new Set(['ping', 'echo', 'time']);

export class Transaction {
  /** between MULTI and EXEC/DISCARD (false: only WATCHing) */
  multi = false;
  /** a command was refused while queueing: EXEC aborts */
  aborted = false;
  server: TopologyServer | null = null;
  lease: Lease | null = null;
}

function fail(client: ClientConn, tx: Transaction, reply: Buffer): void {
  tx.aborted = true;
  client.replyLocal(reply);
}

/** Pin `tx` to `server` (taking a dedicated connection), or check it is the pinned one. False: another server (replied). */
function pin(client: ClientConn, tx: Transaction, server: TopologyServer): boolean {
  if (tx.server !== null) {
    if (tx.server.identity === server.identity) return true;
    const err = errorReplies.crossSlot(client.ctx.pool.config.hashTag);
    if (tx.multi) fail(client, tx, err); else client.replyLocal(err);
    return false;
  }
  tx.server = server;
  tx.lease = sessionOf(client).lease(backendFor(client, server));
  if (tx.multi) tx.lease.sendInternal(MULTI);
  return true;
}

function finish(session: ClientSession, tx: Transaction): void {
  if (session.tx === tx) session.tx = null;
}

/** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
export function runTransactionCommand(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const session = sessionOf(client);
  const tx = session.tx;
  switch (def.name) {
    case 'multi':
      if (tx?.multi) { client.replyLocal(encodeError('ERR MULTI calls can not be nested')); return; }
      {
        const t = tx ?? (session.tx = new Transaction());
        t.multi = true;
        if (t.lease !== null) t.lease.sendInternal(MULTI);
        client.replyLocal(OK);
      }
      return;
    case 'watch': {
      if (tx?.multi) { client.replyLocal(encodeError('ERR WATCH inside MULTI is not allowed')); return; }
      const server = serverOfKeys(client, def, buf, argc, args);
      if (server === null) return;
      const t = tx ?? (session.tx = new Transaction());
      if (!pin(client, t, server)) return;
      t.lease!.send(buf, start, end, false);
      return;
    }
    case 'unwatch':
      if (tx === null || tx.multi) {
        // Inside MULTI, UNWATCH is queued like any command (Redis runs it in EXEC, where it does nothing).
        if (tx === null) client.replyLocal(OK);
        else if (tx.lease !== null) tx.lease.send(buf, start, end, false);
        else fail(client, tx, encodeError('ERR UNWATCH before a keyed command in a transaction cannot be proxied'));
        return;
      }
      if (tx.lease !== null) tx.lease.send(buf, start, end, true); else client.replyLocal(OK);
      finish(session, tx);
      return;
    case 'exec':
    case 'discard': {
      if (tx === null || !tx.multi) { client.replyLocal(encodeError(`ERR ${def.name.toUpperCase()} without MULTI`)); return; }
      finish(session, tx);
      if (def.name === 'exec' && tx.aborted) {
        tx.lease?.close();
        client.replyLocal(EXECABORT);
      } else if (tx.lease !== null) {
        tx.lease.send(buf, start, end, true);
      } else {
        client.replyLocal(def.name === 'exec' ? EMPTY_ARRAY : OK);
      }
      return;
    }
    default:
      client.replyLocal(errorReplies.unsupported(def.name, null));
  }
}

/**
 * A request while the client is in MULTI: queued on the transaction's server
 * (picking it on the first keyed command), or refused (the transaction then
 * aborts). True when it was handled here.
 */
export function queueInTransaction(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): boolean {
  const tx = client.session?.tx;
  if (tx === undefined || tx === null || !tx.multi) return false;
  if (def.kind === 'transaction' || def.name === 'quit' || def.name === 'reset') return false;
  switch (def.kind) {
    case 'single': case 'split': case 'same': case 'blocking': {
      const server = serverOfKeysQuiet(client, tx, def, buf, argc, args);
      if (server === null || !pin(client, tx, server)) return true;
      tx.lease!.send(buf, start, end, false);
      return true;
    }
    default:
      if (tx.lease !== null && KEYLESS_QUEUED.has(def.name)) {
        tx.lease.send(buf, start, end, false);
        return true;
      }
      fail(client, tx, encodeError(`ERR '${def.name.replace('|', ' ')}' cannot be queued in a transaction through the proxy (a transaction runs on one server, picked by its first keyed command)`));
      return true;
  }
}

/** serverOfKeys, with the refusal also aborting the transaction. */
function serverOfKeysQuiet(client: ClientConn, tx: Transaction, def: CommandDef, buf: Buffer, argc: number, args: Int32Array): TopologyServer | null {
  if (client.ctx.pool.liveCount === 0) {
    tx.aborted = true;
    replyNoLiveServer(client);
    return null;
  }
  const server = serverOfKeys(client, def, buf, argc, args);
  if (server === null) tx.aborted = true;
  return server;
}
