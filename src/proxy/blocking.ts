// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN/MAX,
// BZMPOP, XREAD/XREADGROUP with BLOCK): all keys on one server, sent on a
// dedicated connection for the block's duration so no other client's request
// waits behind it, and given back when the reply arrives. The pool `timeout`
// does not apply there (the command's own timeout does); a client that
// disconnects mid-block closes that connection at once (session.ts), which
// ends the block on the server. XREAD / XREADGROUP without BLOCK are ordinary
// same-server commands on the shared connection.
// Must not: hold a shared (multiplexed) backend connection.
import type { CommandDef } from '../commands/table.js';
import type { ClientConn } from './client.js';
import { backendFor, forwardWhole } from './forward.js';
import { serverOfKeys } from './keys.js';
import { sessionOf } from './session.js';

/** Whether an XREAD / XREADGROUP has a BLOCK option (before STREAMS). */
function streamReadBlocks(buf: Buffer, argc: number, args: Int32Array): boolean {
  for (let i = 1; i < argc; i++) {
    const w = buf.toString('latin1', args[i * 2]!, args[i * 2 + 1]!).toLowerCase();
    if (w === 'streams') return false;
    if (w === 'block') return true;
  }
  return false;
}

export function forwardBlocking(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const server = serverOfKeys(client, def, buf, argc, args);
  if (server === null) return;
  if ((def.name === 'xread' || def.name === 'xreadgroup') && !streamReadBlocks(buf, argc, args)) {
    forwardWhole(client, server, buf, start, end);
    return;
  }
  sessionOf(client).lease(backendFor(client, server)).send(buf, start, end, true);
}
