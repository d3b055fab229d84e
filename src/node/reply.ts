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
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const e = d.toExponential(16); // 17 significant digits
  const parts = e.split('e') as [string, string];
  let m = parts[0];
  const x = Number(parts[1]);
  if (x < -4 || x >= 17) {
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    return `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  let f = d.toFixed(Math.max(0, 16 - x));
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
