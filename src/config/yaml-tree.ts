// YAML text -> a small tree of strings that remembers the line of every key
// and item. Every scalar stays a string (the way nutcracker reads its file);
// typing is the schema's job. Owns: YAML syntax errors, duplicate keys,
// anchors/aliases/tags (rejected, as nutcracker does). Must not know any
// config key names.
import { EVENT_ID, getScalarValue, parseEvents, YAMLException, type Event } from 'js-yaml';
import { ConfigError } from '../errors/index.js';

export type YNode =
  | { kind: 'scalar'; value: string; empty: boolean; line: number }
  | { kind: 'map'; entries: YEntry[]; line: number }
  | { kind: 'seq'; items: YNode[]; line: number };
export interface YEntry { key: string; line: number; value: YNode }

/** Plain JS view of a tree: strings, null (empty plain scalar), arrays, objects. */
export type Plain = string | null | Plain[] | { [k: string]: Plain };

export type PathPart = string | number;

export function formatPath(path: readonly PathPart[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

/** Parses one YAML document into a YNode tree (null for an empty document). */
export function parseYamlTree(text: string, file?: string): YNode | null {
  const lines = lineStarts(text);
  const lineOf = (offset: number): number => lineAt(lines, offset);
  let events: Event[];
  try {
    events = parseEvents(text, file !== undefined ? { filename: file } : {});
  } catch (err) {
    if (err instanceof YAMLException) {
      throw new ConfigError(`YAML syntax error: ${err.reason}`, { file, line: err.mark ? err.mark.line + 1 : undefined });
    }
    throw new ConfigError(`YAML syntax error: ${(err as Error).message}`, { file });
  }
  const docs = events.filter((e) => e.type === EVENT_ID.DOCUMENT).length;
  if (docs > 1) throw new ConfigError(`must contain exactly one YAML document (found ${docs})`, { file });

  let i = 0;
  let lastLine = 1;
  const next = (): Event => events[i++]!;
  const build = (path: PathPart[]): YNode => {
    const ev = next();
    if (ev.type === EVENT_ID.ALIAS) {
      throw new ConfigError('YAML aliases (*name) are not accepted', { file, line: lineOf(ev.anchorStart), key: keyOf(path) });
    }
    if (ev.type === EVENT_ID.POP || ev.type === EVENT_ID.DOCUMENT) throw new ConfigError('unexpected YAML structure', { file, line: lastLine });
    if (ev.anchorStart >= 0) {
      throw new ConfigError('YAML anchors (&name) are not accepted', { file, line: lineOf(ev.anchorStart), key: keyOf(path) });
    }
    if (ev.tagStart >= 0) {
      throw new ConfigError('YAML tags (!tag) are not accepted', { file, line: lineOf(ev.tagStart), key: keyOf(path) });
    }
    if (ev.type === EVENT_ID.SCALAR) {
      const empty = ev.valueStart < 0;
      const line = empty ? lastLine : lineOf(ev.valueStart);
      lastLine = line;
      return { kind: 'scalar', value: getScalarValue(text, ev), empty: empty && ev.style === 1, line };
    }
    const line = lineOf(ev.start);
    lastLine = line;
    if (ev.type === EVENT_ID.SEQUENCE) {
      const items: YNode[] = [];
      while (events[i]!.type !== EVENT_ID.POP) items.push(build([...path, items.length]));
      i++;
      return { kind: 'seq', items, line };
    }
    const entries: YEntry[] = [];
    const seen = new Map<string, number>();
    while (events[i]!.type !== EVENT_ID.POP) {
      const k = build(path);
      if (k.kind !== 'scalar') throw new ConfigError('mapping keys must be plain strings', { file, line: k.line, key: keyOf(path) });
      const keyPath = [...path, k.value];
      const prev = seen.get(k.value);
      if (prev !== undefined) {
        throw new ConfigError(`duplicate key (first set on line ${prev})`, { file, line: k.line, key: formatPath(keyPath) });
      }
      seen.set(k.value, k.line);
      lastLine = k.line;
      entries.push({ key: k.value, line: k.line, value: build(keyPath) });
    }
    i++;
    return { kind: 'map', entries, line };
  };

  while (i < events.length && events[i]!.type !== EVENT_ID.DOCUMENT) i++;
  if (i >= events.length) return null;
  i++;
  if (i >= events.length || events[i]!.type === EVENT_ID.POP) return null;
  return build([]);
}

/** The tree as plain JS; an empty plain scalar (`key:`) becomes null. */
export function toPlain(node: YNode): Plain {
  switch (node.kind) {
    case 'scalar': return node.empty ? null : node.value;
    case 'seq': return node.items.map(toPlain);
    case 'map': {
      const o: { [k: string]: Plain } = Object.create(null) as { [k: string]: Plain };
      for (const e of node.entries) o[e.key] = toPlain(e.value);
      return o;
    }
  }
}

/** The line of the deepest node along `path` (a key's own line for map keys). */
export function lineOfPath(root: YNode | null, path: readonly PathPart[]): number | undefined {
  let node: YNode | null = root;
  let line = root?.line;
  for (const p of path) {
    if (node === null) break;
    if (node.kind === 'map' && typeof p === 'string') {
      const e: YEntry | undefined = node.entries.find((x) => x.key === p);
      if (!e) break;
      line = e.line;
      node = e.value;
    } else if (node.kind === 'seq' && typeof p === 'number') {
      const it: YNode | undefined = node.items[p];
      if (!it) break;
      line = it.line;
      node = it;
    } else break;
  }
  return line;
}

/** Whether the file spells out every key along `path`. */
export function hasPath(root: YNode | null, path: readonly PathPart[]): boolean {
  let node: YNode | null = root;
  for (const p of path) {
    if (node?.kind === 'map' && typeof p === 'string') node = node.entries.find((x) => x.key === p)?.value ?? null;
    else if (node?.kind === 'seq' && typeof p === 'number') node = node.items[p] ?? null;
    else return false;
    if (node === null) return false;
  }
  return true;
}

function keyOf(path: readonly PathPart[]): string | undefined {
  return path.length > 0 ? formatPath(path) : undefined;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) starts.push(k + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
  }
  return lo + 1;
}
