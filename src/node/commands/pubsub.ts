// Pub/sub commands of the node. Confirmations and messages are pushes
// (RESP3 ">", RESP2 arrays) written in order with the other replies.
import { NO_REPLY, ReplyError, type Reply } from '../contracts.js';
import { Push, type NodeReply } from '../reply.js';
import { def, type Call, type ClientState, type Cmd } from './types.js';
import { buf, globMatch, lower, str } from './util.js';

const count = (c: ClientState): number => c.subs.size + c.psubs.size;

function sub(c: Call, pattern: boolean): typeof NO_REPLY {
  const reg = pattern ? c.node.patterns : c.node.channels;
  const mine = pattern ? c.client.psubs : c.client.subs;
  for (let i = 1; i < c.argv.length; i++) {
    const ch = str(c.argv[i]!);
    if (!mine.has(ch)) {
      mine.add(ch);
      let s = reg.get(ch);
      if (s === undefined) { s = new Set(); reg.set(ch, s); }
      s.add(c.client);
    }
    c.client.push(new Push([buf(pattern ? 'psubscribe' : 'subscribe'), c.argv[i]!, count(c.client)]));
  }
  return NO_REPLY;
}

function unsub(c: Call, pattern: boolean): typeof NO_REPLY {
  const reg = pattern ? c.node.patterns : c.node.channels;
  const mine = pattern ? c.client.psubs : c.client.subs;
  const kind = buf(pattern ? 'punsubscribe' : 'unsubscribe');
  const targets = c.argv.length > 1 ? c.argv.slice(1).map(str) : [...mine];
  if (targets.length === 0) { c.client.push(new Push([kind, null, count(c.client)])); return NO_REPLY; }
  for (const ch of targets) {
    if (mine.delete(ch)) {
      const s = reg.get(ch);
      if (s) { s.delete(c.client); if (s.size === 0) reg.delete(ch); }
    }
    c.client.push(new Push([kind, buf(ch), count(c.client)]));
  }
  return NO_REPLY;
}

function pubsub(c: Call): NodeReply {
  const sub = lower(c.argv[1]!);
  if (sub === 'channels' && c.argv.length <= 3) {
    const p = c.argv.length === 3 ? str(c.argv[2]!) : null;
    return [...c.node.channels.keys()].filter((ch) => p === null || globMatch(p, ch)).map(buf);
  }
  if (sub === 'numsub') {
    const out: Reply[] = [];
    for (let i = 2; i < c.argv.length; i++) out.push(c.argv[i]!, c.node.channels.get(str(c.argv[i]!))?.size ?? 0);
    return out;
  }
  if (sub === 'numpat' && c.argv.length === 2) return c.node.patterns.size;
  return errUnknownSub('pubsub', str(c.argv[1]!));
}

export function errUnknownSub(cmd: string, sub: string): ReplyError {
  return new ReplyError(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${cmd.toUpperCase()} HELP.`);
}

export function pubsubCommands(): Cmd[] {
  const none: [number, number, number] = [0, 0, 0];
  const P = ['pubsub', 'noscript', 'loading', 'stale'] as const;
  return [
    def('subscribe', -2, P, none, (c) => sub(c, false)),
    def('psubscribe', -2, P, none, (c) => sub(c, true)),
    def('unsubscribe', -1, P, none, (c) => unsub(c, false)),
    def('punsubscribe', -1, P, none, (c) => unsub(c, true)),
    def('publish', 3, ['pubsub', 'loading', 'stale', 'fast'], none, (c) => c.node.publish(c.argv[1]!, c.argv[2]!)),
    def('pubsub', -2, ['pubsub', 'loading', 'stale'], none, pubsub),
  ];
}
