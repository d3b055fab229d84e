// A connection in pub/sub mode for the control plane (following Redis
// Sentinel's `+switch-master`): connects, SUBSCRIBEs to its channels and
// emits each message. Apart from RedisConnection because replies here are
// not matched to commands: after SUBSCRIBE the server pushes. Must not:
// reconnect by itself (its owner makes a new one and re-reads what it may
// have missed), or send anything but AUTH and SUBSCRIBE.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { encodeCommand } from '../resp/encode.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { decodeReply, RespError } from '../resp/reply-value.js';
import { RedisConnectionError } from './connection.js';

type Events = {
  /** every channel is subscribed */
  subscribed: [];
  message: [channel: string, payload: string];
  close: [error: RedisConnectionError | null];
};

export class RedisSubscriber extends EventEmitter<Events> {
  readonly label: string;
  readonly #sock: net.Socket;
  readonly #scanner = new ReplyScanner();
  #closed = false;
  #pendingSubscribes: number;

  constructor(address: { host: string; port: number }, channels: readonly string[], opts: { auth?: string | null; connectTimeoutMs?: number } = {}) {
    super();
    this.label = `${address.host}:${address.port}`;
    this.#pendingSubscribes = channels.length;
    const sock = net.connect({ host: address.host, port: address.port });
    this.#sock = sock;
    sock.setNoDelay(true);
    const timer = setTimeout(() => this.#fail(new RedisConnectionError('ETIMEDOUT', `${this.label}: not subscribed within ${opts.connectTimeoutMs ?? 3000} ms`)), opts.connectTimeoutMs ?? 3000);
    timer.unref();
    this.once('subscribed', () => clearTimeout(timer));
    this.once('close', () => clearTimeout(timer));
    sock.on('data', (chunk: Buffer) => {
      try {
        this.#scanner.feed(chunk, { onReply: (buf, start, end) => this.#onReply(decodeReply(buf, start, end)) });
      } catch (err) {
        this.#fail(new RedisConnectionError('EPROTO', `bad reply from ${this.label}: ${(err as Error).message}`));
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => this.#fail(new RedisConnectionError(err.code ?? 'ECLOSED', `${this.label}: ${err.message}`)));
    sock.on('close', () => this.#fail(new RedisConnectionError('ECLOSED', `${this.label} closed the connection`)));
    if (opts.auth) sock.write(encodeCommand(['AUTH', opts.auth]));
    sock.write(encodeCommand(['SUBSCRIBE', ...channels]));
  }

  #onReply(v: ReturnType<typeof decodeReply>): void {
    if (v instanceof RespError) {
      this.#fail(new RedisConnectionError(v.code === 'NOAUTH' || v.code === 'WRONGPASS' ? 'EAUTH' : 'ESETUP', `${this.label} refused: ${v.message}`));
      return;
    }
    if (v === 'OK') return; // AUTH
    if (!Array.isArray(v) || v.length < 3) return;
    const kind = String(v[0]);
    if (kind === 'subscribe') {
      if (--this.#pendingSubscribes === 0) this.emit('subscribed');
    } else if (kind === 'message') {
      this.emit('message', String(v[1]), String(v[2]));
    }
  }

  #fail(err: RedisConnectionError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.destroy();
    this.emit('close', err);
  }

  close(): void {
    this.#fail(null);
  }
}
