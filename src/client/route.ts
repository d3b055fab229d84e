// Routing of one command by the proxy's own command table over a RingState:
// single-key → its server; MGET / MSET / DEL / UNLINK / EXISTS / TOUCH split
// per server and merged by the proxy's rules (values in key order, OK when
// every part is OK, the sum of counts; the error of the first failing part);
// same-server multi-key commands checked, with the proxy's cross-shard error;
// blocking commands on a dedicated connection for as long as they may block;
// PUBLISH / SPUBLISH to the server of the channel's name. Must not: retry, or keep any
// state between calls (the RingState is passed in).
import { extractKeys, lookupCommand, resolveSubcommand, type CommandDef } from '../commands/table.js';
import type { Arg, RespValue } from '../redis/connection.js';
import { requestErrors } from './errors.js';
import type { RingState } from './ring-state.js';

export type Key = string | Buffer;

const asBuffer = (k: Arg): Buffer => (typeof k === 'string' ? Buffer.from(k, 'utf8') : typeof k === 'number' ? Buffer.from(String(k)) : k);

/** The ring index of a key's server; -1 when no server is live. */
export function indexFor(state: RingState, key: Arg): number {
  const b = asBuffer(key);
  return state.ring.pick(b, 0, b.length);
}

/** Picks the server or throws the proxy's "no backend server is live" error. */
function serverOf(state: RingState, key: Arg): number {
  const i = indexFor(state, key);
  if (i < 0) throw requestErrors.noLiveServer(state.pool);
  return i;
}

/**
 * How long a blocking command may block, in ms (Infinity for a timeout of 0),
 * read where redis-server reads it: the last argument (seconds) of BLPOP,
 * BRPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX; the first of BLMPOP and
 * BZMPOP; XREAD / XREADGROUP's BLOCK option (ms; null without it: not a
 * block). A timeout redis-server will refuse counts as 0 ms (its error comes back at once).
 */
export function blockMsOf(name: string, argv: readonly Arg[]): number | null {
  let ms: number;
  if (name === 'xread' || name === 'xreadgroup') {
    let at = -1;
    for (let i = 1; i < argv.length; i++) {
      const w = text(argv[i]!).toLowerCase();
      if (w === 'streams') break;
      if (w === 'block') { at = i + 1; break; }
    }
    if (at < 0 || at >= argv.length) return null;
    ms = Number(text(argv[at]!));
  } else {
    const seconds = Number(text(argv[name === 'blmpop' || name === 'bzmpop' ? 1 : argv.length - 1]!));
    ms = seconds * 1000;
  }
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return ms === 0 ? Infinity : Math.ceil(ms);
}
/** Answered by the proxy itself and meaningful from any one node. */
const ANY_NODE = new Set(['ping', 'echo', 'time']);

const arityOk = (def: CommandDef, argc: number) => (def.arity >= 0 ? argc === def.arity : argc >= -def.arity);
const text = (a: Arg) => (typeof a === 'string' ? a : String(a instanceof Buffer ? a.toString('utf8') : a));

/** The command's table entry (its subcommand's, for containers), or throws the proxy's error for it. */
export function commandOf(argv: readonly Arg[]): CommandDef {
  if (argv.length === 0) throw requestErrors.unknownCommand('');
  const name = text(argv[0]!).toLowerCase();
  let def = lookupCommand(name);
  if (def === undefined) throw requestErrors.unknownCommand(name);
  if (!arityOk(def, argv.length)) throw requestErrors.arity(def.name);
  if (def.subcommands !== null && def.kind !== 'local') {
    const sub = resolveSubcommand(def, text(argv[1]!).toLowerCase());
    if (sub === undefined) throw requestErrors.unknownCommand(`${name} ${text(argv[1]!)}`);
    if (!arityOk(sub, argv.length)) throw requestErrors.arity(sub.name);
    def = sub;
  }
  return def;
}

/** Sends argv where the proxy would and resolves with the (merged) reply. */
export function dispatch(state: RingState, def: CommandDef, argv: readonly Arg[]): Promise<RespValue> {
  switch (def.kind) {
    case 'single':
      return state.links[serverOf(state, argv[def.firstKey]!)]!.command(argv);
    case 'split':
      return split(state, def, argv);
    case 'same':
      return state.links[sameServer(state, def, argv)]!.command(argv);
    case 'local':
      if (ANY_NODE.has(def.name)) {
        const i = state.servers.findIndex((s) => s.live);
        if (i < 0) throw requestErrors.noLiveServer(state.pool);
        return state.links[i]!.command(argv);
      }
      throw requestErrors.unsupported(def.name, 'connection state belongs to the client: set auth and db in createClient');
    case 'blocking': {
      const link = state.links[sameServer(state, def, argv)]!;
      const ms = blockMsOf(def.name, argv);
      // XREAD / XREADGROUP without BLOCK answer at once: the shared connection
      return ms === null ? link.command(argv) : link.dedicated(argv, ms);
    }
    case 'publish':
      // where the proxy sends it: the ring's server for the channel name, the one its subscribers are on
      return state.links[serverOf(state, argv[1]!)]!.command(argv);
    case 'pubsub':
      throw requestErrors.unsupported(def.name.replace('|', ' '), 'subscriptions hold a connection in pub/sub mode: use subscribe(), psubscribe() and ssubscribe() of the client');
    default:
      // fan-out (KEYS, DBSIZE, …), SCAN and transactions: the proxy runs them, the client does not yet
      throw requestErrors.unsupported(def.name.replace('|', ' '), def.reason ?? `the client does not run ${def.kind} commands yet; send them through the proxy`);
  }
}

/** The one server every key of argv lives on, or the proxy's CROSSSLOT error. */
function sameServer(state: RingState, def: CommandDef, argv: readonly Arg[]): number {
  const keys = extractKeys(def, argv.length, (i) => text(argv[i]!));
  if (keys === null || keys.length === 0) throw requestErrors.noKeys(def.name);
  const first = serverOf(state, argv[keys[0]!]!);
  for (let i = 1; i < keys.length; i++) {
    if (serverOf(state, argv[keys[i]!]!) !== first) throw requestErrors.crossSlot(state.hashTag);
  }
  return first;
}

/** MGET / MSET / counting commands over several servers: one fragment per server, in the order each first appears. */
async function split(state: RingState, def: CommandDef, argv: readonly Arg[]): Promise<RespValue> {
  const step = def.split === 'mset' ? 2 : 1;
  const groups = new Map<number, number[]>();
  for (let i = 1; i < argv.length; i += step) {
    const s = serverOf(state, argv[i]!);
    const g = groups.get(s);
    if (g === undefined) groups.set(s, [i]); else g.push(i);
  }
  if (groups.size === 1) return state.links[groups.keys().next().value!]!.command(argv);
  const parts = [...groups].map(([server, positions]) => {
    const frag: Arg[] = [argv[0]!];
    for (const p of positions) { frag.push(argv[p]!); if (step === 2) frag.push(argv[p + 1]!); }
    return state.links[server]!.command(frag);
  });
  // Every part is awaited (none is left unobserved); the first failing part's error wins.
  const settled = await Promise.allSettled(parts);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const values = settled.map((r) => (r as PromiseFulfilledResult<RespValue>).value);
  if (def.split === 'mset') return 'OK';
  if (def.split === 'count') return values.reduce<number>((n, v) => n + (v as number), 0);
  const out = new Array<RespValue>(argv.length - 1);
  let g = 0;
  for (const positions of groups.values()) {
    const vs = values[g++] as RespValue[];
    positions.forEach((p, j) => { out[p - 1] = vs[j]!; });
  }
  return out;
}
