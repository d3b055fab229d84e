// The replica side: one link to a master. Handshake (AUTH, PING, REPLCONF
// listening-port/capa, PSYNC), full sync payload ($<len> + our snapshot
// format) or +CONTINUE, then the master's command stream applied through
// core.execute(), REPLCONF ACK every second, reconnect with backoff. While the
// link is down the old data keeps being served (stale reads).
//
// The handshake replies and the payload header are parsed by hand here, not
// with ReplyScanner: the payload is `$<len>\r\n<bytes>` WITHOUT a trailing CRLF
// (as in Redis), so it is not a RESP reply; the stream after it is parsed with
// RequestScanner. Must not accept connections or decide roles (index.ts does).
import net from 'node:net';
import type { Logger } from 'pino';
import { encodeCommand } from '../../resp/encode.js';
import { RequestScanner } from '../../resp/request-scanner.js';
import type { NodeCore } from '../contracts.js';
import { notifyDatasetReplaced } from '../persistence/persistence.js';
import { decodeSnapshot } from '../persistence/snapshot-format.js';
import { applySnapshotAux } from '../persistence/load.js';
import type { MasterSide } from './master.js';
import { ownArguments } from '../request-args.js';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';
const TIMEOUT_MS = 60_000;
const LF = 10;

export class ReplicaLink {
  state: LinkState = 'connect';
  lastIo = Date.now();
  downSince = Date.now();
  syncTotal = 0;
  syncRead = 0;
  fullSyncs = 0;
  #sock: net.Socket | null = null;
  #attempt = 0;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;
  #timer: NodeJS.Timeout;
  // parser state
  #mode: 'lines' | 'bulkhead' | 'payload' | 'stream' = 'lines';
  #buf: Buffer = Buffer.alloc(0);
  #linesLeft = 0;
  #payload: Buffer[] = [];
  #syncId = '';
  #syncOffset = 0;
  #scanner = new RequestScanner();
  #queue: { argv: Buffer[]; raw: Buffer }[] = [];
  #busy = false;

  constructor(readonly core: NodeCore, readonly master: MasterSide, readonly host: string, readonly port: number, readonly log: Logger) {
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#timer.unref();
  }

  get linkUp(): boolean { return this.state === 'connected'; }

  start(): void { this.#connect(); }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    this.#sock?.destroy();
    this.#sock = null;
  }

  #connect(): void {
    if (this.#stopped) return;
    this.state = 'connecting';
    this.#mode = 'lines';
    this.#buf = Buffer.alloc(0);
    this.#scanner = new RequestScanner();
    this.#queue = [];
    const sock = net.connect({ host: this.host, port: this.port });
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on('connect', () => {
      this.state = 'handshake';
      this.lastIo = Date.now();
      const o = this.core.options;
      const m = this.master;
      const cmds: (string | Buffer)[][] = [];
      if (o.masterauth) cmds.push(['AUTH', o.masterauth]);
      cmds.push(['PING'], ['REPLCONF', 'listening-port', String(o.port)], ['REPLCONF', 'capa', 'psync2']);
      const known = m.replid !== '' && m.backlog !== null;
      cmds.push(['PSYNC', known ? m.replid : '?', known ? String(m.offset + 1) : '-1']);
      this.#linesLeft = cmds.length;
      sock.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
    });
    sock.on('data', (chunk: Buffer) => {
      this.lastIo = Date.now();
      try { this.#onData(chunk); } catch (err) {
        this.log.error({ err: (err as Error).message, master: `${this.host}:${this.port}` }, 'replication link error');
        sock.destroy();
      }
    });
    sock.on('error', () => { /* close follows */ });
    sock.on('close', () => {
      if (this.#sock !== sock) return;
      this.#sock = null;
      if (this.state === 'connected') this.downSince = Date.now();
      this.state = 'connect';
      if (this.#stopped) return;
      const delay = Math.min(5000, 100 * 2 ** this.#attempt++);
      this.#retry = setTimeout(() => this.#connect(), delay);
    });
  }

  #onData(chunk: Buffer): void {
    let data = this.#buf.length > 0 ? Buffer.concat([this.#buf, chunk]) : chunk;
    this.#buf = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#mode === 'stream') { this.#stream(data); return; }
      if (this.#mode === 'payload') {
        const need = this.syncTotal - this.syncRead;
        const take = data.subarray(0, need);
        this.#payload.push(take);
        this.syncRead += take.length;
        data = data.subarray(take.length);
        if (this.syncRead === this.syncTotal) this.#loadPayload();
        continue;
      }
      const nl = data.indexOf(LF);
      if (nl < 0) { this.#buf = data; return; }
      const line = data.toString('latin1', 0, nl).replace(/\r$/, '');
      data = data.subarray(nl + 1);
      if (line === '') continue; // keepalive newline
      if (this.#mode === 'lines') this.#handshakeReply(line);
      else this.#payloadHeader(line);
    }
  }

  #handshakeReply(line: string): void {
    this.#linesLeft--;
    if (this.#linesLeft > 0) {
      if (line.startsWith('-') && /^-(NOAUTH|WRONGPASS|ERR invalid password)/.test(line)) throw new Error(`master refused: ${line.slice(1)}`);
      return; // PONG / OK (REPLCONF errors are ignored like Redis does)
    }
    const [word, id, off] = line.slice(1).split(' ');
    if (line.startsWith('+FULLRESYNC') && id && off) {
      this.#syncId = id;
      this.#syncOffset = Number(off);
      this.#mode = 'bulkhead';
      this.state = 'sync';
    } else if (line.startsWith('+CONTINUE')) {
      if (id && id !== this.master.replid) {
        this.master.replid2 = this.master.replid;
        this.master.secondOffset = this.master.offset + 1;
        this.master.replid = id;
      }
      this.#online();
      this.log.info({ master: `${this.host}:${this.port}`, offset: this.master.offset }, 'partial resynchronization accepted by the master');
    } else {
      throw new Error(`unexpected PSYNC reply: ${line} (${word})`);
    }
  }

  #payloadHeader(line: string): void {
    if (!line.startsWith('$') || !/^\$\d+$/.test(line)) throw new Error(`bad full sync payload header: ${line.slice(0, 40)}`);
    this.syncTotal = Number(line.slice(1));
    this.syncRead = 0;
    this.#payload = [];
    this.#mode = 'payload';
    if (this.syncTotal === 0) this.#loadPayload();
  }

  #loadPayload(): void {
    const buf = Buffer.concat(this.#payload, this.syncTotal);
    this.#payload = [];
    decodeSnapshot(buf, () => {}); // verify everything before dropping the old data
    const ks = this.core.keyspace;
    ks.flushAll();
    const now = Date.now();
    let keys = 0;
    const { aux } = decodeSnapshot(buf, (k, p, e) => {
      if (e !== 0 && e <= now) return;
      ks.restore(k, Buffer.from(p), e);
      keys++;
    });
    applySnapshotAux(this.core, aux, true);
    this.master.adopt(this.#syncId, this.#syncOffset);
    this.fullSyncs++;
    notifyDatasetReplaced(this.core);
    this.log.info({ master: `${this.host}:${this.port}`, keys, bytes: this.syncTotal, offset: this.#syncOffset }, 'full sync loaded');
    this.#online();
  }

  #online(): void {
    this.#mode = 'stream';
    this.state = 'connected';
    this.#attempt = 0;
    this.#sendAck();
  }

  #stream(data: Buffer): void {
    this.#scanner.feed(data, {
      onRequest: (b, s, e, argc, args) => {
        this.#queue.push({ argv: ownArguments(b, s, e, argc, args), raw: b.subarray(s, e) });
      },
    });
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        for (const { argv, raw } of batch) {
          const name = argv[0]!.toString('latin1').toLowerCase();
          if (name === 'replconf' && argv[1]?.toString('latin1').toLowerCase() === 'getack') this.#sendAck();
          else if (name !== 'ping') {
            const r = this.core.execute(argv);
            if (r instanceof Promise) await r;
          }
          this.master.feed(raw);
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  #sendAck(): void {
    this.#sock?.write(encodeCommand(['REPLCONF', 'ACK', String(this.master.offset)]));
  }

  #tick(): void {
    if (this.state === 'connected') this.#sendAck();
    if ((this.state === 'handshake' || this.state === 'sync' || this.state === 'connected') && Date.now() - this.lastIo > TIMEOUT_MS) {
      this.log.warn({ master: `${this.host}:${this.port}` }, 'MASTER timeout: no data nor PING received');
      this.#sock?.destroy();
    }
  }
}
