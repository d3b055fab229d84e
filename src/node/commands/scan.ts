// The cursor walk shared by SCAN, SSCAN, HSCAN and ZSCAN: arguments parsed as
// Redis does (cursor like strtoul, COUNT >= 1, MATCH, TYPE only for SCAN) and
// a walk over a dense, swap-remove array from its end towards 0. A removal
// moves the last element into the hole, i.e. from the visited part into the
// unvisited one, so an element present for the whole scan is never missed
// (it may come twice only when elements were removed meanwhile). Pure.
import { ReplyError } from '../contracts.js';
import { E, globMatch, lower, parseInt64, str } from './util.js';

export interface ScanArgs { cursor: number; count: number; match: string | null; type: string | null }

/** A SCAN cursor read as Redis does (strtoul: an unsigned 64-bit number; a leading '-' wraps around). */
export function parseCursor(b: Buffer): bigint | null {
  const s = str(b);
  if (!/^[+-]?[0-9]{1,20}$/.test(s)) return null;
  const n = BigInt(s.replace(/^[+-]/, ''));
  if (n > 18446744073709551615n) return null;
  return s[0] === '-' && n !== 0n ? 18446744073709551616n - n : n;
}

/** argv[cursorAt] is the cursor, options follow it. */
export function parseScanArgs(argv: Buffer[], cursorAt: number, allowType: boolean): ScanArgs | ReplyError {
  const cur = parseCursor(argv[cursorAt]!);
  if (cur === null) return new ReplyError('ERR invalid cursor');
  const a: ScanArgs = { cursor: cur > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cur), count: 10, match: null, type: null };
  for (let i = cursorAt + 1; i < argv.length; i++) {
    const o = lower(argv[i]!);
    if (i + 1 >= argv.length) return E.syntax;
    if (o === 'count') {
      const n = parseInt64(argv[++i]!);
      if (n === null) return E.notInt;
      if (n < 1n) return E.syntax;
      a.count = n > 1_000_000_000n ? 1_000_000_000 : Number(n);
    } else if (o === 'match') a.match = str(argv[++i]!);
    else if (o === 'type' && allowType) a.type = lower(argv[++i]!);
    else return E.syntax;
  }
  return a;
}

/**
 * Visit up to `count` positions of an array of `size` elements, going down from
 * the cursor (0 = start at the end). `take(i)` is called for each visited
 * position that passes MATCH on `name(i)`. Returns the next cursor (0 = done).
 */
export function walk(size: number, a: ScanArgs, name: (i: number) => string, take: (i: number) => void): number {
  let i = a.cursor === 0 ? size : Math.min(a.cursor, size);
  let visited = 0;
  while (i > 0 && visited < a.count) {
    i--; visited++;
    if (a.match !== null && a.match !== '*' && !globMatch(a.match, name(i))) continue;
    take(i);
  }
  return i;
}

/**
 * Cursor walk over a Map (HSCAN, ZSCAN): the cursor is how many entries were
 * passed. Map iterators are live (they skip deleted entries and reach added
 * ones), so a scan that continues its own iterator returns every entry present
 * throughout exactly once; the last few iterators of each Map are kept by their
 * next cursor. A cursor with no kept iterator restarts from the beginning and
 * skips that many entries (exact while nothing was deleted meanwhile).
 */
export function walkMap<K, V>(m: Map<K, V>, a: ScanArgs, name: (k: K) => string, take: (k: K, v: V) => void): number {
  let kept = iterators.get(m);
  let it = kept?.get(a.cursor) as Iterator<[K, V]> | undefined;
  let pos = a.cursor;
  if (it !== undefined) kept!.delete(a.cursor);
  else {
    it = m.entries();
    for (let i = 0; i < a.cursor && !it.next().done; i++);
  }
  for (let visited = 0; visited < a.count; visited++) {
    const r = it.next();
    if (r.done) return 0;
    pos++;
    const [k, v] = r.value;
    if (a.match === null || a.match === '*' || globMatch(a.match, name(k))) take(k, v);
  }
  if (kept === undefined) { kept = new Map(); iterators.set(m, kept); }
  if (kept.size >= 4) kept.delete(kept.keys().next().value!);
  kept.set(pos, it as Iterator<[unknown, unknown]>);
  return pos;
}

const iterators = new WeakMap<Map<unknown, unknown>, Map<number, Iterator<[unknown, unknown]>>>();
