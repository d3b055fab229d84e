// The one command table of the proxy: every Redis command (facts generated
// from redis-server in redis-commands.ts) mapped to how the proxy handles it
// (CommandKind) and where its keys are. Routing dispatches on this table.
// Must not import sockets or the ring.
import { REDIS_COMMANDS } from './redis-commands.js';
import type { CommandKind, KeySpec, RedisCommandInfo, SplitKind } from './types.js';

export interface CommandDef {
  /** lower case, e.g. "get"; subcommands are not separate entries here */
  readonly name: string;
  readonly arity: number;
  readonly kind: CommandKind;
  readonly split: SplitKind | null;
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
const LOCAL = new Set(['ping', 'echo', 'quit', 'select', 'hello', 'auth', 'client', 'command', 'info', 'time', 'reset', 'slowlog', 'acl']);

const SPLIT: Record<string, SplitKind> = {
  mget: 'mget', mset: 'mset', del: 'count', unlink: 'count', touch: 'count', exists: 'count',
};

/** Commands with keys that still cannot be proxied, and why. */
const KEYED_UNSUPPORTED: Record<string, string> = {
  watch: 'transactions are not supported by a sharding proxy',
  move: 'the proxy serves database 0 only',
  copy: 'COPY with DB cannot be proxied; use GET/SET',
  migrate: 'MIGRATE is an administrative command',
  blpop: 'blocking commands would stall every client sharing the backend connection',
  brpop: 'blocking commands would stall every client sharing the backend connection',
  brpoplpush: 'blocking commands would stall every client sharing the backend connection',
  blmove: 'blocking commands would stall every client sharing the backend connection',
  blmpop: 'blocking commands would stall every client sharing the backend connection',
  bzpopmin: 'blocking commands would stall every client sharing the backend connection',
  bzpopmax: 'blocking commands would stall every client sharing the backend connection',
  bzmpop: 'blocking commands would stall every client sharing the backend connection',
};

/** SORT's STORE destination is a key Redis's key specs leave "unknown"; we know where it is. */
const EXTRA_KEY_SPECS: Record<string, KeySpec[]> = {
  sort: [{ begin: { keyword: 'STORE', startfrom: 2 }, find: { lastkey: 0, step: 1, limit: 0 } }],
};

function classify(c: RedisCommandInfo): CommandDef {
  const name = c.name;
  const write = c.flags.includes('write');
  const subs = c.subcommands && c.subcommands.length > 0
    ? new Map(c.subcommands.map((s) => [s.name.slice(s.name.indexOf('|') + 1), Object.freeze(classify(s))] as const))
    : null;
  const known = c.keys.filter((k) => !('unknown' in k.begin) && !('unknown' in k.find));
  const keys = EXTRA_KEY_SPECS[name] ? [...known, ...EXTRA_KEY_SPECS[name]] : c.keys;
  const def = (kind: CommandKind, more: { split?: SplitKind; firstKey?: number; reason?: string } = {}): CommandDef =>
    new Def(name, c.arity, kind, more.split ?? null, write, more.firstKey ?? -1, keys, more.reason ?? null, subs, NAMES.push(name) - 1,
      VALUE_LOOKUPS.has(name) ? 'value' : VALUES_LOOKUPS.has(name) ? 'values' : 'none');
  if (subs !== null && !LOCAL.has(name)) return def('same');
  if (LOCAL.has(name)) return def('local');
  if (SPLIT[name]) return def('split', { split: SPLIT[name], firstKey: 1 });
  if (KEYED_UNSUPPORTED[name]) return def('unsupported', { reason: KEYED_UNSUPPORTED[name] });
  if (keys.length === 0) return def('unsupported', { reason: 'the command has no key to route by' });
  if (keys.some((k) => 'unknown' in k.begin || 'unknown' in k.find)) return def('unsupported', { reason: 'its keys cannot be located' });
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
