// A tiny RESP2 client for the harness's side work (SET keys, DBSIZE, EXISTS,
// FLUSHALL, checks). Owns: encoding commands and decoding replies in order.
// Must not: be used for measured load (redis-benchmark and the clients/ do that).
import net from 'node:net';

export function encode(args) {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) {
    const s = String(a);
    parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
  }
  return parts.join('');
}

/** Decodes one reply at `off`: [value, nextOffset], or null when incomplete. Errors decode to Error. */
export function decodeReply(buf, off) {
  if (off >= buf.length) return null;
  const eol = buf.indexOf('\r\n', off);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[off]);
  const line = buf.toString('utf8', off + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+': return [line, next];
    case '-': return [new Error(line), next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const arr = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = decodeReply(buf, p);
        if (!r) return null;
        arr.push(r[0]);
        p = r[1];
      }
      return [arr, p];
    }
    default: throw new Error(`bad RESP type byte ${JSON.stringify(type)}`);
  }
}

export class MiniClient {
  #sock;
  #buf = Buffer.alloc(0);
  #waiting = [];
  #closed = null;

  constructor(sock) {
    this.#sock = sock;
    sock.on('data', (d) => this.#onData(d));
    sock.on('error', (e) => { this.#closed = e; });
    sock.on('close', () => this.#failAll(this.#closed ?? new Error('connection closed')));
  }

  static connect(port, host = '127.0.0.1', timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      const t = setTimeout(() => { sock.destroy(); reject(new Error(`connect ${host}:${port} timed out`)); }, timeoutMs);
      sock.once('connect', () => { clearTimeout(t); sock.removeAllListeners('error'); resolve(new MiniClient(sock)); });
      sock.once('error', (e) => { clearTimeout(t); reject(e); });
    });
  }

  /** Sends one command; resolves with its reply (a RESP error resolves to an Error object). */
  command(...args) {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#sock.write(encode(args));
    });
  }

  close() { this.#sock.destroy(); }

  #onData(d) {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
    let off = 0;
    for (;;) {
      const r = decodeReply(this.#buf, off);
      if (!r) break;
      off = r[1];
      const w = this.#waiting.shift();
      if (w) w.resolve(r[0]);
    }
    this.#buf = this.#buf.subarray(off);
  }

  #failAll(err) {
    this.#closed = err;
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }
}

/** Opens a connection, runs the commands in order, closes; returns the replies. */
export async function commands(port, list) {
  const c = await MiniClient.connect(port);
  try {
    const out = [];
    for (const args of list) out.push(await c.command(...args));
    return out;
  } finally {
    c.close();
  }
}
