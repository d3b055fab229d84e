// Key migration on the request path (`migration: lazy`, and `background`
// while its walk runs): before a request touches a key whose owner changed in
// a recent ring change, the key is moved from its previous owner — MIGRATE
// sent to that server (atomic there: it restores on the new owner, then
// deletes its copy; no REPLACE, so a copy the new owner already has wins, and
// the stale one is then deleted) — and only then is the request routed. This
// holds for every command, read or write: a GET finds the moved value, an
// INCR continues from it, a DEL removes it (and nothing is left behind to be
// resurrected later). The client's later requests wait behind it, so its
// order is kept. Keys settled once (moved, absent, or stale copy removed) are
// remembered per pool (bounded) and not asked about again.
// Only runs while the pool's topology has earlier rings; the hot path pays
// one boolean check. Must not: decide rings or health.
import { encodeCommand } from '../resp/encode.js';
import { isErrorReply, readLine } from '../resp/reply-read.js';
import type { CommandDef } from '../commands/table.js';
import { requestKeys } from './keys.js';
import { credentialsFor } from '../security/backend-auth.js';
import { takeReq, releaseReq, type Req, type ReplyTarget } from './request.js';
import type { ClientConn } from './client.js';
import type { PoolRuntime } from './server-pool.js';
import type { ServerBackend } from '../topology/registry.js';
import type { TopologyServer } from '../topology/topology.js';

/** How long a MIGRATE may take on the previous owner (ms), as Redis takes its own timeout argument. */
const MIGRATE_TIMEOUT_MS = 5000;

interface Move {
  readonly from: ServerBackend;
  readonly to: TopologyServer;
  readonly key: Buffer;
}

/** The moves the key buf[ks,ke) needs before a request may touch it (none when it is settled). */
function movesForKey(pool: PoolRuntime, buf: Buffer, ks: number, ke: number, out: Move[]): void {
  const t = pool.topology;
  const i = t.fullRing.pick(buf, ks, ke);
  if (i < 0) return;
  const owner = t.servers[i]!;
  // An owner out of the ring has a stand-in: moving keys to it would only scatter them.
  if (!owner.live) return;
  const settled = pool.settledKeys;
  const id = buf.toString('latin1', ks, ke);
  if (settled.has(id)) return;
  let key: Buffer | null = null;
  for (const p of t.prior) {
    const j = p.ring.pick(buf, ks, ke);
    if (j < 0 || p.identities[j] === owner.identity) continue;
    const from = p.backends[j]!;
    if (out.some((m) => m.from === from && m.key.toString('latin1') === id)) continue;
    key ??= Buffer.from(buf.subarray(ks, ke));
    out.push({ from, to: owner, key });
  }
  if (key === null) pool.settle(id);
}

/**
 * If the request needs keys moved first, hold it (and the client's later
 * requests) until they are, and return true; the client re-routes it then.
 */
export function holdForMoves(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): boolean {
  const pool = client.ctx.pool;
  const moves: Move[] = [];
  for (const k of requestKeys(def, buf, argc, args) ?? []) {
    if (k >= argc) continue;
    movesForKey(pool, buf, args[k * 2]!, args[k * 2 + 1]!, moves);
  }
  if (moves.length === 0) return false;
  client.hold(buf, start, end, argc, args);
  let left = moves.length;
  const done = () => { if (--left === 0) client.releaseHeld(); };
  for (const m of moves) new MoveKey(pool, m, done).start();
  return true;
}

/** One key's move: MIGRATE on the previous owner; when the new owner already had it, DEL the stale copy. */
class MoveKey implements ReplyTarget {
  readonly #pool: PoolRuntime;
  readonly #m: Move;
  readonly #done: () => void;
  #phase: 'migrate' | 'delete' = 'migrate';

  constructor(pool: PoolRuntime, m: Move, done: () => void) {
    this.#pool = pool;
    this.#m = m;
    this.#done = done;
  }

  start(): void {
    const to = this.#m.to.config;
    const pc = this.#pool.config;
    if (to.host === null) {
      // MIGRATE reaches a target by TCP only: a unix-socket owner cannot receive keys.
      this.#finish(false, `cannot move keys to ${to.label}: it listens on a unix socket`);
      return;
    }
    const argv: (string | Buffer)[] = ['MIGRATE', to.host, String(to.port), this.#m.key, String(pc.redisDb), String(MIGRATE_TIMEOUT_MS)];
    // MIGRATE's own AUTH option: the credentials the proxy uses for the target server
    const cred = credentialsFor(pc, to.label);
    if (cred !== null) argv.push(...(cred.username === null ? ['AUTH', cred.password] : ['AUTH2', cred.username, cred.password]));
    this.#send(encodeCommand(argv));
  }

  #send(cmd: Buffer): void {
    const req = takeReq(this);
    this.#m.from.connFor(0).send(req, cmd, 0, cmd.length);
  }

  complete(req: Req, buf: Buffer, start: number, end: number): void {
    releaseReq(req);
    if (this.#phase === 'delete') {
      this.#finish(!isErrorReply(buf, start), isErrorReply(buf, start) ? readLine(buf, start, end) : null);
      return;
    }
    if (!isErrorReply(buf, start)) {
      this.#pool.migrationCounters.moved += readLine(buf, start, end) === 'OK' ? 1 : 0;
      this.#finish(true, null);
      return;
    }
    const line = readLine(buf, start, end);
    if (line.includes('BUSYKEY')) {
      // The new owner's copy was written after the change: it wins; the old one must not come back later.
      this.#pool.migrationCounters.busy++;
      this.#phase = 'delete';
      this.#send(encodeCommand(['DEL', this.#m.key]));
      return;
    }
    this.#finish(false, line);
  }

  #finish(settled: boolean, error: string | null): void {
    if (settled) this.#pool.settle(this.#m.key.toString('latin1'));
    if (error !== null) {
      this.#pool.migrationCounters.errors++;
      this.#pool.log.warn({ server: this.#m.from.spec.label, to: this.#m.to.label }, `key not moved before its request: ${error}`);
    }
    this.#done();
  }
}
