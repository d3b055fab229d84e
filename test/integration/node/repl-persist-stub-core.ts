// A deliberately tiny NodeCore (strings only: SET [PXAT], GET, MGET, DEL, INCR,
// DBSIZE, PING, INFO) over a real TCP server, written to the contracts in
// src/node/contracts.ts, so persistence and replication can be exercised
// in-process before/independently of the real core. Not a Redis mock: tests
// only use it to check OUR modules against the contract; behaviour tests
// against the real node run through bin/shardgate.js when it exists.
import net from 'node:net';
import { RequestScanner } from '../../../src/resp/request-scanner.js';
import {
  NO_REPLY, ReplyError, type CommandSpec, type KeyspaceSnapshotSource, type NodeConnection, type NodeCore,
  type NodeOptions, type Reply, type WriteListener,
} from '../../../src/node/contracts.js';

type Hook = ((key: string, oldPayload: Buffer | null, oldExpiresAtMs: number) => void) | null;

class StubKeyspace implements KeyspaceSnapshotSource {
  readonly map = new Map<string, { v: Buffer; exp: number }>();
  hook: Hook = null;
  get size(): number { return this.map.size; }
  *entries(): IterableIterator<[string, Buffer, number]> {
    const now = Date.now();
    for (const [k, { v, exp }] of this.map) if (exp === 0 || exp > now) yield [k, v, exp];
  }
  setBeforeWriteHook(h: Hook): void { this.hook = h; }
  restore(k: string, p: Buffer, e: number): void { this.map.set(k, { v: Buffer.from(p), exp: e }); }
  flushAll(): void { this.map.clear(); }
  before(k: string): void {
    if (!this.hook) return;
    const o = this.map.get(k);
    this.hook(k, o ? o.v : null, o ? o.exp : 0);
  }
}

export const DEFAULT_OPTIONS: NodeOptions = {
  port: 0, bind: '127.0.0.1', dir: '.', appendonly: false, appendfsync: 'everysec', appendfilename: 'appendonly.aof',
  dbfilename: 'dump.sgdb', save: null, maxmemory: 0, maxmemoryPolicy: 'noeviction', maxmemorySamples: 5,
  replicaof: null, requirepass: null, masterauth: null, aofLoadTruncated: true,
};

export class StubCore implements NodeCore {
  readonly keyspace = new StubKeyspace();
  readonly options: NodeOptions;
  readonly #listeners = new Set<WriteListener>();
  readonly #commands = new Map<string, CommandSpec>();
  readonly #info = new Map<string, () => Record<string, string | number>>();
  readOnly = false;
  server: net.Server | null = null;
  readonly #sockets = new Set<net.Socket>();

  constructor(opts: Partial<NodeOptions>) { this.options = { ...DEFAULT_OPTIONS, ...opts }; }

  addWriteListener(l: WriteListener): () => void { this.#listeners.add(l); return () => this.#listeners.delete(l); }
  registerCommand(spec: CommandSpec): void { this.#commands.set(spec.name, spec); }
  registerInfoSection(name: string, render: () => Record<string, string | number>): void { this.#info.set(name, render); }
  setReadOnly(ro: boolean): void { this.readOnly = ro; }
  execute(argv: Buffer[]): Reply | Promise<Reply> { const r = this.#run(argv, true, null); return r === NO_REPLY ? null : r; }

  #emit(argv: (Buffer | string)[]): void {
    const a = argv.map((x) => (typeof x === 'string' ? Buffer.from(x) : x));
    for (const l of this.#listeners) l.onWrite(a);
  }

  #run(argv: Buffer[], internal: boolean, conn: NodeConnection | null): Reply | Promise<Reply> | typeof NO_REPLY {
    const name = argv[0]!.toString('latin1').toLowerCase();
    const ks = this.keyspace;
    const key = argv[1]?.toString('latin1') ?? '';
    const writes = new Set(['set', 'del', 'incr']);
    if (writes.has(name) && this.readOnly && !internal) return new ReplyError("READONLY You can't write against a read only replica.");
    switch (name) {
      case 'ping': return 'PONG';
      case 'get': { const e = ks.map.get(key); return e && (e.exp === 0 || e.exp > Date.now()) ? e.v : null; }
      case 'dbsize': return ks.map.size;
      case 'mget': return argv.slice(1).map((k) => ks.map.get(k.toString('latin1'))?.v ?? null);
      case 'set': {
        const i = argv.findIndex((a, j) => j > 2 && a.toString().toLowerCase() === 'pxat');
        const exp = i > 0 ? Number(argv[i + 1]!.toString()) : 0;
        ks.before(key);
        ks.map.set(key, { v: Buffer.from(argv[2]!), exp });
        this.#emit(argv);
        return 'OK';
      }
      case 'del': {
        let n = 0;
        for (const k of argv.slice(1)) { const s = k.toString('latin1'); if (ks.map.has(s)) { ks.before(s); ks.map.delete(s); n++; } }
        if (n > 0) this.#emit(argv);
        return n;
      }
      case 'incr': {
        const e = ks.map.get(key);
        const v = (e ? Number(e.v.toString()) : 0) + 1;
        ks.before(key);
        ks.map.set(key, { v: Buffer.from(String(v)), exp: e?.exp ?? 0 });
        this.#emit(argv);
        return v;
      }
      case 'info': {
        const want = argv[1]?.toString().toLowerCase();
        let s = '';
        for (const [n, r] of this.#info) {
          if (want && want !== n) continue;
          s += `# ${n}\r\n` + Object.entries(r()).map(([k, v]) => `${k}:${v}`).join('\r\n') + '\r\n';
        }
        return Buffer.from(s);
      }
      default: {
        const spec = this.#commands.get(name);
        if (!spec) return new ReplyError(`ERR unknown command '${name}'`);
        const ctx = { id: 0, protocol: 2 as const, name: null, internal };
        return spec.handler(ctx, argv, conn ?? (null as unknown as NodeConnection));
      }
    }
  }

  async listen(): Promise<number> {
    this.server = net.createServer((sock) => this.#serve(sock));
    await new Promise<void>((r) => this.server!.listen(this.options.port, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** drop every client connection, replica links included */
  dropConnections(): void { for (const s of this.#sockets) s.destroy(); }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  #serve(sock: net.Socket): void {
    this.#sockets.add(sock);
    sock.setNoDelay(true);
    const scanner = new RequestScanner();
    let detached: { onData(c: Buffer): void; onClose(): void } | null = null;
    let chain: Promise<void> = Promise.resolve();
    const conn: NodeConnection = {
      write: (b) => sock.write(b),
      detachAsReplica: (ev) => { detached = ev ?? { onData() {}, onClose() {} }; },
      close: () => sock.destroy(),
      remoteAddress: sock.remoteAddress ?? '',
      remotePort: sock.remotePort ?? 0,
    };
    sock.on('close', () => { this.#sockets.delete(sock); detached?.onClose(); });
    sock.on('error', () => {});
    sock.on('data', (chunk) => {
      if (detached) return detached.onData(chunk);
      scanner.feed(chunk, { onRequest: (b, _s, _e, argc, args) => {
        const argv: Buffer[] = [];
        for (let i = 0; i < argc; i++) argv.push(Buffer.from(b.subarray(args[2 * i]!, args[2 * i + 1]!)));
        chain = chain.then(async () => {
          if (detached) return;
          const r = this.#run(argv, false, conn);
          if (r === NO_REPLY) return;
          sock.write(encodeReply(r instanceof Promise ? await r : r));
        });
      } });
    });
  }
}

export function encodeReply(r: Reply): Buffer {
  if (r === null) return Buffer.from('$-1\r\n');
  if (typeof r === 'number' || typeof r === 'bigint') return Buffer.from(`:${r}\r\n`);
  if (typeof r === 'string') return Buffer.from(`+${r}\r\n`);
  if (Buffer.isBuffer(r)) return Buffer.concat([Buffer.from(`$${r.length}\r\n`), r, Buffer.from('\r\n')]);
  if (Array.isArray(r)) return Buffer.concat([Buffer.from(`*${r.length}\r\n`), ...r.map(encodeReply)]);
  if (r instanceof ReplyError) return Buffer.from(`-${r.message}\r\n`);
  throw new Error('stub core: reply type not supported');
}
