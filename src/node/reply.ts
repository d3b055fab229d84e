// Reply -> RESP bytes for the node (RESP2 and RESP3). Owns the node's extra
// internal reply kinds (nil array, push) that contracts.ts's Reply lacks.
// Pure: no sockets, no keyspace.
import { ReplyError, type Reply } from './contracts.js';

/** RESP2 "*-1" (a nil array: BLPOP timeout, etc.); RESP3 "_". */
export const NIL_ARRAY: unique symbol = Symbol('nil-array');
/** An out-of-band message: RESP3 push (">"), RESP2 array. */
export class Push { constructor(readonly items: Reply[]) {} }
export type NodeReply = Reply | typeof NIL_ARRAY | Push;

const CRLF = '\r\n';

export function encodeReply(r: NodeReply, proto: 2 | 3): Buffer {
  if (typeof r === 'string') return Buffer.from(`+${r}\r\n`, 'latin1');
  if (r instanceof Buffer) return bulk(r);
  if (Array.isArray(r) && r.length > 0) {
    const flat = bulkArray(r, proto);
    if (flat !== null) return flat;
  }
  const parts: (Buffer | string)[] = [];
  write(r, proto, parts);
  return parts.length === 1 && typeof parts[0] === 'string' ? Buffer.from(parts[0], 'latin1') : concat(parts);
}

export function toPublicReply(r: NodeReply): Reply {
  if (r === NIL_ARRAY) return null;
  if (r instanceof Push) return r.items;
  return r;
}

function bulk(b: Buffer): Buffer {
  const head = `$${b.length}\r\n`;
  const out = Buffer.allocUnsafe(head.length + b.length + 2);
  out.write(head, 0, 'latin1');
  b.copy(out, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

/**
 * An array of bulk strings and nils (LRANGE, MGET, SMEMBERS…) written straight into one buffer:
 * the general path builds three parts per element and joins them. null when r has anything else.
 */
function bulkArray(r: Reply[], proto: 2 | 3): Buffer | null {
  const nilLen = proto === 3 ? 3 : 5;
  let size = 0;
  for (let i = 0; i < r.length; i++) {
    const b = r[i];
    if (b === null) { size += nilLen; continue; }
    if (!(b instanceof Buffer)) return null;
    const l = b.length;
    size += l + 5 + (l < 10 ? 1 : l < 100 ? 2 : l < 1000 ? 3 : String(l).length);
  }
  const head = `*${r.length}\r\n`;
  const out = Buffer.allocUnsafe(head.length + size);
  let o = out.write(head, 0, 'latin1');
  for (let i = 0; i < r.length; i++) {
    const b = r[i] as Buffer | null;
    if (b === null) {
      if (proto === 3) { out[o++] = 0x5f; } else { out[o++] = 0x24; out[o++] = 0x2d; out[o++] = 0x31; }
      out[o++] = 13; out[o++] = 10;
      continue;
    }
    const l = b.length;
    out[o++] = 0x24;
    if (l < 10) out[o++] = 48 + l;
    else if (l < 100) { out[o++] = 48 + ((l / 10) | 0); out[o++] = 48 + (l % 10); }
    else o += out.write(String(l), o, 'latin1');
    out[o++] = 13; out[o++] = 10;
    if (l < 32) { for (let k = 0; k < l; k++) out[o + k] = b[k]!; o += l; } else o += b.copy(out, o);
    out[o++] = 13; out[o++] = 10;
  }
  return out;
}

function concat(parts: (Buffer | string)[]): Buffer {
  let s = '';
  const bufs: Buffer[] = [];
  for (const p of parts) {
    if (typeof p === 'string') s += p;
    else { if (s) { bufs.push(Buffer.from(s, 'latin1')); s = ''; } bufs.push(p); }
  }
  if (s) bufs.push(Buffer.from(s, 'latin1'));
  return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
}

function fmtDouble(d: number, proto: 2 | 3): string {
  void proto;
  return formatDouble(d);
}

/** C's printf("%.17g", d), which Redis 7.0 uses for scores and RESP2 doubles. */
export function formatDouble(d: number): string { return formatG(d, 17); }

/** C's printf("%.<precision>g", d) (inf / -inf / nan as Redis prints them). */
export function formatG(d: number, precision: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const e = d.toExponential(precision - 1);
  const parts = e.split('e') as [string, string];
  let m = parts[0];
  const x = Number(parts[1]);
  if (x < -4 || x >= precision) {
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    return `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  let f = d.toFixed(Math.max(0, precision - 1 - x));
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '');
  return f;
}

function write(r: NodeReply, proto: 2 | 3, out: (Buffer | string)[]): void {
  if (r === null) { out.push(proto === 3 ? '_\r\n' : '$-1\r\n'); return; }
  if (r === NIL_ARRAY) { out.push(proto === 3 ? '_\r\n' : '*-1\r\n'); return; }
  switch (typeof r) {
    case 'number': out.push(`:${r}${CRLF}`); return;
    case 'bigint': out.push(`:${r}${CRLF}`); return;
    case 'string': out.push(`+${r}${CRLF}`); return;
    default: break;
  }
  if (r instanceof Buffer) { out.push(`$${r.length}${CRLF}`, r, CRLF); return; }
  if (Array.isArray(r)) {
    out.push(`*${r.length}${CRLF}`);
    for (const x of r) write(x, proto, out);
    return;
  }
  if (r instanceof ReplyError) { out.push(`-${r.message.replace(/[\r\n]+/g, ' ')}${CRLF}`); return; }
  if (r instanceof Push) {
    out.push(`${proto === 3 ? '>' : '*'}${r.items.length}${CRLF}`);
    for (const x of r.items) write(x, proto, out);
    return;
  }
  if ('double' in r) {
    const s = fmtDouble(r.double, proto);
    out.push(proto === 3 ? `,${s}${CRLF}` : `$${s.length}${CRLF}${s}${CRLF}`);
    return;
  }
  if ('map' in r) {
    const m = (r as { map: [Reply, Reply][] }).map;
    out.push(proto === 3 ? `%${m.length}${CRLF}` : `*${m.length * 2}${CRLF}`);
    for (const [k, v] of m) { write(k, proto, out); write(v, proto, out); }
    return;
  }
  if ('set' in r) {
    out.push(`${proto === 3 ? '~' : '*'}${r.set.length}${CRLF}`);
    for (const x of r.set) write(x, proto, out);
    return;
  }
  if ('verbatim' in r) {
    const b = Buffer.from(r.verbatim);
    if (proto === 3) out.push(`=${b.length + 4}${CRLF}txt:`, b, CRLF);
    else out.push(`$${b.length}${CRLF}`, b, CRLF);
  }
}
