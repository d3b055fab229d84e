// Routing of one request by the command table: arity and auth checks, the
// session's rules (subscribed RESP2 connections, MULTI), then one handler per
// kind — single-key forward, split-and-merge, same-server multi-key, local,
// blocking, transaction, pub/sub, fan-out, SCAN, any-server, or a RESP error. The single-key path is the hot path:
// no argv materialisation, one Req, one ring lookup.
import { lookupCommandBytes, resolveSubcommand, type CommandDef } from '../commands/table.js';
import { errorReplies } from '../errors/replies.js';
import { forwardWhole, replyNoLiveServer } from './forward.js';
import { runLocal } from './local.js';
import { forwardSplit } from './split.js';
import { holdForMoves } from './migrate-on-touch.js';
import { timing } from '../metrics/commands.js';
import { serverOfKeys } from './keys.js';
import { forwardBlocking } from './blocking.js';
import { queueInTransaction, runTransactionCommand } from './transaction.js';
import { forwardPublish, runPubSub } from './pubsub-commands.js';
import { forwardAny, runFanout, runScan } from './fanout.js';
import type { ClientConn } from './client.js';
import { aclAllows } from './acl-check.js';
import { forwardRead } from './read-policy.js';

const NOAUTH = errorReplies.noAuth();

function quoteArg(buf: Buffer, s: number, e: number): string {
  return `'${buf.toString('utf8', s, Math.min(e, s + 128))}'`;
}

export function unknownCommandError(buf: Buffer, argc: number, args: Int32Array): Buffer {
  const name = buf.toString('utf8', args[0], Math.min(args[1], args[0] + 128));
  const rest: string[] = [];
  for (let i = 1; i < argc && rest.join(' ').length < 128; i++) rest.push(quoteArg(buf, args[i * 2], args[i * 2 + 1]));
  return errorReplies.unknownCommand(name, `${rest.join(' ')}${rest.length ? ' ' : ''}`);
}

function arityOk(def: CommandDef, argc: number): boolean {
  const a = def.arity;
  return a >= 0 ? argc === a : argc >= -a;
}

/** `moved`: a held request whose keys' moves are done (key migration): route it without looking again. */
export function routeRequest(client: ClientConn, buf: Buffer, start: number, end: number, argc: number, args: Int32Array, moved = false): void {
  let def = lookupCommandBytes(buf, args[0], args[1]);
  const ctx = client.ctx;
  if (!moved) ctx.totals.commands++;
  if (def === undefined) {
    client.replyLocal(unknownCommandError(buf, argc, args));
    return;
  }
  const name = def.name;
  client.lastCommand = name;
  if (!client.authed && name !== 'auth' && name !== 'hello' && name !== 'quit') {
    client.replyLocal(NOAUTH);
    return;
  }
  if (!arityOk(def, argc)) {
    client.replyLocal(errorReplies.arity(name));
    return;
  }
  if (def.subcommands !== null && def.kind === 'local') {
    // CLIENT, COMMAND: answered here, but a subcommand may be forwarded or refused (its own entry says).
    const sub = argc > 1 ? resolveSubcommand(def, buf.toString('latin1', args[2], args[3]).toLowerCase()) : undefined;
    if (sub !== undefined && sub.kind !== 'local') {
      if (!arityOk(sub, argc)) {
        client.replyLocal(errorReplies.arity(sub.name));
        return;
      }
      def = sub;
    }
  } else if (def.subcommands !== null) {
    const subName = buf.toString('latin1', args[2], args[3]);
    const sub = resolveSubcommand(def, subName.toLowerCase());
    if (sub === undefined) {
      client.replyLocal(errorReplies.unknownSubcommand(subName.slice(0, 128), name));
      return;
    }
    if (!arityOk(sub, argc)) {
      client.replyLocal(errorReplies.arity(sub.name));
      return;
    }
    def = sub;
  }
  if (timing.on) {
    ctx.metrics.requests[def.id]++;
    client.cmd = def.id;
    client.argc = argc;
  } else client.cmd = -1;
  if (client.aclUser !== null && !aclAllows(client, def, buf, argc, args)) return;
  // Subscriptions, a transaction: their rules first (session.ts); a plain client has no session.
  const session = client.session;
  if (session !== null && (session.subscribedRefusal(def, argc > 1 ? buf.subarray(args[2], args[3]) : null)
    || queueInTransaction(client, def, buf, start, end, argc, args))) return;
  // Key migration in progress: a request touching a key that may still be on its previous owner waits for its move.
  if (ctx.pool.migrating && !moved && (def.kind === 'single' || def.kind === 'split' || def.kind === 'same' || def.kind === 'blocking')
    && holdForMoves(client, def, buf, start, end, argc, args)) return;
  switch (def.kind) {
    case 'single': {
      const k = def.firstKey * 2;
      if (!def.write && ctx.pool.config.readFrom !== 'master') forwardRead(client, buf, start, end, args[k], args[k + 1]);
      else forwardTo(client, buf, start, end, args[k], args[k + 1]);
      return;
    }
    case 'split':
      forwardSplit(client, def, buf, start, end, argc, args);
      return;
    case 'same':
      forwardSame(client, def, buf, start, end, argc, args);
      return;
    case 'local':
      client.replyLocal(runLocal(client, name, argvOf(buf, argc, args)));
      return;
    case 'blocking':
      forwardBlocking(client, def, buf, start, end, argc, args);
      return;
    case 'transaction':
      runTransactionCommand(client, def, buf, start, end, argc, args);
      return;
    case 'pubsub':
      runPubSub(client, def, buf, argc, args);
      return;
    case 'publish':
      forwardPublish(client, buf, start, end, args);
      return;
    case 'fanout':
      runFanout(client, def, buf, start, end, argc, args);
      return;
    case 'scan':
      runScan(client, buf, argc, args);
      return;
    case 'any':
      forwardAny(client, buf, start, end);
      return;
    default:
      client.replyLocal(errorReplies.unsupported(def.name.replace('|', ' '), def.reason));
  }
}

function forwardTo(client: ClientConn, buf: Buffer, start: number, end: number, ks: number, ke: number): void {
  const server = client.ctx.pool.route(buf, ks, ke);
  if (server === null) replyNoLiveServer(client);
  else forwardWhole(client, server, buf, start, end);
}

function forwardSame(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const server = serverOfKeys(client, def, buf, argc, args);
  if (server !== null) forwardWhole(client, server, buf, start, end);
}

export function argvOf(buf: Buffer, argc: number, args: Int32Array): Buffer[] {
  const out = new Array<Buffer>(argc);
  for (let i = 0; i < argc; i++) out[i] = buf.subarray(args[i * 2], args[i * 2 + 1]);
  return out;
}
