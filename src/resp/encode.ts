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
