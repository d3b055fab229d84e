// Sockets of `shardgate node`: accepts connections, scans requests with the
// shared RequestScanner, dispatches to NodeState, and writes replies in
// request order (batched per read chunk, one socket.write per batch; reading
// pauses while the socket needs draining). A client blocked in BLPOP queues its
// later requests until the pop is served; while another client's MIGRATE holds
// the node, a connection queues its requests and parks until the hold is
// released. Must not know command semantics.
import net from 'node:net';
import type { Logger } from 'pino';
import { RequestScanner } from '../resp/request-scanner.js';
import { writeBuffer, Wrote } from '../proxy/socket-write.js';
import { readAccepted } from '../proxy/socket-read.js';
import type { RequestSink } from '../resp/types.js';
import { NO_REPLY, type NodeConnection } from './contracts.js';
import { encodeReply, type NodeReply } from './reply.js';
import { ownArguments } from './request-args.js';
import type { ClientState } from './commands/types.js';
import type { NodeState } from './state.js';

const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');

class Connection implements RequestSink {
  readonly #scanner = new RequestScanner();
  readonly client: ClientState;
  #out: Buffer[] = [];
  #inFeed = false;
  #scheduled = false;
  #waiting = false;
  #queue: Buffer[][] = [];
  /** parked until another client's MIGRATE releases the node */
  #parked = false;
  #quitting = false;
  #detached: { onData(chunk: Buffer): void; onClose(): void } | null = null;
  #isDetached = false;
  readonly nodeConn: NodeConnection;

  constructor(readonly sock: net.Socket, readonly node: NodeState) {
    const addr = `${sock.remoteAddress}:${sock.remotePort}`;
    this.client = node.newClient({ internal: false, addr, laddr: `${sock.localAddress}:${sock.localPort}`, push: (r) => this.send(encodeReply(r, this.client.protocol)) });
    this.client.close = () => { this.#quitting = true; };
    this.nodeConn = {
      write: (b) => { this.flush(); return sock.write(b); },
      detachAsReplica: (events) => { this.flush(); this.#isDetached = true; this.#detached = events ?? null; this.node.dropClient(this.client); },
      close: () => sock.destroy(),
      remoteAddress: sock.remoteAddress ?? '',
      remotePort: sock.remotePort ?? 0,
    };
    this.client.conn = this.nodeConn;
    sock.setNoDelay(true);
    // Reads land in the proxy's shared buffer (no Buffer, Readable push or nextTick per read): a chunk is
    // valid only during #onData, so each request is copied out before its arguments are used (below).
    readAccepted(sock, (chunk: Buffer) => this.#onData(chunk));
    sock.on('drain', () => sock.resume());
    sock.on('error', () => {});
    sock.on('close', () => {
      node.dropClient(this.client);
      this.#detached?.onClose();
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#isDetached) { this.#detached?.onData(Buffer.from(chunk)); return; }
    this.#inFeed = true;
    try {
      this.#scanner.feed(chunk, this);
    } catch (err) {
      this.#out.push(Buffer.from(`-ERR ${(err as Error).message.replace(/[\r\n]+/g, ' ')}\r\n`));
      this.#quitting = true;
    }
    this.#inFeed = false;
    this.flush();
  }

  onRequest(buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
    if (this.#isDetached) { this.#detached?.onData(Buffer.from(buf.subarray(start, end))); return; }
    if (argc === 0 || this.#quitting) return;
    const argv = ownArguments(buf, start, end, argc, args);
    if (this.#waiting || this.#parked) { this.#queue.push(argv); return; }
    if (this.node.mustWait(this.client)) { this.#queue.push(argv); this.#park(); return; }
    this.#run(argv);
  }

  #run(argv: Buffer[]): void {
    const r = this.node.dispatch(this.client, argv);
    if (r === NO_REPLY) return;
    if (r instanceof Promise) {
      this.#waiting = true;
      r.then((x) => this.#resume(x), () => this.#resume(null));
      return;
    }
    this.#reply(r);
  }

  #reply(r: NodeReply): void {
    this.#out.push(r === 'OK' ? OK : r === null && this.client.protocol === 2 ? NIL : encodeReply(r, this.client.protocol));
  }

  #resume(r: NodeReply): void {
    this.#waiting = false;
    if (this.sock.destroyed) return;
    this.#reply(r);
    this.#pump();
    this.flush();
  }

  /** Run queued requests until one blocks, the connection quits, or another client holds the node. */
  #pump(): void {
    while (this.#queue.length > 0 && !this.#waiting && !this.#quitting) {
      if (this.node.mustWait(this.client)) { this.#park(); return; }
      this.#run(this.#queue.shift()!);
    }
  }

  #park(): void {
    if (this.#parked) return;
    this.#parked = true;
    this.node.whenReleased(() => {
      this.#parked = false;
      if (this.sock.destroyed) return;
      this.#pump();
      this.flush();
    });
  }

  send(b: Buffer): void {
    this.#out.push(b);
    if (!this.#inFeed && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => { this.#scheduled = false; this.flush(); });
    }
  }

  flush(): void {
    if (this.#out.length > 0 && !this.sock.destroyed) {
      const data = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out);
      this.#out = [];
      this.node.stats.netOut += data.length;
      // Straight to the socket's handle, as the proxy writes (no Writable bookkeeping per reply at pipeline 1).
      if (writeBuffer(this.sock, data) === Wrote.Blocked) this.sock.pause();
    }
    if (this.#quitting && !this.sock.destroyed) this.sock.end();
  }
}

export interface NodeServer {
  readonly server: net.Server;
  /** Stop accepting connections (idempotent); resolves once the listener and every socket closed. */
  stopAccepting(): Promise<void>;
  /** Stop accepting and destroy every socket still open (clients and replica links). */
  close(): Promise<void>;
}

export function createNodeServer(node: NodeState, log: Logger): NodeServer {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    node.stats.connections++;
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    new Connection(sock, node);
  });
  server.on('error', (err) => log.error({ err }, 'node server error'));
  let closed: Promise<void> | null = null;
  const stopAccepting = (): Promise<void> => (closed ??= new Promise<void>((resolve) => { server.close(() => resolve()); }));
  return {
    server,
    stopAccepting,
    close: () => {
      const p = stopAccepting();
      for (const s of sockets) s.destroy();
      return p;
    },
  };
}
