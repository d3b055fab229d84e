// Fixtures for the key-walk tests: rings built exactly as the proxy builds
// them (serverHashName + buildRing, see src/proxy/server-pool.ts), a data set
// of strings / hashes / lists / zsets (some with expiry) written by the old
// ring, and a check that reads every key back from every server.
import { expect } from 'vitest';
import { buildRing, serverHashName, type HashName } from '../../../src/ring/index.js';
import { RedisConnection, type RespValue } from '../../../src/redis/connection.js';
import type { WalkServer } from '../../../src/migration/walker.js';

export function walkServer(port: number, auth: WalkServer['auth'] = null, db = 0): WalkServer {
  return { name: serverHashName('127.0.0.1', port, 1, null), host: '127.0.0.1', port, auth, db };
}

/** ownerOf by a ketama ring over servers (weight 1 each), as the proxy computes it. */
export function ringOwner(servers: readonly WalkServer[], hash: HashName): (key: Buffer) => WalkServer | null {
  const ring = buildRing({ distribution: 'ketama', hash, hashTag: null, servers: servers.map((s) => ({ name: s.name, weight: 1 })) });
  return (key) => {
    const i = ring.pick(key, 0, key.length);
    return i < 0 ? null : servers[i];
  };
}

export async function connectAll(servers: readonly WalkServer[]): Promise<RedisConnection[]> {
  return Promise.all(servers.map(async (s) => {
    const c = new RedisConnection({ host: s.host, port: s.port }, { auth: s.auth, db: s.db, commandTimeoutMs: 30_000 });
    await c.connect();
    return c;
  }));
}

export type Kind = 'string' | 'hash' | 'list' | 'zset';

export interface Item {
  key: Buffer;
  kind: Kind;
  /** Absolute expiry (ms since epoch), or -1. */
  expireAt: number;
}

export function kindOf(i: number): Kind {
  const r = i % 20;
  return r === 1 ? 'hash' : r === 2 ? 'list' : r === 3 ? 'zset' : 'string';
}

/** The commands that write item i (`key`) and what reading it back must give. */
function writeCommands(it: Item, i: number): (string | number | Buffer)[][] {
  const cmds: (string | number | Buffer)[][] = [];
  switch (it.kind) {
    case 'string': cmds.push(['SET', it.key, `v${i}`]); break;
    case 'hash': cmds.push(['HSET', it.key, 'f1', `a${i}`, 'f2', `b${i}`]); break;
    case 'list': cmds.push(['RPUSH', it.key, `x${i}`, `y${i}`, `z${i}`]); break;
    case 'zset': cmds.push(['ZADD', it.key, 1, `m${i}`, 2.5, `n${i}`]); break;
  }
  if (it.expireAt > 0) cmds.push(['PEXPIREAT', it.key, it.expireAt]);
  return cmds;
}

function readCommand(it: Item): (string | Buffer)[] {
  switch (it.kind) {
    case 'string': return ['GET', it.key];
    case 'hash': return ['HGETALL', it.key];
    case 'list': return ['LRANGE', it.key, '0', '-1'];
    case 'zset': return ['ZRANGE', it.key, '0', '-1', 'WITHSCORES'];
  }
}

function expectedValue(it: Item, i: number): string[] | string {
  switch (it.kind) {
    case 'string': return `v${i}`;
    case 'hash': return ['f1', `a${i}`, 'f2', `b${i}`];
    case 'list': return [`x${i}`, `y${i}`, `z${i}`];
    case 'zset': return [`m${i}`, '1', `n${i}`, '2.5'];
  }
}

function text(v: RespValue): string[] | string {
  if (Buffer.isBuffer(v)) return v.toString();
  if (Array.isArray(v)) return v.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x)));
  return String(v);
}

/** n items named `${prefix}:<i>`; every 7th expires 200..300 s from now. */
export function makeItems(n: number, prefix = 'key'): Item[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`${prefix}:${i}`),
    kind: kindOf(i),
    expireAt: i % 7 === 0 ? now + 200_000 + (i % 1000) * 100 : -1,
  }));
}

/** Writes every item on its owner by `owner` (pipelined, in slices). */
export async function fill(items: readonly Item[], servers: readonly WalkServer[], conns: readonly RedisConnection[], owner: (k: Buffer) => WalkServer | null): Promise<void> {
  const index = new Map(servers.map((s, i) => [s.name, i]));
  for (let from = 0; from < items.length; from += 2000) {
    const writes: Promise<RespValue>[] = [];
    for (let i = from; i < Math.min(items.length, from + 2000); i++) {
      const c = conns[index.get(owner(items[i].key)!.name)!];
      for (const cmd of writeCommands(items[i], i)) writes.push(c.command(cmd));
    }
    for (const r of await Promise.all(writes)) expect(typeof r === 'number' || r === 'OK').toBe(true);
  }
}

/**
 * Every item is on its owner by `owner` and on no other server, with its value,
 * and its expiry within ±1 s of the one written. `except` items are skipped.
 */
export async function expectAllOnOwners(items: readonly Item[], servers: readonly WalkServer[], conns: readonly RedisConnection[], owner: (k: Buffer) => WalkServer | null, except: ReadonlySet<string> = new Set()): Promise<void> {
  const index = new Map(servers.map((s, i) => [s.name, i]));
  for (let from = 0; from < items.length; from += 2000) {
    const slice = items.slice(from, from + 2000).map((it, j) => ({ it, i: from + j })).filter(({ it }) => !except.has(it.key.toString()));
    const exists = await Promise.all(slice.map(({ it }) => Promise.all(conns.map((c) => c.command(['EXISTS', it.key])))));
    const reads = await Promise.all(slice.map(({ it }) => {
      const c = conns[index.get(owner(it.key)!.name)!];
      return Promise.all([c.command(readCommand(it)), c.command(['PEXPIRETIME', it.key])]);
    }));
    for (let j = 0; j < slice.length; j++) {
      const { it, i } = slice[j];
      const want = servers.map((s) => (s.name === owner(it.key)!.name ? 1 : 0));
      expect(exists[j], `${it.key} on ${servers.map((s) => s.name)}`).toEqual(want);
      expect(text(reads[j][0]), String(it.key)).toEqual(expectedValue(it, i));
      const at = reads[j][1] as number;
      if (it.expireAt < 0) expect(at, `${it.key} has no expiry`).toBe(-1);
      else expect(Math.abs(at - it.expireAt), `${it.key} expiry`).toBeLessThanOrEqual(1000);
    }
  }
}

/** Items whose owner differs between two rings. */
export function changedOwners(items: readonly Item[], before: (k: Buffer) => WalkServer | null, after: (k: Buffer) => WalkServer | null): Item[] {
  return items.filter((it) => before(it.key)!.name !== after(it.key)!.name);
}
