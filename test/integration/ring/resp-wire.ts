// Test helpers for the ring placement tests: a raw RESP socket that keeps
// binary keys as Buffers (pipelined commands, replies parsed minimally), and a
// seeded key set with the awkward keys nutcracker must place (bytes >= 0x80,
// hash tags, empty and unclosed tags, lengths 0..40 for every hash tail case).
// Must not: decide placement (that is src/ring) or start processes.
import net from 'node:net';

export type Reply = string | number | Buffer | null | Reply[] | Error;

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at buf[pos]; returns [reply, next] or null when incomplete. */
function parse(buf: Buffer, pos: number): [Reply, number] | null {
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const line = buf.toString('latin1', pos + 1, nl);
  const next = nl + 2;
  switch (buf[pos]) {
    case 0x2b: return [line, next];
    case 0x2d: return [new Error(line), next];
    case 0x3a: return [Number(line), next];
    case 0x24: {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.subarray(next, next + n), next + n + 2];
    }
    case 0x2a: {
      const n = Number(line);
      const out: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (r === null) return null;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default: throw new Error(`bad reply byte ${buf[pos]}`);
  }
}

/** Sends the commands pipelined on one fresh connection and returns their replies in order. */
export function pipeline(port: number, cmds: (string | Buffer)[][], timeoutMs = 10_000): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const replies: Reply[] = [];
    let acc = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout after ${replies.length}/${cmds.length} replies`)); }, timeoutMs);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('data', (d) => {
      acc = Buffer.concat([acc, d]);
      let pos = 0;
      for (;;) {
        const r = pos < acc.length ? parse(acc, pos) : null;
        if (r === null) break;
        replies.push(r[0]);
        pos = r[1];
      }
      acc = acc.subarray(pos);
      if (replies.length === cmds.length) { clearTimeout(timer); sock.end(); resolve(replies); }
    });
    sock.write(Buffer.concat(cmds.map(encode)));
  });
}

export async function command(port: number, ...args: (string | Buffer)[]): Promise<Reply> {
  const [r] = await pipeline(port, [args]);
  return r!;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** About `n` distinct keys from a seed: plain, binary, and hash-tag edge cases. */
export function testKeys(seed: number, n = 300): Buffer[] {
  const rnd = mulberry32(seed);
  const keys = new Map<string, Buffer>();
  const add = (b: Buffer) => keys.set(b.toString('hex'), b);
  const plain = Math.floor(n * 0.4);
  for (let i = 0; i < plain; i++) add(Buffer.from(`user:${i}:${Math.floor(rnd() * 1e6)}`));
  for (let i = 0; i < Math.floor(n * 0.25); i++) {
    const len = 1 + Math.floor(rnd() * 40);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
    if (i % 3 === 0) b[0] = 0x80 + Math.floor(rnd() * 128); // surely a high byte
    add(b);
  }
  for (let i = 0; keys.size < n; i++) {
    const t = i % 9;
    const shapes = [
      `{tag${i % 7}}:${i}`, `a{}b${i}`, `a{b${i}`, `${i}}{x`, `pre${i}{}{real}`,
      `x{${i % 5}}y${i}`, `{{${i % 4}}}`, `}${i}{`,
    ];
    if (t < shapes.length) add(Buffer.from(shapes[t]!));
    else add(Buffer.from([0x7b, 0xff - (i % 3), 0x80 + (i % 2), 0x7d, 0x41 + (i % 26), i & 0xff]));
  }
  return [...keys.values()];
}
