// The one command table of the proxy: every Redis command (facts generated
// from redis-server in redis-commands.ts) mapped to how the proxy handles it
// (CommandKind) and where its keys are. Routing dispatches on this table.
// Must not import sockets or the ring.
import { REDIS_COMMANDS } from './redis-commands.js';
import type { CommandKind, FanoutKind, KeySpec, RedisCommandInfo, SplitKind } from './types.js';

export interface CommandDef {
  /** lower case, e.g. "get"; subcommands are not separate entries here */
  readonly name: string;
  readonly arity: number;
  readonly kind: CommandKind;
  readonly split: SplitKind | null;
  /** kind 'fanout': how the servers' replies are merged */
  readonly fanout: FanoutKind | null;
  readonly write: boolean;
  /** argv index of the key for kind 'single' with a plain first key; -1 when keys need extractKeys() */
  readonly firstKey: number;
  readonly keySpecs: readonly KeySpec[];
  /** why it is unsupported (for docs and logs) */
  readonly reason: string | null;
  /** container commands (OBJECT, MEMORY, XINFO, ...): argv[1] picks the entry, e.g. "object|encoding" */
  readonly subcommands: ReadonlyMap<string, CommandDef> | null;
  /** small integer naming this entry (0..commandCount()-1): per-command metrics index arrays by it */
  readonly id: number;
  /** how its reply tells a cache hit from a miss: none, one value (nil = miss), an array of values (each nil = a miss) */
  readonly lookup: LookupKind;
}

export type LookupKind = 'none' | 'value' | 'values';

/** Reads whose nil reply is a cache miss (one value), and multi-key reads (each nil element a miss). */
const VALUE_LOOKUPS = new Set(['get', 'getex', 'getdel', 'hget', 'lindex', 'zscore', 'zrank', 'zrevrank']);
const VALUES_LOOKUPS = new Set(['mget', 'hmget', 'zmscore']);

/** Answered by the proxy itself. */
const LOCAL = new Set(['ping', 'echo', 'quit', 'select', 'hello', 'auth', 'client', 'command', 'time', 'reset', 'slowlog', 'acl']);

const SPLIT: Record<string, SplitKind> = {
  mget: 'mget', mset: 'mset', del: 'count', unlink: 'count', touch: 'count', exists: 'count',
};

type Decision = { kind: Exclude<CommandKind, 'fanout' | 'unsupported' | 'single' | 'split' | 'same'> }
  | { kind: 'fanout'; fanout: FanoutKind } | { kind: 'unsupported'; reason: string };

const BLOCKING: Decision = { kind: 'blocking' };
const TX: Decision = { kind: 'transaction' };
const PUBSUB: Decision = { kind: 'pubsub' };
const ANY: Decision = { kind: 'any' };
const no = (reason: string): Decision => ({ kind: 'unsupported', reason });
const fan = (fanout: FanoutKind): Decision => ({ kind: 'fanout', fanout });
const ADMIN = no('administrative: run it on each backend server directly');
const PER_SERVER = no('per-server diagnostics: ask each backend server directly');
const NOT_CLUSTER = no('the proxy is not a Redis Cluster node; it places keys itself');
const REPLICATION = no('replication runs between the backend servers, not through the proxy');

/**
 * What the proxy does with each command (or container subcommand, "name|sub")
 * beyond forwarding by key. A keyless command must be listed: the table refuses
 * to build otherwise, so a new Redis command gets a decision before it ships.
 */
const DECISIONS: Record<string, Decision> = {
  // blocking: a dedicated connection for the block
  blpop: BLOCKING, brpop: BLOCKING, brpoplpush: BLOCKING, blmove: BLOCKING, blmpop: BLOCKING,
  bzpopmin: BLOCKING, bzpopmax: BLOCKING, bzmpop: BLOCKING, xread: BLOCKING, xreadgroup: BLOCKING,
  wait: no('WAIT counts replicas that acknowledged this connection\'s writes; the proxy\'s backend connections are shared'),
  // transactions, pinned to one server
  multi: TX, exec: TX, discard: TX, watch: TX, unwatch: TX,
  // pub/sub
  subscribe: PUBSUB, unsubscribe: PUBSUB, psubscribe: PUBSUB, punsubscribe: PUBSUB, ssubscribe: PUBSUB, sunsubscribe: PUBSUB,
  'pubsub|channels': PUBSUB, 'pubsub|numsub': PUBSUB, 'pubsub|numpat': PUBSUB, 'pubsub|shardchannels': PUBSUB,
  'pubsub|shardnumsub': PUBSUB, 'pubsub|help': ANY,
  publish: { kind: 'publish' }, spublish: { kind: 'publish' },
  // the keyspace as a whole
  dbsize: fan('sum'), keys: fan('concat'), randomkey: fan('random'), flushall: fan('all-ok'), flushdb: fan('all-ok'),
  scan: { kind: 'scan' }, info: fan('info'),
  // scripts and functions: loaded everywhere, so EVALSHA / FCALL find them on whichever server their keys are
  'script|load': fan('agree'), 'script|exists': fan('and'), 'script|flush': fan('all-ok'), 'script|kill': fan('any-ok'),
  'script|help': ANY, 'script|debug': no('the Lua debugger needs a session on one server; use redis-cli --ldb against it'),
  'function|load': fan('agree'), 'function|delete': fan('all-ok'), 'function|flush': fan('all-ok'), 'function|restore': fan('all-ok'),
  'function|dump': fan('agree'), 'function|list': fan('agree'), 'function|kill': fan('any-ok'), 'function|help': ANY,
  'function|stats': PER_SERVER,
  // read the same on every server
  'config|get': ANY, 'config|help': ANY, lolwut: ANY, 'object|help': ANY, 'memory|help': ANY, 'xinfo|help': ANY, 'xgroup|help': ANY,
  'latency|help': ANY, 'module|help': ANY, 'module|list': ANY,
  'config|set': ADMIN, 'config|rewrite': ADMIN, 'config|resetstat': ADMIN,
  // administrative and per-server
  bgrewriteaof: ADMIN, bgsave: ADMIN, save: ADMIN, lastsave: PER_SERVER, shutdown: no('SHUTDOWN would stop one backend server; stop servers directly'),
  debug: ADMIN, failover: REPLICATION, replicaof: REPLICATION, slaveof: REPLICATION, sync: REPLICATION, psync: REPLICATION,
  replconf: REPLICATION, role: no('ROLE describes one server\'s replication; the proxy presents itself as a master (INFO, HELLO)'),
  monitor: no('MONITOR streams one server\'s traffic; run it against each backend'),
  swapdb: no('the proxy serves database 0 only'), move: no('the proxy serves database 0 only'),
  pfselftest: ADMIN, 'memory|doctor': PER_SERVER, 'memory|malloc-stats': PER_SERVER, 'memory|purge': ADMIN, 'memory|stats': PER_SERVER,
  'latency|doctor': PER_SERVER, 'latency|graph': PER_SERVER, 'latency|histogram': PER_SERVER, 'latency|history': PER_SERVER,
  'latency|latest': PER_SERVER, 'latency|reset': ADMIN,
  'module|load': ADMIN, 'module|loadex': ADMIN, 'module|unload': ADMIN,
  asking: NOT_CLUSTER, readonly: NOT_CLUSTER, readwrite: NOT_CLUSTER,
  copy: no('COPY with DB cannot be proxied; use GET/SET'),
  migrate: no('MIGRATE is an administrative command'),
};
for (const sub of ['addslots', 'addslotsrange', 'bumpepoch', 'count-failure-reports', 'countkeysinslot', 'delslots', 'delslotsrange', 'failover',
  'flushslots', 'forget', 'getkeysinslot', 'help', 'info', 'keyslot', 'links', 'meet', 'myid', 'nodes', 'replicas', 'replicate', 'reset',
  'saveconfig', 'set-config-epoch', 'setslot', 'shards', 'slaves', 'slots']) DECISIONS[`cluster|${sub}`] = NOT_CLUSTER;
const NO_TRACKING = no('client-side caching needs each backend\'s invalidation messages for this client alone; the backend connections are shared');
Object.assign(DECISIONS, {
  'client|caching': NO_TRACKING, 'client|tracking': NO_TRACKING, 'client|trackinginfo': NO_TRACKING, 'client|getredir': NO_TRACKING,
  'client|pause': ADMIN, 'client|unpause': ADMIN, 'client|reply': no('replies are always sent through the proxy'),
  'client|unblock': no('a blocked client\'s backend connection is its own; disconnect the client instead'),
  'client|help': no('the proxy\'s commands are listed in docs/commands.md'), 'command|help': no('the proxy\'s commands are listed in docs/commands.md'),
  'command|getkeysandflags': no('use COMMAND GETKEYS instead'),
  // the proxy's table is redis-server's: a backend lists and documents the same commands
  'command|list': ANY, 'command|docs': ANY,
});
// ACL WHOAMI, LIST, USERS, CAT are answered from shardgate's users (proxy/acl-commands.ts); the rest change users.
for (const sub of ['deluser', 'dryrun', 'genpass', 'getuser', 'help', 'load', 'log', 'save', 'setuser']) {
  DECISIONS[`acl|${sub}`] = no('users and their rules live in the config file (shardgate: users:)');
}

/** SORT's STORE destination is a key Redis's key specs leave "unknown"; we know where it is. */
const EXTRA_KEY_SPECS: Record<string, KeySpec[]> = {
  sort: [{ begin: { keyword: 'STORE', startfrom: 2 }, find: { lastkey: 0, step: 1, limit: 0 } }],
  // BY / GET patterns name keys on the sorted key's own server (as Redis Cluster requires too)
  sort_ro: [],
};

function classify(c: RedisCommandInfo, localContainer = false): CommandDef {
  const name = c.name;
  const write = c.flags.includes('write');
  const subs = c.subcommands && c.subcommands.length > 0
    ? new Map(c.subcommands.map((s) => [s.name.slice(s.name.indexOf('|') + 1), Object.freeze(classify(s, LOCAL.has(name)))] as const))
    : null;
  const known = c.keys.filter((k) => !('unknown' in k.begin) && !('unknown' in k.find));
  const keys = EXTRA_KEY_SPECS[name] ? [...known, ...EXTRA_KEY_SPECS[name]] : c.keys;
  const def = (kind: CommandKind, more: { split?: SplitKind; fanout?: FanoutKind; firstKey?: number; reason?: string } = {}): CommandDef =>
    new Def(name, c.arity, kind, more.split ?? null, more.fanout ?? null, write, more.firstKey ?? -1, keys, more.reason ?? null, subs, NAMES.push(name) - 1,
      VALUE_LOOKUPS.has(name) ? 'value' : VALUES_LOOKUPS.has(name) ? 'values' : 'none');
  if (subs !== null && !LOCAL.has(name)) return def('same');
  if (LOCAL.has(name)) return def('local');
  if (SPLIT[name]) return def('split', { split: SPLIT[name], firstKey: 1 });
  const d = DECISIONS[name];
  // A subcommand of a container the proxy answers (CLIENT, COMMAND): local unless refused.
  if (localContainer) return d?.kind === 'unsupported' ? def('unsupported', { reason: d.reason }) : d?.kind === 'any' ? def('any') : def('local');
  if (d !== undefined) {
    if (d.kind === 'fanout') return def('fanout', { fanout: d.fanout });
    if (d.kind === 'unsupported') return def('unsupported', { reason: d.reason });
    return def(d.kind);
  }
  if (keys.length === 0) throw new Error(`command table: '${name}' has no key and no decision (add it to DECISIONS)`);
  if (keys.some((k) => 'unknown' in k.begin || 'unknown' in k.find)) throw new Error(`command table: the keys of '${name}' cannot be located (add EXTRA_KEY_SPECS or a decision)`);
  const one = keys[0];
  if (keys.length === 1 && 'index' in one.begin && 'lastkey' in one.find && one.find.lastkey === 0) {
    return def('single', { firstKey: one.begin.index });
  }
  return def('same');
}

/**
 * Every command's entry is built by this one constructor, fields in one order:
 * they then share one hidden class, so the router's reads of `def.kind`,
 * `def.arity`… stay monomorphic however many commands a client mixes (built as
 * object spreads, each entry had a shape of its own and those reads went
 * megamorphic).
 */
class Def implements CommandDef {
  constructor(
    readonly name: string,
    readonly arity: number,
    readonly kind: CommandKind,
    readonly split: SplitKind | null,
    readonly fanout: FanoutKind | null,
    readonly write: boolean,
    readonly firstKey: number,
    readonly keySpecs: readonly KeySpec[],
    readonly reason: string | null,
    readonly subcommands: ReadonlyMap<string, CommandDef> | null,
    readonly id: number,
    readonly lookup: LookupKind,
  ) {}
}

/** Every entry's name by id (subcommands included, as "object|encoding"). */
const NAMES: string[] = [];

const TABLE = new Map<string, CommandDef>();
for (const c of REDIS_COMMANDS) TABLE.set(c.name, Object.freeze(classify(c)));

export function lookupCommand(lowerName: string): CommandDef | undefined {
  return TABLE.get(lowerName);
}

/** The entry that applies to a container command's subcommand (argv[1]), or the container itself. */
export function resolveSubcommand(def: CommandDef, lowerSub: string): CommandDef | undefined {
  return def.subcommands === null ? def : def.subcommands.get(lowerSub);
}

/** How many ids there are (every entry and subcommand). */
export function commandCount(): number {
  return NAMES.length;
}

/** The name of entry `id` (as its label in metrics). */
export function commandName(id: number): string {
  return NAMES[id] ?? 'unknown';
}

export function allCommands(): IterableIterator<CommandDef> {
  return TABLE.values();
}

/**
 * argv indexes of every key of a command, from its key specs.
 * `argc` counts the name; `argAt(i)` returns argument i as text (only called
 * for numkeys and keyword arguments). Returns null when the arguments do not
 * match the spec (e.g. numkeys out of range): the backend reports the error.
 */
export function extractKeys(def: CommandDef, argc: number, argAt: (i: number) => string): number[] | null {
  const out: number[] = [];
  for (const ks of def.keySpecs) {
    let begin: number;
    if ('index' in ks.begin) {
      begin = ks.begin.index;
    } else if ('keyword' in ks.begin) {
      const kw = ks.begin.keyword.toLowerCase();
      const from = ks.begin.startfrom;
      begin = -1;
      if (from >= 0) {
        for (let i = from; i < argc; i++) if (argAt(i).toLowerCase() === kw) { begin = i + 1; break; }
      } else {
        for (let i = argc + from; i > 0; i--) if (argAt(i).toLowerCase() === kw) { begin = i + 1; break; }
      }
      if (begin < 0) continue; // optional keyword absent (e.g. SORT without STORE)
    } else {
      return null;
    }
    if (begin >= argc) continue;
    const f = ks.find;
    if ('lastkey' in f) {
      let last: number;
      if (f.lastkey >= 0) last = begin + f.lastkey;
      else if (f.limit > 1) last = begin + Math.floor((argc - begin) / f.limit) - 1;
      else last = argc + f.lastkey;
      for (let i = begin; i <= last && i < argc; i += f.step) out.push(i);
    } else if ('keynumidx' in f) {
      const n = Number(argAt(begin + f.keynumidx));
      if (!Number.isInteger(n) || n < 0) return null;
      const first = begin + f.firstkey;
      if (first + (n - 1) * f.step >= argc && n > 0) return null;
      for (let i = 0; i < n; i++) out.push(first + i * f.step);
    } else {
      return null;
    }
  }
  return out;
}

// Byte-keyed lookup for the hot path: the command name is read straight from
// the request buffer (case-insensitive) without building a string. Buckets by
// a hash of the lowercased bytes (a plain array indexed by the hash's low bits:
// cheaper than a Map on the hot path); candidates are verified byte by byte.
const BUCKET_BITS = 12;
const BUCKETS: ({ bytes: Buffer; def: CommandDef }[] | undefined)[] = new Array(1 << BUCKET_BITS).fill(undefined);

function nameHash(buf: Uint8Array, s: number, e: number): number {
  let h = 2166136261;
  for (let i = s; i < e; i++) {
    let c = buf[i];
    if (c >= 65 && c <= 90) c |= 0x20;
    h = Math.imul(h ^ c, 16777619);
  }
  return (h >>> 0) & ((1 << BUCKET_BITS) - 1);
}

for (const def of TABLE.values()) {
  const bytes = Buffer.from(def.name, 'latin1');
  const h = nameHash(bytes, 0, bytes.length);
  const list = BUCKETS[h];
  if (list) list.push({ bytes, def }); else BUCKETS[h] = [{ bytes, def }];
}

/** The command named by buf[s,e) (any letter case), without allocating. */
export function lookupCommandBytes(buf: Buffer, s: number, e: number): CommandDef | undefined {
  const n = e - s;
  if (n === 0 || n > 32) return undefined;
  const list = BUCKETS[nameHash(buf, s, e)];
  if (list === undefined) return undefined;
  outer: for (let k = 0; k < list.length; k++) {
    const b = list[k].bytes;
    if (b.length !== n) continue;
    for (let i = 0; i < n; i++) {
      let c = buf[s + i];
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== b[i]) continue outer;
    }
    return list[k].def;
  }
  return undefined;
}
