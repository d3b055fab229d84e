// Connections from the node to MIGRATE targets: one cached socket per
// (host, port, credentials), closed after 10 s unused (as Redis does) or on any
// I/O failure. exchange() writes a batch of pipelined commands and frames the
// replies with the shared ReplyScanner, under an idle timeout. It reports I/O
// failures by the phase Redis names in its IOERR texts (connecting = the address
// did not resolve, writing = refused / connect timeout / write stalled, reading
// = no or broken reply). Knows nothing of keys or the keyspace.
import net from 'node:net';
import { ReplyScanner } from '../../resp/reply-scanner.js';

export type IoPhase = 'connecting' | 'writing' | 'reading';
/** The replies that arrived (all of them when failure is null) and, when the exchange broke, how. */
export interface ExchangeResult { replies: Buffer[]; failure: { phase: IoPhase; timedOut: boolean } | null }

const IDLE_CLOSE_MS = 10_000;
const MAX_CACHED = 64;

class TargetLink {
  readonly sock: net.Socket;
  /** the database the last successful exchange SELECTed; null = unknown (send SELECT) */
  db: number | null = null;
  #connected = false;
  #idle: NodeJS.Timeout | null = null;
  #pending: { want: number; got: Buffer[]; written: boolean; done(r: ExchangeResult): void } | null = null;
  #closed = false;
  readonly #scanner = new ReplyScanner();

  constructor(host: string, port: number, readonly onGone: (l: TargetLink) => void) {
    this.sock = net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.sock.on('connect', () => { this.#connected = true; });
    this.sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.sock.on('timeout', () => this.#fail(true, null));
    this.sock.on('error', (err: NodeJS.ErrnoException) => this.#fail(false, err));
    this.sock.on('close', () => this.#fail(false, null));
  }

  get closed(): boolean { return this.#closed; }

  exchange(payload: Buffer, want: number, timeoutMs: number): Promise<ExchangeResult> {
    if (this.#idle !== null) { clearTimeout(this.#idle); this.#idle = null; }
    return new Promise((done) => {
      const p = { want, got: [] as Buffer[], written: false, done };
      this.#pending = p;
      this.sock.setTimeout(timeoutMs);
      this.sock.write(payload, (err) => { if (!err) p.written = true; });
    });
  }

  #onData(chunk: Buffer): void {
    const p = this.#pending;
    if (p === null) { this.close(); return; } // a reply nobody asked for: the stream is out of step
    try {
      this.#scanner.feed(chunk, { onReply: (b, s, e) => { p.got.push(Buffer.from(b.subarray(s, e))); } });
    } catch { this.#fail(false, null); return; }
    if (p.got.length >= p.want) {
      this.#pending = null;
      this.sock.setTimeout(0);
      this.#idle = setTimeout(() => this.close(), IDLE_CLOSE_MS);
      this.#idle.unref();
      p.done({ replies: p.got.slice(0, p.want), failure: null });
    }
  }

  #fail(timedOut: boolean, err: NodeJS.ErrnoException | null): void {
    const p = this.#pending;
    this.#pending = null;
    this.close();
    if (p === null) return;
    let phase: IoPhase = p.written && this.#connected ? 'reading' : 'writing';
    if (err !== null && !this.#connected && (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.syscall === 'getaddrinfo')) phase = 'connecting';
    p.done({ replies: p.got, failure: { phase, timedOut } });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.sock.destroy();
    this.onGone(this);
  }
}

/** The cache of target connections of one node. */
export class TargetLinks {
  readonly #links = new Map<string, TargetLink>();

  /** A cached or new connection; `fresh` forces a new one (the retry after a stale socket failed). */
  get(host: string, port: number, credentials: string, fresh: boolean): TargetLink {
    const id = `${host}\n${port}\n${credentials}`;
    const old = this.#links.get(id);
    if (old !== undefined && !old.closed && !fresh) return old;
    old?.close();
    if (this.#links.size >= MAX_CACHED) this.#links.values().next().value?.close();
    const link = new TargetLink(host, port, (l) => { if (this.#links.get(id) === l) this.#links.delete(id); });
    this.#links.set(id, link);
    return link;
  }

  get size(): number { return this.#links.size; }

  closeAll(): void { for (const l of [...this.#links.values()]) l.close(); }
}

export type { TargetLink };
