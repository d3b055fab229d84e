// The master side of replication: the replication id and offset, the backlog,
// the replicas attached to this node (full sync with a point-in-time snapshot,
// then the live stream), their ACKs, and WAIT. Also the state a replica keeps
// (offset/backlog), since a replica can be promoted and must continue from it.
// Must not connect anywhere (replica.ts does) or run commands.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { encodeCommand } from '../../resp/encode.js';
import { RequestScanner } from '../../resp/request-scanner.js';
import type { NodeConnection, NodeCore } from '../contracts.js';
import { SnapshotJob, hubFor } from '../persistence/snapshot-job.js';
import { Backlog } from './backlog.js';

export const BACKLOG_SIZE = 1024 * 1024;
const PING_PERIOD_MS = 10_000;
const REPL_TIMEOUT_MS = 60_000;

export function newReplId(): string { return crypto.randomBytes(20).toString('hex'); }

export class AttachedReplica {
  state: 'wait_bgsave' | 'online' = 'wait_bgsave';
  ackOffset = 0;
  ackTime = Date.now();
  #held: Buffer[] | null = [];
  job: SnapshotJob | null = null;
  constructor(readonly conn: NodeConnection, readonly ip: string, readonly port: number) {}

  send(buf: Buffer): void {
    if (this.#held !== null) this.#held.push(buf);
    else this.conn.write(buf);
  }

  /** the snapshot is out: send what was held back and go live */
  goOnline(): void {
    this.ackTime = Date.now();
    const held = this.#held ?? [];
    this.#held = null;
    if (held.length > 0) this.conn.write(Buffer.concat(held));
    this.state = 'online';
  }
}

interface Waiter { target: number; n: number; resolve: (count: number) => void; timer: NodeJS.Timeout | null }

export class MasterSide {
  replid = newReplId();
  replid2 = '0'.repeat(40);
  secondOffset = -1;
  offset = 0;
  backlog: Backlog | null = null;
  /** true while this node follows a master: local writes are not re-encoded (the raw stream is fed instead) */
  following = false;
  readonly replicas = new Set<AttachedReplica>();
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  readonly #byConn = new Map<NodeConnection, AttachedReplica>();
  readonly listeningPorts = new WeakMap<NodeConnection, number>();
  #waiters: Waiter[] = [];
  #ping: NodeJS.Timeout;

  constructor(readonly core: NodeCore, readonly log: Logger) {
    let ticks = 0;
    this.#ping = setInterval(() => {
      if (++ticks % (PING_PERIOD_MS / 1000) === 0 && this.replicas.size > 0 && !this.following) this.feed(encodeCommand(['PING']));
      // repl-timeout: an online replica that stopped acking is gone (also covers a core that cannot report closes)
      const now = Date.now();
      for (const r of [...this.replicas]) {
        if (r.state === 'online' && now - r.ackTime > REPL_TIMEOUT_MS) { this.log.warn({ replica: `${r.ip}:${r.port}` }, 'replica timed out'); this.#drop(r); r.conn.close?.(); }
      }
    }, 1000);
    this.#ping.unref();
  }

  /** WriteListener of the core */
  onWrite(argv: Buffer[]): void {
    if (this.following || this.backlog === null) return;
    this.feed(encodeCommand(argv));
  }

  /** Append bytes to the replication stream (ours, or the raw stream of our master). */
  feed(buf: Buffer): void {
    if (this.backlog === null) this.backlog = new Backlog(BACKLOG_SIZE, this.offset);
    this.offset += buf.length;
    this.backlog.append(buf);
    for (const r of this.replicas) r.send(buf);
  }

  /** PSYNC <replid> <offset> / SYNC from a replica: +CONTINUE or +FULLRESYNC + snapshot. */
  psync(conn: NodeConnection, replid: string | null, wantOffset: number): void {
    if (this.backlog === null) this.backlog = new Backlog(BACKLOG_SIZE, this.offset);
    const r = new AttachedReplica(conn, conn.remoteAddress.replace(/^::ffff:/, ''), this.listeningPorts.get(conn) ?? conn.remotePort);
    this.replicas.add(r);
    this.#byConn.set(conn, r);
    const scanner = new RequestScanner();
    conn.detachAsReplica({
      onData: (chunk) => {
        try {
          scanner.feed(chunk, { onRequest: (b, _s, _e, argc, args) => {
            const argv: Buffer[] = [];
            for (let i = 0; i < argc; i++) argv.push(b.subarray(args[2 * i]!, args[2 * i + 1]!));
            this.replconf(conn, argv);
          } });
        } catch { this.#drop(r); conn.close?.(); }
      },
      onClose: () => this.#drop(r),
    });
    const want = wantOffset - 1; // PSYNC names the next byte wanted, 1-based like Redis
    const canContinue = replid !== null && (replid === this.replid || (replid === this.replid2 && want <= this.secondOffset))
      && this.backlog.from(want) !== null;
    if (canContinue) {
      this.syncPartialOk++;
      conn.write(`+CONTINUE ${this.replid}\r\n`);
      r.ackOffset = want;
      r.send(this.backlog.from(want)!);
      r.goOnline();
      this.log.info({ replica: `${r.ip}:${r.port}`, offset: want }, 'partial resynchronization accepted');
      return;
    }
    this.syncFull++;
    if (replid !== null && replid !== '?') this.syncPartialErr++;
    if (replid !== null) conn.write(`+FULLRESYNC ${this.replid} ${this.offset}\r\n`);
    const chunks: Buffer[] = [];
    const job = new SnapshotJob(this.core.keyspace, hubFor(this.core.keyspace), (c) => { chunks.push(c); },
      { aux: { 'repl-id': this.replid, 'repl-offset': String(this.offset), ...this.core.snapshotAux?.() } });
    r.job = job;
    r.ackOffset = this.offset;
    job.run().then((res) => {
      r.job = null;
      if (!this.replicas.has(r)) return;
      conn.write(`$${res.bytes}\r\n`);
      for (const c of chunks) conn.write(c);
      chunks.length = 0;
      r.goOnline();
      this.log.info({ replica: `${r.ip}:${r.port}`, keys: res.entries, bytes: res.bytes, ms: res.ms }, 'full sync snapshot sent');
    }, () => { r.job = null; });
  }

  /** REPLCONF from a replica link (or from a client connection for listening-port/capa). Returns the reply, or null for none. */
  replconf(conn: NodeConnection, argv: Buffer[]): string | null {
    const sub = argv[1]?.toString('latin1').toLowerCase();
    if (sub === 'ack') {
      const r = this.#byConn.get(conn);
      const off = Number(argv[2]?.toString('latin1'));
      if (r && Number.isFinite(off)) {
        r.ackOffset = Math.max(r.ackOffset, off);
        r.ackTime = Date.now();
        this.#checkWaiters();
      }
      return null;
    }
    if (sub === 'listening-port') {
      const p = Number(argv[2]?.toString('latin1'));
      if (Number.isInteger(p)) this.listeningPorts.set(conn, p);
    }
    return 'OK';
  }

  #drop(r: AttachedReplica): void {
    if (!this.replicas.delete(r)) return;
    this.#byConn.delete(r.conn);
    r.job?.cancel();
    this.log.info({ replica: `${r.ip}:${r.port}` }, 'replica connection lost');
    this.#checkWaiters();
  }

  /** close every replica link (we are becoming a replica ourselves) */
  dropAll(): void {
    for (const r of [...this.replicas]) { this.#drop(r); r.conn.close?.(); }
  }

  acked(target: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === 'online' && r.ackOffset >= target) n++;
    return n;
  }

  /** WAIT numreplicas timeoutMs: how many replicas acknowledged everything written so far. */
  wait(n: number, timeoutMs: number): Promise<number> {
    const target = this.offset;
    const now = this.acked(target);
    if (now >= n) return Promise.resolve(now);
    // ask for ACKs right away instead of waiting for the next periodic one
    if (this.backlog !== null) this.feed(encodeCommand(['REPLCONF', 'GETACK', '*']));
    return new Promise((resolve) => {
      const w: Waiter = { target, n, resolve, timer: null };
      if (timeoutMs > 0) w.timer = setTimeout(() => this.#finish(w), timeoutMs);
      this.#waiters.push(w);
    });
  }

  #finish(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    this.#waiters = this.#waiters.filter((x) => x !== w);
    w.resolve(this.acked(w.target));
  }

  #checkWaiters(): void {
    for (const w of [...this.#waiters]) if (this.acked(w.target) >= w.n) this.#finish(w);
  }

  /** Become a master after following one: keep the offset, new id, the old one accepted as replid2. */
  promote(): void {
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = newReplId();
    this.following = false;
  }

  /** Adopt the id and offset of the master we just synced with. */
  adopt(replid: string, offset: number): void {
    this.replid = replid;
    this.replid2 = '0'.repeat(40);
    this.secondOffset = -1;
    this.offset = offset;
    this.backlog = new Backlog(BACKLOG_SIZE, offset);
  }

  close(): void {
    clearInterval(this.#ping);
    for (const w of [...this.#waiters]) this.#finish(w);
    this.dropAll();
  }
}
