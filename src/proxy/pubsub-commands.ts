// The pub/sub commands a client sends: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE
// handed to the pool's PubSubHub, PUBSUB introspection answered from it, and
// PUBLISH / SPUBLISH routed by channel name (the server SUBSCRIBE uses).
// Must not: hold subscriber connections (pubsub.ts does).
import { encodeArray, encodeBulk, encodeError, encodeInteger } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { forwardWhole, replyNoLiveServer } from './forward.js';
import { ClientSubs, isLocalChannel, PubSubHub, type SubKind } from './pubsub.js';
import { sessionOf } from './session.js';
import { globToRegExp } from '../commands/glob.js';
import type { CommandDef } from '../commands/table.js';
import type { ClientConn } from './client.js';

const KIND_OF: Record<string, SubKind> = {
  subscribe: 0, unsubscribe: 0, psubscribe: 1, punsubscribe: 1, ssubscribe: 2, sunsubscribe: 2,
};

function names(buf: Buffer, argc: number, args: Int32Array, from: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = from; i < argc; i++) out.push(buf.subarray(args[i * 2]!, args[i * 2 + 1]!));
  return out;
}

export function runPubSub(client: ClientConn, def: CommandDef, buf: Buffer, argc: number, args: Int32Array): void {
  const pool = client.ctx.pool;
  const kind = KIND_OF[def.name];
  if (kind !== undefined) {
    const session = sessionOf(client);
    const subs = (session.subs ??= new ClientSubs());
    const hub = (pool.pubsub ??= new PubSubHub(pool));
    if (def.name.endsWith('unsubscribe') || def.name === 'sunsubscribe') {
      client.replyLocal(hub.unsubscribe(client, subs, kind, argc > 1 ? names(buf, argc, args, 1) : null));
    } else if (!hub.subscribe(client, subs, kind, names(buf, argc, args, 1))) {
      replyNoLiveServer(client);
    }
    return;
  }
  const hub = pool.pubsub;
  const arg = (i: number) => buf.subarray(args[i * 2]!, args[i * 2 + 1]!);
  const listed = (k: SubKind) => {
    const match = argc > 2 ? globToRegExp(arg(2).toString('latin1')) : null;
    const out: Buffer[] = [];
    if (hub !== null) for (const [key, t] of hub.topics(k)) if (match === null || match.test(key)) out.push(encodeBulk(t.name));
    return encodeArray(out);
  };
  const counted = (k: SubKind) => {
    const out: Buffer[] = [];
    for (let i = 2; i < argc; i++) {
      const n = arg(i);
      out.push(encodeBulk(n), encodeInteger(hub?.topics(k).get(n.toString('latin1'))?.clients.size ?? 0));
    }
    return encodeArray(out);
  };
  switch (def.name) {
    case 'pubsub|channels': client.replyLocal(listed(0)); return;
    case 'pubsub|shardchannels': client.replyLocal(listed(2)); return;
    case 'pubsub|numsub': client.replyLocal(counted(0)); return;
    case 'pubsub|shardnumsub': client.replyLocal(counted(2)); return;
    case 'pubsub|numpat': client.replyLocal(encodeInteger(hub?.topics(1).size ?? 0)); return;
    default: client.replyLocal(errorReplies.unsupported(def.name.replace('|', ' '), null));
  }
}

/** PUBLISH / SPUBLISH: to the server the ring picks for the channel, where its subscribers are. */
export function forwardPublish(client: ClientConn, buf: Buffer, start: number, end: number, args: Int32Array): void {
  if (isLocalChannel(buf, args[2]!, args[3]!)) {
    client.replyLocal(encodeError('ERR channels named __shardgate__:* are the proxy\'s own; only the proxy publishes there'));
    return;
  }
  const server = client.ctx.pool.route(buf, args[2]!, args[3]!);
  if (server === null) replyNoLiveServer(client);
  else forwardWhole(client, server, buf, start, end);
}
