// Test helpers for the ring placement tests: the shared raw RESP client (binary
// keys stay Buffers), and a seeded key set with the awkward keys nutcracker must place (bytes >= 0x80,
// hash tags, empty and unclosed tags, lengths 0..40 for every hash tail case).
// Must not: decide placement (that is src/ring) or start processes.
// The raw RESP client itself is the shared test fixture; re-exported for these tests.
export { command, pipeline, type Reply } from '../../fixtures/resp-client.js';

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
