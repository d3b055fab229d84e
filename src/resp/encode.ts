// RESP encoders for what the proxy itself says: commands to backends,
// local replies and errors to clients. Pure functions, no sockets.

const CRLF = '\r\n';

export const OK = Buffer.from('+OK\r\n');
export const PONG = Buffer.from('+PONG\r\n');
export const NIL = Buffer.from('$-1\r\n');
export const NIL_ARRAY = Buffer.from('*-1\r\n');
export const EMPTY_ARRAY = Buffer.from('*0\r\n');

/** A command as a RESP array of bulk strings. */
export function encodeCommand(argv: readonly (Buffer | string)[]): Buffer {
  let size = 1 + String(argv.length).length + 2;
  for (const a of argv) {
    const n = typeof a === 'string' ? Buffer.byteLength(a) : a.length;
    size += 1 + String(n).length + 2 + n + 2;
  }
  const out = Buffer.allocUnsafe(size);
  let p = out.write(`*${argv.length}${CRLF}`, 0, 'latin1');
  for (const a of argv) {
    if (typeof a === 'string') {
      const n = Buffer.byteLength(a);
      p += out.write(`$${n}${CRLF}`, p, 'latin1');
      p += out.write(a, p, 'utf8');
    } else {
      p += out.write(`$${a.length}${CRLF}`, p, 'latin1');
      p += a.copy(out, p);
    }
    out[p++] = 13;
    out[p++] = 10;
  }
  return out;
}

export function encodeError(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}${CRLF}`);
}

export function encodeSimple(s: string): Buffer {
  return Buffer.from(`+${s}${CRLF}`);
}

export function encodeInteger(n: number | bigint): Buffer {
  return Buffer.from(`:${n}${CRLF}`, 'latin1');
}

export function encodeBulk(v: Buffer | string | null): Buffer {
  if (v === null) return NIL;
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  const head = Buffer.from(`$${b.length}${CRLF}`, 'latin1');
  return Buffer.concat([head, b, Buffer.from(CRLF)], head.length + b.length + 2);
}

export function encodeArrayHeader(n: number): Buffer {
  return Buffer.from(`*${n}${CRLF}`, 'latin1');
}

/** An array of already-encoded replies. */
export function encodeArray(items: readonly Buffer[]): Buffer {
  return Buffer.concat([encodeArrayHeader(items.length), ...items]);
}

/** An array of bulk strings (nulls become nil bulks). */
export function encodeBulkArray(items: readonly (Buffer | string | null)[]): Buffer {
  return encodeArray(items.map(encodeBulk));
}

// Replies whose RESP3 form differs from RESP2: each takes the client's
// protocol version, so a local reply is built once, in the form its client reads.

/** The RESP version a client speaks (HELLO). */
export type Proto = 2 | 3;

export const NULL3 = Buffer.from('_\r\n');

/** The null reply: a nil bulk in RESP2, `_` in RESP3. */
export function nullReply(proto: Proto): Buffer {
  return proto === 3 ? NULL3 : NIL;
}

function aggregate(type: string, n: number, items: readonly Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`${type}${n}${CRLF}`, 'latin1'), ...items]);
}

/** A map of already-encoded keys and values (k1, v1, k2, v2…): `%` in RESP3, a flat array in RESP2. */
export function encodeMap(pairs: readonly Buffer[], proto: Proto): Buffer {
  return proto === 3 ? aggregate('%', pairs.length / 2, pairs) : encodeArray(pairs);
}

/** A set: `~` in RESP3, an array in RESP2. */
export function encodeSet(items: readonly Buffer[], proto: Proto): Buffer {
  return proto === 3 ? aggregate('~', items.length, items) : encodeArray(items);
}

/** An out-of-band message (pub/sub): `>` in RESP3, an array in RESP2. */
export function encodePush(items: readonly Buffer[], proto: Proto): Buffer {
  return proto === 3 ? aggregate('>', items.length, items) : encodeArray(items);
}

/** Text meant for humans (INFO, CLIENT LIST): a verbatim `=` string of format txt in RESP3, a bulk in RESP2. */
export function encodeVerbatim(text: string, proto: Proto): Buffer {
  if (proto === 2) return encodeBulk(text);
  const body = Buffer.from(`txt:${text}`);
  return Buffer.concat([Buffer.from(`=${body.length}${CRLF}`, 'latin1'), body, Buffer.from(CRLF)]);
}
