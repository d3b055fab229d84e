// Decoding of one whole RESP2 reply (as framed by ReplyScanner) into a JS
// value, for the control plane (src/redis/connection.ts: migration, INFO,
// health checks). The proxy's request path never decodes replies this way: it
// forwards raw bytes and reads the few it merges with reply-read.ts.
// Pure: no sockets; the bulk strings it returns are copies, so the value
// outlives the chunk it came from. RESP3-only types are a ProtocolError (the
// control plane never sends HELLO 3, so a server talking RESP3 is a bug).
import { ProtocolError } from '../errors/index.js';
import { readLen } from './reply-scanner.js';

/** An error reply (`-BUSYKEY Target key name already exists.`) as a value. */
export class RespError {
  /** The first word of the reply: ERR, BUSYKEY, NOAUTH, WRONGPASS, ... */
  readonly code: string;
  /** The whole line without the leading '-'. */
  readonly message: string;
  constructor(message: string) {
    this.message = message;
    const sp = message.indexOf(' ');
    this.code = sp < 0 ? message : message.slice(0, sp);
  }
}

/** simple string → string, integer → number, bulk → Buffer, nil → null, error → RespError, array → array. */
export type RespValue = string | number | Buffer | null | RespError | RespValue[];

const CR = 13;

/** An open array being filled. */
interface Frame { items: RespValue[]; left: number }

/** The value of the complete RESP2 reply buf[start,end). Throws ProtocolError on anything else. */
export function decodeReply(buf: Buffer, start: number, end: number): RespValue {
  const stack: Frame[] = [];
  let p = start;
  for (;;) {
    if (p >= end) throw new ProtocolError('truncated reply');
    const type = buf[p];
    let q = p + 1;
    while (q < end && buf[q] !== CR) q++;
    if (q + 1 >= end) throw new ProtocolError('truncated reply');
    let next = q + 2;
    let value: RespValue;
    switch (type) {
      case 43: // +
        value = buf.toString('utf8', p + 1, q);
        break;
      case 45: // -
        value = new RespError(buf.toString('utf8', p + 1, q));
        break;
      case 58: { // :
        const n = Number(buf.toString('latin1', p + 1, q));
        if (!Number.isInteger(n)) throw new ProtocolError('invalid integer reply');
        value = n;
        break;
      }
      case 36: { // $
        const n = readLen(buf, p + 1, q);
        if (n === -1) { value = null; break; }
        if (n < 0 || q + 2 + n + 2 > end) throw new ProtocolError('invalid bulk length in reply');
        value = Buffer.from(buf.subarray(q + 2, q + 2 + n));
        next = q + 2 + n + 2;
        break;
      }
      case 42: { // *
        const n = readLen(buf, p + 1, q);
        if (n === -1) { value = null; break; }
        if (n < 0) throw new ProtocolError('invalid array length in reply');
        if (n > 0) {
          stack.push({ items: [], left: n });
          p = next;
          continue;
        }
        value = [];
        break;
      }
      default:
        throw new ProtocolError(`unexpected reply type '${type >= 32 && type < 127 ? String.fromCharCode(type) : type}' (RESP2 only)`);
    }
    p = next;
    // Hand the finished value to the open array, closing every array it completes.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (p !== end) throw new ProtocolError('trailing bytes after reply');
        return value;
      }
      top.items.push(value);
      if (--top.left > 0) break;
      stack.pop();
      value = top.items;
    }
  }
}
