// Reading values out of whole raw replies, for the few replies the proxy
// merges (MGET, DEL/EXISTS counts, MSET status). Input is one complete reply
// as delivered by ReplyScanner; nothing here copies bytes.
import { readLen } from './reply-scanner.js';

export function isErrorReply(buf: Buffer, start: number): boolean {
  return buf[start] === 45 || buf[start] === 33;
}

/** Integer value of a ":N" reply; NaN if it is not one. */
export function readInteger(buf: Buffer, start: number, end: number): number {
  if (buf[start] !== 58) return NaN;
  return Number(buf.toString('latin1', start + 1, end - 2));
}

/** The text of a simple string or error reply (without type byte and CRLF). */
export function readLine(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start + 1, end - 2);
}

/** Offset of the CR ending the line at p (a loop: lines here are short, indexOf's native call costs more). */
function lineEnd(buf: Buffer, p: number): number {
  const n = buf.length;
  while (p < n && buf[p] !== 13) p++;
  return p;
}

/** End offset of the complete reply starting at p. */
export function skipReply(buf: Buffer, p: number): number {
  let pending = 1;
  while (pending > 0) {
    const type = buf[p];
    const q = lineEnd(buf, p + 1);
    let next = q + 2;
    pending--;
    switch (type) {
      case 36: case 33: case 61: {
        const n = readLen(buf, p + 1, q);
        if (n >= 0) next += n + 2;
        break;
      }
      case 42: case 126: case 62: case 37: case 124: {
        const n = readLen(buf, p + 1, q);
        if (n > 0) pending += type === 37 ? n * 2 : type === 124 ? n * 2 + 1 : n;
        break;
      }
      default:
        break;
    }
    p = next;
  }
  return p;
}

/** [start,end) pairs of the top-level elements of an array reply; null if not an array (or a nil array). */
export function arrayElements(buf: Buffer, start: number): number[] | null {
  if (buf[start] !== 42 && buf[start] !== 126) return null;
  const q = lineEnd(buf, start + 1);
  const n = readLen(buf, start + 1, q);
  if (n < 0) return null;
  const out = new Array<number>(n * 2);
  let p = q + 2;
  for (let i = 0; i < n; i++) {
    const e = skipReply(buf, p);
    out[i * 2] = p;
    out[i * 2 + 1] = e;
    p = e;
  }
  return out;
}
