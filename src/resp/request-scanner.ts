// Incremental RESP request scanner: client bytes in, whole requests out, each
// with its raw byte range and the byte ranges of its arguments. Never copies
// argument bytes of whole requests, never touches a socket, and never keeps a
// reference to a chunk after feed() returns (what it holds of an incomplete
// request is copied), so callers may reuse their read buffer. Accepts RESP arrays of bulk strings
// and inline commands (`PING\r\n`); an inline command is re-encoded as a RESP
// array in a new buffer so callers can forward every request the same way.
//
// Hot path: written with manual integer parsing and a resumable state (a frame
// split across chunks resumes where it stopped instead of rescanning), and
// chunks of a large frame are only concatenated once enough bytes arrived.
// Tests pin it down: test/unit/resp/request-scanner.test.ts (whole, byte by byte,
// random splits, random garbage).
import { ProtocolError } from '../errors/index.js';
import { DEFAULT_LIMITS, type RequestSink, type RespLimits } from './types.js';
import { splitInlineArgs } from './inline.js';
import { encodeCommand } from './encode.js';

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
/** Longest "*<count>" or "$<len>" line Redis tolerates before calling it garbage. */
const MAX_HEADER_LINE = 64 * 1024;

/** Reads shorter than this, held for an incomplete frame, are merged SMALL_RUN at a time. */
const SMALL_CHUNK = 512;
const SMALL_RUN = 64;

/** Argument slots a request's first allocation holds at most (it doubles as arguments arrive). */
const ARGS_FIRST = 2048;

function growArgs(args: Int32Array, most: number): Int32Array {
  const next = new Int32Array(Math.min(most, args.length * 2));
  next.set(args);
  return next;
}

export class RequestScanner {
  readonly #limits: RespLimits;
  /** Bytes of an incomplete frame (starting at the frame's first byte), plus chunks not yet joined to it. */
  #pending: Buffer | null = null;
  #more: Buffer[] = [];
  #moreLen = 0;
  /** how many of #more's last entries are small (a client trickling bytes): merged SMALL_RUN at a time */
  #smallRun = 0;
  /** Fewest bytes (from frame start) worth another attempt. */
  #need = 0;
  // Resumable state of the frame being scanned; offsets relative to its first byte.
  #argc = -1;
  #argi = 0;
  #pos = 0;
  #args: Int32Array = new Int32Array(64);
  #failed = false;
  /** The buffer being scanned is the caller's chunk (not one of ours). */
  #lent = false;

  constructor(limits: Partial<RespLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * A bulk announced large and sent in tiny reads would otherwise hold one
   * Buffer object (about 100 bytes) per read — a hundredfold what the client
   * sent. The last SMALL_RUN small pieces become one; each copy is at most
   * SMALL_RUN * SMALL_CHUNK bytes, so a large frame in large reads never pays it.
   */
  #mergeSmallRun(): void {
    const run = this.#more.splice(this.#more.length - this.#smallRun);
    const merged = Buffer.concat(run);
    this.#more.push(merged);
    this.#smallRun = merged.length < SMALL_CHUNK ? 1 : 0;
  }

  /** Pieces held for an incomplete request (diagnostics and tests: bounded by its bytes / SMALL_CHUNK, not by its reads). */
  get pendingPieces(): number {
    return (this.#pending === null ? 0 : 1) + this.#more.length;
  }

  /** Bytes held for an incomplete request. */
  get pendingBytes(): number {
    return (this.#pending?.length ?? 0) + this.#moreLen;
  }

  /**
   * Scan a chunk; calls sink.onRequest for each complete request in order.
   * Throws ProtocolError on malformed input; the scanner is then unusable
   * (framing is lost: the caller replies with the error and closes).
   */
  feed(chunk: Buffer, sink: RequestSink): void {
    if (this.#failed) throw new ProtocolError('connection already failed');
    let buf: Buffer;
    if (this.#pending !== null) {
      const total = this.#pending.length + this.#moreLen + chunk.length;
      if (total < this.#need) {
        this.#more.push(Buffer.from(chunk));
        this.#moreLen += chunk.length;
        this.#smallRun = chunk.length < SMALL_CHUNK ? this.#smallRun + 1 : 0;
        if (this.#smallRun >= SMALL_RUN) this.#mergeSmallRun();
        return;
      }
      buf = this.#more.length === 0
        ? Buffer.concat([this.#pending, chunk], total)
        : Buffer.concat([this.#pending, ...this.#more, chunk], total);
      this.#pending = null;
      this.#more = [];
      this.#moreLen = 0;
      this.#smallRun = 0;
    } else {
      buf = chunk;
    }
    this.#lent = buf === chunk;
    try {
      this.#scan(buf, sink);
    } catch (err) {
      this.#failed = true;
      this.#pending = null;
      this.#more = [];
      this.#moreLen = 0;
      this.#smallRun = 0;
      throw err;
    }
  }

  #scan(buf: Buffer, sink: RequestSink): void {
    const len = buf.length;
    let base = 0;
    while (base < len) {
      if (this.#argc === -1 && buf[base] !== STAR) {
        const next = this.#inline(buf, base, sink);
        if (next < 0) return this.#hold(buf, base, len - base + 1);
        base = next;
        continue;
      }
      const end = this.#multibulk(buf, base);
      if (end < 0) return this.#hold(buf, base, -end);
      const argc = this.#argc;
      this.#argc = -1;
      this.#argi = 0;
      this.#pos = 0;
      if (argc > 0) sink.onRequest(buf, base, end, argc, this.#args, false);
      base = end;
    }
  }

  /** Keep buf[base..] for later; `need` = fewest bytes from base before retrying. Make args relative. */
  #hold(buf: Buffer, base: number, need: number): void {
    if (base > 0) {
      const a = this.#args;
      for (let i = 0, n = this.#argi * 2; i < n; i++) a[i] -= base;
    }
    // The caller's chunk is only lent for this call (it may be a reused read buffer): copy what is kept.
    this.#pending = this.#lent ? Buffer.from(buf.subarray(base)) : base === 0 ? buf : buf.subarray(base);
    this.#need = need;
  }

  /**
   * Scan (or resume) a "*N" frame at base. Returns its end offset, or
   * -(bytes needed from base) when incomplete.
   */
  #multibulk(buf: Buffer, base: number): number {
    const len = buf.length;
    let p = base + this.#pos;
    if (this.#argc === -1) {
      // "*<count>\r\n"
      let q = p + 1;
      let n = 0;
      let neg = false;
      if (q < len && buf[q] === 45 /* - */) { neg = true; q++; }
      const digits = q;
      while (q < len && buf[q] >= 48 && buf[q] <= 57) {
        n = n * 10 + (buf[q] - 48);
        q++;
      }
      if (q >= len) return this.#incompleteHeader(q - base);
      if (buf[q] !== CR || q === digits || n > this.#limits.maxArgs) throw new ProtocolError('invalid multibulk length');
      if (q + 1 >= len) return -(q + 2 - base);
      if (buf[q + 1] !== LF) throw new ProtocolError('invalid multibulk length');
      p = q + 2;
      if (neg || n === 0) {
        // "*0" and "*-1" are empty requests: Redis skips them.
        this.#argc = 0;
        return p;
      }
      this.#argc = n;
      this.#argi = 0;
      // Grown as arguments arrive, not from the count alone: "*1000000" with nothing after it costs no memory.
      if (this.#args.length < n * 2) this.#args = new Int32Array(Math.min(n * 2, Math.max(ARGS_FIRST, this.#args.length * 2)));
    }
    let args = this.#args;
    const maxBulk = this.#limits.maxBulkLength;
    const maxRequest = this.#limits.maxRequestBytes;
    while (this.#argi < this.#argc) {
      if (this.#argi * 2 >= args.length) args = this.#args = growArgs(args, this.#argc * 2);
      if (p >= len) { this.#pos = p - base; return -(p + 1 - base); }
      if (buf[p] !== DOLLAR) {
        throw new ProtocolError(`expected '$', got '${printable(buf[p])}'`);
      }
      let q = p + 1;
      let n = 0;
      const digits = q;
      while (q < len && buf[q] >= 48 && buf[q] <= 57) {
        n = n * 10 + (buf[q] - 48);
        q++;
      }
      if (q >= len) {
        if (q - p > 20) throw new ProtocolError('invalid bulk length');
        this.#pos = p - base;
        return -(q + 1 - base);
      }
      if (buf[q] !== CR || q === digits || n > maxBulk) throw new ProtocolError('invalid bulk length');
      const start = q + 2;
      const end = start + n;
      if (end + 2 - base > maxRequest) throw new ProtocolError(`request larger than ${maxRequest} bytes (shardgate.limits.max_request_bytes)`);
      if (end + 2 > len) {
        this.#pos = p - base;
        return -(end + 2 - base);
      }
      if (buf[q + 1] !== LF) throw new ProtocolError('invalid bulk length');
      const i = this.#argi * 2;
      args[i] = start;
      args[i + 1] = end;
      this.#argi++;
      p = end + 2;
    }
    this.#pos = 0;
    return p;
  }

  #incompleteHeader(lineLen: number): number {
    if (lineLen > MAX_HEADER_LINE) throw new ProtocolError('too big mbulk count string');
    return -(lineLen + 1);
  }

  /** An inline command line at base; returns the offset after it, or -1 when the line is incomplete. */
  #inline(buf: Buffer, base: number, sink: RequestSink): number {
    const nl = buf.indexOf(LF, base);
    if (nl < 0) {
      if (buf.length - base > this.#limits.maxInlineLength) throw new ProtocolError('too big inline request');
      return -1;
    }
    if (nl - base > this.#limits.maxInlineLength) throw new ProtocolError('too big inline request');
    const lineEnd = nl > base && buf[nl - 1] === CR ? nl - 1 : nl;
    const argv = splitInlineArgs(buf, base, lineEnd);
    if (argv === null) throw new ProtocolError('unbalanced quotes in request');
    if (argv.length > 0) {
      const enc = encodeCommand(argv);
      const a = argv.length * 2 > this.#args.length ? new Int32Array(argv.length * 2) : this.#args;
      // Locate each argument inside the re-encoded array.
      let p = 0;
      for (let i = 0; i < argv.length; i++) {
        p = enc.indexOf(LF, p) + 1; // after "*N\r\n" or previous bulk's CRLF
        p = enc.indexOf(LF, p) + 1; // after "$len\r\n"
        a[i * 2] = p;
        a[i * 2 + 1] = p + argv[i].length;
        p += argv[i].length;
      }
      this.#args = a;
      sink.onRequest(enc, 0, enc.length, argv.length, a, true);
    }
    return nl + 1;
  }
}

function printable(b: number): string {
  return b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
}
