// Splitting of inline commands (a line typed by hand: `SET k "a b"\r\n`) into
// arguments, with the quoting rules redis-cli and redis-server use: double
// quotes with \n \r \t \b \a \\ \" \xHH escapes, single quotes with \' only;
// a closing quote must be followed by a space or the end of the line.

const SPACE = new Uint8Array(256);
for (const c of [32, 9, 10, 13, 11, 12, 0]) SPACE[c] = 1;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Arguments of buf[start,end); null when quotes are unbalanced. */
export function splitInlineArgs(buf: Buffer, start: number, end: number): Buffer[] | null {
  const out: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < end && SPACE[buf[p]]) p++;
    if (p >= end) return out;
    // Fast path: an unquoted word.
    let q = p;
    while (q < end && !SPACE[buf[q]] && buf[q] !== 34 && buf[q] !== 39) q++;
    if (q >= end || SPACE[buf[q]]) {
      out.push(buf.subarray(p, q));
      p = q;
      continue;
    }
    const bytes: number[] = [];
    for (let i = p; i < q; i++) bytes.push(buf[i]);
    p = q;
    let inDq = false;
    let inSq = false;
    for (;;) {
      if (inDq) {
        if (p >= end) return null;
        const c = buf[p];
        if (c === 92 && p + 3 < end && buf[p + 1] === 120 && hexVal(buf[p + 2]) >= 0 && hexVal(buf[p + 3]) >= 0) {
          bytes.push(hexVal(buf[p + 2]) * 16 + hexVal(buf[p + 3]));
          p += 4;
        } else if (c === 92 && p + 1 < end) {
          const e = buf[p + 1];
          bytes.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
          p += 2;
        } else if (c === 34) {
          if (p + 1 < end && !SPACE[buf[p + 1]]) return null;
          inDq = false;
          p++;
          break;
        } else {
          bytes.push(c);
          p++;
        }
      } else if (inSq) {
        if (p >= end) return null;
        const c = buf[p];
        if (c === 92 && p + 1 < end && buf[p + 1] === 39) {
          bytes.push(39);
          p += 2;
        } else if (c === 39) {
          if (p + 1 < end && !SPACE[buf[p + 1]]) return null;
          inSq = false;
          p++;
          break;
        } else {
          bytes.push(c);
          p++;
        }
      } else {
        if (p >= end || SPACE[buf[p]]) break;
        const c = buf[p];
        if (c === 34) inDq = true;
        else if (c === 39) inSq = true;
        else bytes.push(c);
        p++;
      }
    }
    out.push(Buffer.from(bytes));
  }
}
