// The ACL check of one request, for a client authenticated as a configured
// user (client.aclUser !== null): the command (or subcommand) must be in the
// user's rules and every key must match one of its patterns, else -NOPERM —
// before anything reaches a backend. The default user (redis_auth, or no
// auth) never gets here: the hot path pays one field read. Must not route.
import { extractKeys, resolveSubcommand, type CommandDef } from '../commands/table.js';
import { errorReplies } from '../errors/replies.js';
import { keyAllowed } from '../security/acl.js';
import type { ClientConn } from './client.js';

/** Always allowed, as in Redis: a client must be able to (re)authenticate and leave. */
const ALWAYS = new Set(['auth', 'hello', 'quit']);

/** True when the request may go on; otherwise the client has its error reply. */
export function aclAllows(client: ClientConn, def: CommandDef, buf: Buffer, argc: number, args: Int32Array): boolean {
  const user = client.ctx.security.users.get(client.aclUser!);
  if (user === undefined) {
    // the user left the config on a reload: the client must authenticate again
    client.aclUser = null;
    client.authed = false;
    client.replyLocal(errorReplies.noAuth());
    return false;
  }
  const r = user.rules;
  if (r.unrestricted) return true;
  let cmd = def;
  if (cmd.subcommands !== null && argc > 1) cmd = resolveSubcommand(cmd, buf.toString('latin1', args[2], args[3]).toLowerCase()) ?? cmd;
  if (!ALWAYS.has(cmd.name) && !r.commands.has(cmd.name)) {
    client.replyLocal(errorReplies.noPermCommand(cmd.name));
    return false;
  }
  if (r.allKeys || cmd.keySpecs.length === 0) return true;
  const keys = extractKeys(cmd, argc, (i) => buf.toString('utf8', args[i * 2], args[i * 2 + 1]));
  if (keys === null) {
    client.replyLocal(errorReplies.noPermKeys());
    return false;
  }
  for (const k of keys) {
    if (!keyAllowed(r, buf.toString('latin1', args[k * 2], args[k * 2 + 1]))) {
      client.replyLocal(errorReplies.noPermKeys());
      return false;
    }
  }
  return true;
}
