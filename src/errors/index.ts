// Errors of shardgate: one class with a stable `code` per kind, and the one
// place that maps an error to the RESP error line a client sees.
// Catalogue with every code: docs/errors.md. Must not import sockets or config.

export type ErrorCode =
  | 'SG_ERR_PROTOCOL'        // malformed RESP from a client or backend
  | 'SG_ERR_UNKNOWN_COMMAND' // not a Redis command at all
  | 'SG_ERR_UNSUPPORTED'     // a Redis command the proxy does not forward
  | 'SG_ERR_ARITY'           // wrong number of arguments
  | 'SG_ERR_CROSSSLOT'       // multi-key command whose keys live on several servers
  | 'SG_ERR_BACKEND_DOWN'    // server ejected or unreachable
  | 'SG_ERR_BACKEND_CLOSED'  // backend connection dropped with the request in flight
  | 'SG_ERR_TIMEOUT'         // no reply within the pool's timeout
  | 'SG_ERR_NOAUTH'          // client must AUTH first
  | 'SG_ERR_AUTH'            // bad password
  | 'SG_ERR_NOPERM'          // the user's ACL rules do not allow the command or a key
  | 'SG_ERR_BUSY'            // too many pending requests / bytes
  | 'SG_ERR_CONFIG'          // config file invalid
  | 'SG_ERR_MAXCLIENTS'      // a pool's client_connections limit is reached
  | 'SG_ERR_SYNTAX'          // bad command arguments
  | 'SG_ERR_SNAPSHOT_FORMAT' // built-in node: snapshot file unreadable
  | 'SG_ERR_AOF_FORMAT'      // built-in node: AOF corrupt (not just a torn tail)
  | 'SG_ERR_PERSISTENCE_LOAD' // built-in node: data could not be loaded at start
  | 'SG_ERR_LISTEN'          // a listener could not bind (address invalid, in use, not available)
  | 'SG_ERR_REPLY'           // smart client: a redis-server's own error reply (WRONGTYPE, ERR, …)
  | 'SG_ERR_TLS_REFUSED'     // a TLS client's certificate is missing, does not verify, or is not allowed
  | 'SG_ERR_INTERNAL';       // a bug: should never reach a client

export class ShardgateError extends Error {
  override readonly name: string = 'ShardgateError';
  readonly code: ErrorCode;
  /** The RESP error prefix word (ERR, CROSSSLOT, NOAUTH, WRONGPASS, ...). */
  readonly prefix: string;
  constructor(code: ErrorCode, message: string, prefix = 'ERR') {
    super(message);
    this.code = code;
    this.prefix = prefix;
  }
}

export class ProtocolError extends ShardgateError {
  override readonly name = 'ProtocolError';
  constructor(message: string) { super('SG_ERR_PROTOCOL', `Protocol error: ${message}`); }
}

export class ConfigError extends ShardgateError {
  override readonly name = 'ConfigError';
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly key: string | undefined;
  constructor(message: string, where: { file?: string; line?: number; key?: string } = {}) {
    const loc = [where.file, where.line !== undefined ? `line ${where.line}` : undefined, where.key !== undefined ? `key '${where.key}'` : undefined]
      .filter(Boolean).join(', ');
    super('SG_ERR_CONFIG', loc ? `${loc}: ${message}` : message);
    this.file = where.file;
    this.line = where.line;
    this.key = where.key;
  }
}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

/** Why a listener could not bind, in words (the errno's, or the error's own message). */
export function listenReason(err: NodeJS.ErrnoException): string {
  return LISTEN_REASONS[err.code ?? ''] ?? err.message;
}

/** A listener could not bind: the message names what listens (pool, admin API) and the address. */
export class ListenError extends ShardgateError {
  override readonly name = 'ListenError';
  constructor(what: string, address: string, cause: NodeJS.ErrnoException) {
    super('SG_ERR_LISTEN', `${what}: cannot listen on ${address}: ${listenReason(cause)}`);
  }
}

/** The RESP error line (with "-" and CRLF) for any error; unknown errors never leak a stack. */
export function toRespError(err: unknown): string {
  if (err instanceof ShardgateError) return `-${err.prefix} ${oneLine(err.message)}\r\n`;
  return `-ERR internal error\r\n`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
