// ACL, answered by the proxy from the configured users: WHOAMI, LIST (rules
// only: passwords and their hashes are never shown), USERS, CAT [category].
// Users live in the config file, so the subcommands that change or save them
// are refused with a RESP error saying so. Must not route.
import { encodeArray, encodeBulk, encodeBulkArray, encodeError } from '../resp/encode.js';
import { ACL_CATEGORIES, commandsInCategory } from '../security/acl.js';
import type { ClientConn } from './client.js';
import { errorReplies } from '../errors/replies.js';
import { clock } from './client-limits.js';

export function aclCommand(c: ClientConn, argv: Buffer[]): Buffer {
  const sub = (argv[1]?.toString('latin1') ?? '').toLowerCase();
  const users = c.ctx.security.users;
  switch (sub) {
    case 'whoami':
      return encodeBulk(c.aclUser ?? 'default');
    case 'users':
      return encodeBulkArray(users.size === 0 || c.ctx.pool.config.redisAuth !== null || users.get('default') !== undefined
        ? [...new Set(['default', ...users.all().map((u) => u.name)])].sort() : users.all().map((u) => u.name).sort());
    case 'list': {
      const lines = users.all().map((u) => `user ${u.name} ${u.rules.enabled ? 'on' : 'off'} ${u.rulesText.trim()}`.trimEnd());
      if (users.get('default') === undefined) lines.unshift('user default on ~* +@all (the pool\'s redis_auth, or no password)');
      return encodeBulkArray(lines);
    }
    case 'cat': {
      if (argv.length === 2) return encodeBulkArray([...ACL_CATEGORIES]);
      const cat = argv[2]!.toString().toLowerCase();
      if (!ACL_CATEGORIES.includes(cat)) return encodeError(`ERR Unknown category '${cat}'`);
      return encodeArray(commandsInCategory(cat).map((n) => encodeBulk(n)));
    }
    default:
      return encodeError(`ERR ACL ${sub.toUpperCase()} is not supported by shardgate: users and their rules live in the config file (shardgate: users:)`);
  }
}

/**
 * A failed AUTH: counted (INFO's auth_failures, shardgate_auth_failures_total)
 * and logged with the user and address, never the password. A guessing crowd
 * must not flood the log: at most AUTH_LOG_PER_SECOND lines a second, then one
 * line saying how many were left out.
 */
export function authFailed(c: ClientConn, user: string | null): Buffer {
  const totals = c.ctx.totals;
  totals.auth_failures++;
  const now = Math.floor(clock.now / 1000);
  if (now !== authLog.second) {
    if (authLog.skipped > 0) c.ctx.log.warn({ skipped: authLog.skipped, failures: totals.auth_failures }, `AUTH failed ${authLog.skipped} more times (not logged one by one)`);
    authLog.second = now;
    authLog.logged = 0;
    authLog.skipped = 0;
  }
  if (authLog.logged < AUTH_LOG_PER_SECOND) {
    authLog.logged++;
    c.ctx.log.warn({ user: user ?? 'default', remote: `${c.peerAddress}:${c.peerPort}`, failures: totals.auth_failures }, 'AUTH failed');
  } else {
    authLog.skipped++;
  }
  return errorReplies.wrongPass();
}

const AUTH_LOG_PER_SECOND = 20;
/** the log budget of failed AUTH lines (process-wide, by the coarse clock's second) */
const authLog = { second: 0, logged: 0, skipped: 0 };
