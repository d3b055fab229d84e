// Contracts of the RESP codec (src/resp). The codec is pure: bytes in,
// frames out; it never touches a socket and never mutates or reuses a Buffer
// it was given or has returned, so a consumer may keep `buf` references
// (e.g. to forward raw bytes) for as long as it likes.

export interface RespLimits {
  /** Largest bulk string accepted ($N), bytes. Redis: proto-max-bulk-len 512 MB. */
  maxBulkLength: number;
  /** Most arguments in one request (*N). Redis: 1024*1024. */
  maxArgs: number;
  /** Longest inline command line, bytes. Redis: 64 KB. */
  maxInlineLength: number;
  /** Largest whole request (*N with every argument), bytes; past it the request is refused before it is all read. */
  maxRequestBytes: number;
}

export const DEFAULT_LIMITS: Readonly<RespLimits> = Object.freeze({
  maxBulkLength: 512 * 1024 * 1024,
  maxArgs: 1024 * 1024,
  maxInlineLength: 64 * 1024,
  maxRequestBytes: 512 * 1024 * 1024,
});

/**
 * Receives requests from RequestScanner.feed().
 * `args` holds 2*argc numbers: start,end (end exclusive) of each argument inside `buf`.
 * `args` is reused between calls: copy what you keep. `buf` is stable (never mutated).
 * For an inline command (`PING\r\n` typed by hand), `buf` is a new buffer holding the
 * command re-encoded as a RESP array, [start,end) covers all of it, and `inline` is true,
 * so a proxy can forward buf[start,end) to a backend as it does for any other request.
 */
export interface RequestSink {
  onRequest(buf: Buffer, start: number, end: number, argc: number, args: Int32Array, inline: boolean): void;
}

/** Receives complete replies from ReplyScanner.feed(): buf[start,end) is one whole reply (any RESP2/RESP3 type, nested). */
export interface ReplySink {
  onReply(buf: Buffer, start: number, end: number): void;
}
