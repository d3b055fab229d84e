// Incremental RESP reply scanner: backend bytes in, whole replies out as raw
// byte ranges (any RESP2/RESP3 type, nested aggregates and attributes
// included). It does not decode values: the proxy forwards reply bytes as they
// came and decodes only the few it merges (src/resp/reply-read.ts).
// Resumable across chunks like the request scanner; never touches a socket and
// never keeps a reference to a chunk after feed() returns.
import { ProtocolError } from '../errors/index.js';
import { DEFAULT_LIMITS, type ReplySink, type RespLimits } from './types.js';

const CR = 13;
const LF = 10;

export class ReplyScanner {
  readonly #maxBulk: number;
  #pending: Buffer | null = null;
  #more: Buffer[] = [];
  #moreLen = 0;
  #need = 0;
  /** Offset (relative to frame start) of the next element to scan. */
  #pos = 0;
  /** Elements still expected at each open aggregate level. */
  #stack: number[] = [];
  #failed = false;

  constructor(limits: Partial<RespLimits> = {}) {
    this.#maxBulk = limits.maxBulkLength ?? DEFAULT_LIMITS.maxBulkLength;
  }

  get pendingBytes(): number {
    return (this.#pending?.length ?? 0) + this.#moreLen;
  }

  /** Throws ProtocolError on malformed input; the scanner is then unusable. */
  feed(chunk: Buffer, sink: ReplySink): void {
    if (this.#failed) throw new ProtocolError('connection already failed');
    let buf: Buffer;
    if (this.#pending !== null) {
      const total = this.#pending.length + this.#moreLen + chunk.length;
      if (total < this.#need) {
        this.#more.push(Buffer.from(chunk));
        this.#moreLen += chunk.length;
        return;
      }
      buf = Buffer.concat([this.#pending, ...this.#more, chunk], total);
      this.#pending = null;
      this.#more = [];
      this.#moreLen = 0;
    } else {
      buf = chunk;
    }
    const len = buf.length;
    let base = 0;
    try {
      while (base < len) {
        const end = this.#frame(buf, base);
        if (end < 0) {
          // The caller's chunk is only lent for this call (it may be a reused read buffer): copy what is kept.
          this.#pending = buf === chunk ? Buffer.from(buf.subarray(base)) : base === 0 ? buf : buf.subarray(base);
          this.#need = -end;
          return;
        }
        this.#pos = 0;
        sink.onReply(buf, base, end);
        base = end;
      }
    } catch (err) {
      this.#failed = true;
      this.#pending = null;
      throw err;
    }
  }

  /** End of the reply at base, or -(bytes needed from base). */
  #frame(buf: Buffer, base: number): number {
    const len = buf.length;
    const stack = this.#stack;
    let p = base + this.#pos;
    for (;;) {
      if (p >= len) { this.#pos = p - base; return -(p + 1 - base); }
      const type = buf[p];
      // Line end.
      let q = p + 1;
      while (q < len && buf[q] !== CR) q++;
      if (q + 1 >= len) {
        if (q - p > this.#maxLine(type)) throw new ProtocolError('reply line too long');
        this.#pos = p - base;
        return -(q + 2 - base);
      }
      if (buf[q + 1] !== LF) throw new ProtocolError(`expected CRLF after '${String.fromCharCode(type)}' line`);
      let next = q + 2;
      switch (type) {
        case 43: case 45: case 58: case 44: case 35: case 40: case 95: // + - : , # ( _
          break;
        case 36: case 33: case 61: { // $ ! =  (bulk, blob error, verbatim)
          const n = readLen(buf, p + 1, q);
          if (n === -1 && type === 36) break;
          if (n < 0 || n > this.#maxBulk) throw new ProtocolError('invalid bulk length in reply');
          next = q + 2 + n + 2;
          if (next > len) { this.#pos = p - base; return -(next - base); }
          break;
        }
        case 42: case 126: case 62: case 37: case 124: { // * ~ > % |
          const n = readLen(buf, p + 1, q);
          if (n < -1) throw new ProtocolError('invalid aggregate length in reply');
          if (n > 0) {
            const count = type === 37 ? n * 2 : type === 124 ? n * 2 + 1 : n;
            stack.push(count);
            p = next;
            continue;
          }
          if (type === 124) throw new ProtocolError('empty attribute in reply');
          break;
        }
        default:
          throw new ProtocolError(`unknown reply type '${type >= 32 && type < 127 ? String.fromCharCode(type) : type}'`);
      }
      p = next;
      // One element finished: close every aggregate it completes.
      while (stack.length > 0) {
        const top = stack.length - 1;
        if (--stack[top] > 0) break;
        stack.pop();
      }
      if (stack.length === 0) return p;
    }
  }

  #maxLine(type: number): number {
    // Simple strings and errors can be long-ish; headers are short.
    return type === 43 || type === 45 || type === 44 || type === 40 ? 64 * 1024 * 1024 : 64;
  }
}

/** Parse a decimal (optionally negative) in buf[from,to); NaN-free: returns -2 on garbage. */
export function readLen(buf: Buffer, from: number, to: number): number {
  if (from >= to) return -2;
  let neg = false;
  let i = from;
  if (buf[i] === 45) { neg = true; i++; }
  if (i >= to) return -2;
  let n = 0;
  for (; i < to; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) return -2;
    n = n * 10 + (c - 48);
  }
  return neg ? (n === 1 ? -1 : -2) : n;
}
