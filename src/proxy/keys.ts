// Where a request's keys are and which one server they all live on: shared by
// every handler that needs all keys on one server (same-server commands,
// blocking commands, transactions) and by key migration. Off the hot path
// (single-key commands read def.firstKey directly).
import { extractKeys, type CommandDef } from '../commands/table.js';
import { encodeError } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { replyNoLiveServer } from './forward.js';
import type { ClientConn } from './client.js';
import type { TopologyServer } from '../topology/topology.js';

/** The argv indexes of a request's keys, by the command table; null when its arguments do not match its key spec. */
export function requestKeys(def: CommandDef, buf: Buffer, argc: number, args: Int32Array): number[] | null {
  if (def.kind === 'single') return [def.firstKey];
  if (def.split !== null) {
    const step = def.split === 'mset' ? 2 : 1;
    const out: number[] = [];
    for (let k = 1; k < argc; k += step) out.push(k);
    return out;
  }
  return extractKeys(def, argc, (i) => buf.toString('utf8', args[i * 2]!, args[i * 2 + 1]!));
}

/**
 * The server every key of the request lives on. Replies the error itself and
 * returns null when the keys cannot be located, there are none, they span
 * servers (CROSSSLOT) or no server is live.
 */
export function serverOfKeys(client: ClientConn, def: CommandDef, buf: Buffer, argc: number, args: Int32Array): TopologyServer | null {
  const keys = requestKeys(def, buf, argc, args);
  if (keys === null || keys.length === 0) {
    client.replyLocal(encodeError(keys === null
      ? `ERR wrong arguments for '${def.name}': cannot locate its keys`
      : `ERR '${def.name}' without keys cannot be routed by a sharding proxy`));
    return null;
  }
  const pool = client.ctx.pool;
  const first = pool.route(buf, args[keys[0]! * 2]!, args[keys[0]! * 2 + 1]!);
  if (first === null) {
    replyNoLiveServer(client);
    return null;
  }
  for (let i = 1; i < keys.length; i++) {
    if (pool.route(buf, args[keys[i]! * 2]!, args[keys[i]! * 2 + 1]!) !== first) {
      client.replyLocal(errorReplies.crossSlot(pool.config.hashTag));
      return null;
    }
  }
  return first;
}
