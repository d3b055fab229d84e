// Key placement compatible byte for byte with Twemproxy (nutcracker) 0.5.0:
// ketama / modula / random distributions over the twelve nutcracker hashes,
// with hash tags, weights, server names and ejected servers.
// Owns: which server a key goes to. Must not: open sockets, track health
// (callers pass `live`), parse YAML. Lookups allocate nothing and never turn
// a Buffer key into a string. Details and the compatibility notes: docs/ring.md.
import { ConfigError } from '../errors/index.js';
import * as h from './hashes.js';
import { buildContinuum, ketamaLookup, type KetamaMember } from './ketama.js';

export type HashName = 'one_at_a_time' | 'md5' | 'crc16' | 'crc32' | 'crc32a' | 'fnv1_64' | 'fnv1a_64' | 'fnv1_32' | 'fnv1a_32' | 'hsieh' | 'murmur' | 'jenkins';
export type Distribution = 'ketama' | 'modula' | 'random';
export type HashFn = h.HashFn;

export const HASH_NAMES: readonly HashName[] = Object.freeze(['one_at_a_time', 'md5', 'crc16', 'crc32', 'crc32a', 'fnv1_64', 'fnv1a_64', 'fnv1_32', 'fnv1a_32', 'hsieh', 'murmur', 'jenkins'] as const);
export const DISTRIBUTIONS: readonly Distribution[] = Object.freeze(['ketama', 'modula', 'random'] as const);

const HASHES: Readonly<Record<HashName, HashFn>> = Object.freeze({
  one_at_a_time: h.oneAtATime, md5: h.md5, crc16: h.crc16, crc32: h.crc32, crc32a: h.crc32a,
  fnv1_64: h.fnv1_64, fnv1a_64: h.fnv1a_64, fnv1_32: h.fnv1_32, fnv1a_32: h.fnv1a_32,
  hsieh: h.hsieh, murmur: h.murmur, jenkins: h.jenkins,
});

/** The hash function nutcracker calls `name` (uint32 of buf[start,end)). */
export function hashFunction(name: HashName): HashFn {
  const fn = Object.hasOwn(HASHES, name) ? HASHES[name] : undefined;
  if (fn === undefined) throw new ConfigError(`unknown hash '${String(name)}' (one of ${HASH_NAMES.join(', ')})`, { key: 'hash' });
  return fn;
}

export interface RingServer {
  /** The string nutcracker hashes for this server: serverHashName(...). */
  name: string;
  weight: number;
}

export interface Ring {
  /** Index into the `servers` given to buildRing for key bytes buf[start,end) (hash tag applied), -1 when no server is live. */
  pick(buf: Buffer, start: number, end: number): number;
  readonly liveCount: number;
}

export interface RingOptions {
  distribution: Distribution;
  hash: HashName;
  /** Two characters like "{}", or null. */
  hashTag: string | null;
  servers: readonly RingServer[];
  /** Ejected servers are false; default all live. */
  live?: readonly boolean[];
}

/** Port whose servers nutcracker names by host only. */
const NUTCRACKER_DEFAULT_KETAMA_PORT = 11211;

/**
 * What nutcracker hashes for a server line "host:port:weight [name]": the name
 * when given; else "host" when port is 11211 (libmemcached compatibility),
 * else "host:port". For a unix socket ("/path:weight") it is "/path:" (the
 * colon included: nutcracker copies the address plus one byte). The weight
 * never enters the name; it sets the number of ketama points.
 */
export function serverHashName(host: string, port: number, _weight: number, name: string | null): string {
  if (name !== null && name !== '') return name;
  if (host.startsWith('/')) return `${host}:`;
  if (port === NUTCRACKER_DEFAULT_KETAMA_PORT) return host;
  return `${host}:${port}`;
}

/** nutcracker's server order: by name length, then bytes (its string_compare). */
function byName(a: Buffer, b: Buffer): number {
  return a.length - b.length || Buffer.compare(a, b);
}

export function buildRing(opts: RingOptions): Ring {
  const hash = hashFunction(opts.hash);
  if (!DISTRIBUTIONS.includes(opts.distribution)) {
    throw new ConfigError(`unknown distribution '${String(opts.distribution)}' (one of ${DISTRIBUTIONS.join(', ')})`, { key: 'distribution' });
  }
  const tag = opts.hashTag === null ? null : Buffer.from(opts.hashTag, 'utf8');
  if (tag !== null && tag.length !== 2) throw new ConfigError(`hash_tag '${opts.hashTag}' is not two characters`, { key: 'hash_tag' });
  const { servers } = opts;
  const live = opts.live;
  if (live !== undefined && live.length !== servers.length) throw new ConfigError(`live has ${live.length} entries for ${servers.length} servers`);
  const members = servers.map((s, index) => {
    if (!Number.isInteger(s.weight) || s.weight <= 0) throw new ConfigError(`server '${s.name}' has weight ${s.weight}; it must be a positive integer`, { key: 'servers' });
    return { name: Buffer.from(s.name, 'utf8'), weight: s.weight, index };
  });
  members.sort((a, b) => byName(a.name, b.name));
  for (let i = 1; i < members.length; i++) {
    if (byName(members[i - 1]!.name, members[i]!.name) === 0) throw new ConfigError(`two servers have the name '${members[i]!.name.toString('utf8')}'`, { key: 'servers' });
  }
  const liveMembers = members.filter((m) => live === undefined || live[m.index] === true);
  const liveCount = liveMembers.length;
  const tag0 = tag === null ? -1 : tag[0]!;
  const tag1 = tag === null ? -1 : tag[1]!;

  if (liveCount === 0) return { liveCount, pick: () => -1 };
  if (servers.length === 1) return { liveCount, pick: () => 0 };

  /**
   * nutcracker's key hash: of the tag's inside when the key holds a non-empty
   * closed tag; 0 for an empty key. Its 32 bits as a signed int (`| 0`): an
   * unsigned one above 2^31 is a heap number, one allocation per lookup.
   */
  const keyHash = (buf: Buffer, start: number, end: number): number => {
    let s = start;
    let e = end;
    if (tag0 >= 0) {
      let open = start;
      while (open < end && buf[open] !== tag0) open++;
      let close = open + 1;
      while (close < end && buf[close] !== tag1) close++;
      if (close < end && close - open > 1) { s = open + 1; e = close; }
    }
    return e === s ? 0 : hash(buf, s, e) | 0;
  };

  switch (opts.distribution) {
    case 'ketama': {
      const c = buildContinuum(liveMembers as KetamaMember[]);
      return { liveCount, pick: (buf, start, end) => ketamaLookup(c, keyHash(buf, start, end)) };
    }
    case 'modula': {
      const slots: number[] = [];
      for (const m of liveMembers) for (let w = 0; w < m.weight; w++) slots.push(m.index);
      const table = Int32Array.from(slots);
      const n = table.length;
      return { liveCount, pick: (buf, start, end) => table[(keyHash(buf, start, end) >>> 0) % n]! };
    }
    case 'random': {
      const table = Int32Array.from(liveMembers.map((m) => m.index));
      return { liveCount, pick: () => table[Math.floor(Math.random() * liveCount)]! };
    }
  }
}

export interface Placement {
  /** per server (the order given): ring points (ketama), slots (modula), or 1 (random); 0 when not live */
  readonly points: readonly number[];
  /** per server: its share of the key space, 0..1 */
  readonly share: readonly number[];
}

/** How a ring divides the key space among its servers (for the admin API and status page; not the request path). */
export function describePlacement(opts: RingOptions): Placement {
  const n = opts.servers.length;
  const points = new Array<number>(n).fill(0);
  const share = new Array<number>(n).fill(0);
  const live = (i: number) => opts.live === undefined || opts.live[i] === true;
  const liveIdx = opts.servers.map((_, i) => i).filter(live);
  if (liveIdx.length === 0) return { points, share };
  if (opts.distribution === 'ketama' && n > 1) {
    const members = liveIdx.map((index) => ({ name: Buffer.from(opts.servers[index]!.name, 'utf8'), weight: opts.servers[index]!.weight, index }));
    members.sort((a, b) => byName(a.name, b.name));
    const c = buildContinuum(members);
    const v = c.values;
    for (let i = 0; i < v.length; i++) {
      const s = c.servers[i]!;
      points[s]!++;
      const arc = i === 0 ? v[0]! + (2 ** 32 - v[v.length - 1]!) : v[i]! - v[i - 1]!;
      share[s]! += arc / 2 ** 32;
    }
  } else if (opts.distribution === 'modula') {
    let total = 0;
    for (const i of liveIdx) total += opts.servers[i]!.weight;
    for (const i of liveIdx) { points[i] = opts.servers[i]!.weight; share[i] = opts.servers[i]!.weight / total; }
  } else {
    for (const i of liveIdx) { points[i] = 1; share[i] = 1 / liveIdx.length; }
  }
  return { points, share };
}
