// Argument parsing helpers and Redis's shared error replies for the node's
// command files. Pure functions.
import { ReplyError } from '../contracts.js';

export const E = {
  wrongType: new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
  notInt: new ReplyError('ERR value is not an integer or out of range'),
  notFloat: new ReplyError('ERR value is not a valid float'),
  syntax: new ReplyError('ERR syntax error'),
  overflow: new ReplyError('ERR increment or decrement would overflow'),
  noKey: new ReplyError('ERR no such key'),
  outOfRange: new ReplyError('ERR index out of range'),
  positive: new ReplyError('ERR value is out of range, must be positive'),
  minmaxFloat: new ReplyError('ERR min or max is not a float'),
  minmaxLex: new ReplyError('ERR min or max not valid string range item'),
  oom: new ReplyError("OOM command not allowed when used memory > 'maxmemory'."),
  readonly: new ReplyError("READONLY You can't write against a read only replica."),
  noauth: new ReplyError('NOAUTH Authentication required.'),
  busy: new ReplyError('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
  dumpBad: new ReplyError('ERR DUMP payload version or checksum are wrong'),
};

export const arity = (name: string): ReplyError => new ReplyError(`ERR wrong number of arguments for '${name}' command`);

const INT_RE = /^(0|-?[1-9][0-9]*)$/;
const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

/** A Redis 64-bit integer argument, or null when not one. */
export function parseInt64(b: Buffer): bigint | null {
  if (b.length === 0 || b.length > 20) return null;
  const s = b.toString('latin1');
  if (!INT_RE.test(s)) return null;
  const n = BigInt(s);
  return n > MAX || n < MIN ? null : n;
}

/** Integer that fits a JS safe number (counts, indexes, timeouts). */
export function parseNum(b: Buffer): number | null {
  const n = parseInt64(b);
  if (n === null) return null;
  return Number(n);
}

export function inRange(n: bigint): boolean { return n <= MAX && n >= MIN; }

/** A Redis double argument (strtod rules: inf, -inf, +inf allowed; nan rejected). */
export function parseFloatArg(b: Buffer): number | null {
  const s = b.toString('latin1');
  if (s.length === 0 || /\s/.test(s[0]!) || /\s/.test(s[s.length - 1]!)) return null;
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && !/^[+-]?0x[0-9a-f]+$/i.test(s)) return null;
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

declare global {
  // Node's Buffer.prototype.latin1Slice: what toString('latin1') ends in, without its argument checks
  interface Buffer { latin1Slice(start: number, end: number): string }
}

export const lower = (b: Buffer): string => b.latin1Slice(0, b.length).toLowerCase();
/** A key or member as the keyspace holds it: its bytes as a latin1 string (latin1Slice skips toString's argument checks). */
export const str = (b: Buffer): string => b.latin1Slice(0, b.length);

export const buf = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Redis glob match (*, ?, [...], [^...], ranges, backslash escapes), byte-wise on latin1 strings. */
export function globMatch(p: string, s: string, nocase = false): boolean {
  if (nocase) { p = p.toLowerCase(); s = s.toLowerCase(); }
  return gm(p, 0, s, 0);
}

function gm(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (gm(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') { pi++; si++; continue; }
    if (c === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let match = false;
      while (pi < p.length && p[pi] !== ']') {
        if (p[pi] === '\\' && pi + 1 < p.length) { pi++; if (p[pi] === s[si]) match = true; pi++; continue; }
        if (p[pi + 1] === '-' && pi + 2 < p.length && p[pi + 2] !== ']') {
          let a = p[pi]!; let b = p[pi + 2]!;
          if (a > b) [a, b] = [b, a];
          if (s[si]! >= a && s[si]! <= b) match = true;
          pi += 3;
          continue;
        }
        if (p[pi] === s[si]) match = true;
        pi++;
      }
      if (not) match = !match;
      if (!match) return false;
      pi++; si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) { pi++; }
    if (p[pi] !== s[si]) return false;
    pi++; si++;
  }
  return si === s.length;
}
