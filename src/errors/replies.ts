// The catalogued errors a client can get from the proxy itself (docs/errors.md),
// one constructor each, so every place that says "wrong number of arguments"
// or "unsupported command" says it the same way and carries its code.
// Returns RESP error bytes via toRespError; off the hot path.
import { ShardgateError, toRespError } from './index.js';

const bytes = (e: ShardgateError): Buffer => Buffer.from(toRespError(e));

export const errorReplies = {
  arity: (name: string) => bytes(new ShardgateError('SG_ERR_ARITY', `wrong number of arguments for '${name}' command`)),
  unknownCommand: (name: string, argsPreview: string) =>
    bytes(new ShardgateError('SG_ERR_UNKNOWN_COMMAND', `unknown command '${name}', with args beginning with: ${argsPreview}`)),
  unknownSubcommand: (sub: string, container: string) =>
    bytes(new ShardgateError('SG_ERR_UNKNOWN_COMMAND', `unknown subcommand '${sub}'. Try ${container.toUpperCase()} HELP.`)),
  unsupported: (name: string, reason: string | null) =>
    bytes(new ShardgateError('SG_ERR_UNSUPPORTED', `unsupported command '${name}'${reason ? ` (${reason})` : ''}`)),
  crossSlot: (hashTag: string | null) => bytes(new ShardgateError('SG_ERR_CROSSSLOT',
    `Keys in request don't hash to the same server (use a hash tag${hashTag ? ` like ${hashTag[0]}user1${hashTag[1]}` : ': none is set in this pool'})`,
    'CROSSSLOT')),
  noLiveServer: (pool: string) => bytes(new ShardgateError('SG_ERR_BACKEND_DOWN', `no backend server is live in pool '${pool}'`)),
  backendFailed: (label: string, reason: string) => bytes(new ShardgateError('SG_ERR_BACKEND_CLOSED', `backend ${label} failed: ${reason}`)),
  backendClosedByProxy: (label: string) => bytes(new ShardgateError('SG_ERR_BACKEND_CLOSED', `backend ${label} connection closed by the proxy`)),
  timeout: (label: string) => bytes(new ShardgateError('SG_ERR_TIMEOUT', `timeout: backend ${label} did not reply in time`)),
  badMergeReply: () => bytes(new ShardgateError('SG_ERR_INTERNAL', 'unexpected reply from a backend while merging')),
  noReadReplica: (label: string) => bytes(new ShardgateError('SG_ERR_BACKEND_DOWN', `no replica of server '${label}' is in sync to serve reads (read_from: replica)`)),
  maxClients: () => bytes(new ShardgateError('SG_ERR_MAXCLIENTS', 'max number of clients reached')),
  noAuth: () => bytes(new ShardgateError('SG_ERR_NOAUTH', 'Authentication required.', 'NOAUTH')),
  noPermCommand: (name: string) => bytes(new ShardgateError('SG_ERR_NOPERM', `this user has no permissions to run the '${name}' command`, 'NOPERM')),
  noPermKeys: () => bytes(new ShardgateError('SG_ERR_NOPERM', 'this user has no permissions to access one of the keys used as arguments', 'NOPERM')),
  wrongPass: () => bytes(new ShardgateError('SG_ERR_AUTH', 'invalid username-password pair or user is disabled.', 'WRONGPASS')),
} as const;
