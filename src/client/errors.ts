// The errors a shardgate client rejects with: every one a ShardgateError
// (name + stable `code`, catalogued in docs/errors.md), so an application can
// tell a cross-shard request (SG_ERR_CROSSSLOT), an unreachable node
// (SG_ERR_BACKEND_DOWN), a connection lost with the request in flight
// (SG_ERR_BACKEND_CLOSED: a write may or may not have been executed; it is
// never retried), a timeout and a server's own error reply (SG_ERR_REPLY) apart.
// Must not import sockets.
import { ShardgateError } from '../errors/index.js';
import { errorReplies } from '../errors/replies.js';

/** An error reply of a redis-server (`-WRONGTYPE …`), with the server it came from. */
export class ReplyError extends ShardgateError {
  override readonly name = 'ReplyError';
  /** The reply's first word: ERR, WRONGTYPE, MOVED, NOSCRIPT, … */
  readonly redisCode: string;
  /** The server (its name as GET /ring shows it) that answered. */
  readonly server: string;
  constructor(message: string, server: string) {
    const sp = message.indexOf(' ');
    const word = sp < 0 ? message : message.slice(0, sp);
    super('SG_ERR_REPLY', message, word);
    this.redisCode = word;
    this.server = server;
  }
}

/** A node could not be reached or its connection dropped. */
export class NodeError extends ShardgateError {
  override readonly name = 'NodeError';
  /** The server's name, as GET /ring shows it. */
  readonly server: string;
  /** The socket's reason: ECONNREFUSED, ECONNRESET, ETIMEDOUT, ECLOSED, EAUTH, … */
  readonly reason: string;
  constructor(code: 'SG_ERR_BACKEND_DOWN' | 'SG_ERR_BACKEND_CLOSED' | 'SG_ERR_TIMEOUT' | 'SG_ERR_AUTH', server: string, reason: string, message: string) {
    super(code, message);
    this.server = server;
    this.reason = reason;
  }
}

/** A request the client refuses before sending anything, with the proxy's own words. */
export class RequestError extends ShardgateError {
  override readonly name = 'RequestError';
}

/** The proxy's reply bytes (`-PREFIX message\r\n`) as an error with the same code, prefix and text. */
function fromReply(code: ConstructorParameters<typeof ShardgateError>[0], bytes: Buffer): RequestError {
  const line = bytes.toString('utf8', 1, bytes.length - 2);
  const sp = line.indexOf(' ');
  return new RequestError(code, line.slice(sp + 1), line.slice(0, sp));
}

export const requestErrors = {
  crossSlot: (hashTag: string | null) => fromReply('SG_ERR_CROSSSLOT', errorReplies.crossSlot(hashTag)),
  arity: (name: string) => fromReply('SG_ERR_ARITY', errorReplies.arity(name)),
  unknownCommand: (name: string) => new RequestError('SG_ERR_UNKNOWN_COMMAND', `unknown command '${name}'`),
  unsupported: (name: string, reason: string | null) => fromReply('SG_ERR_UNSUPPORTED', errorReplies.unsupported(name, reason)),
  noKeys: (name: string) => new RequestError('SG_ERR_SYNTAX', `'${name}' without keys cannot be routed by a sharding client`),
  noLiveServer: (pool: string) => fromReply('SG_ERR_BACKEND_DOWN', errorReplies.noLiveServer(pool)),
  closed: () => new RequestError('SG_ERR_BACKEND_CLOSED', 'the client was closed (quit)'),
} as const;
