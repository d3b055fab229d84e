// Redis ACL rules of a user, compiled once against the command table: which
// commands (full names, "config|set" for a subcommand) the user may run and
// which keys it may touch. Rule syntax is Redis's (`~pattern`, `allkeys`,
// `resetkeys`, `+@category`, `-@category`, `+cmd`, `-cmd`, `+cmd|sub`,
// `allcommands`, `nocommands`, `on`, `off`), applied left to right.
// One deliberate difference: a command in @dangerous is granted only by
// `+@dangerous`, `+@all`/`allcommands` or by its own name — never as a side
// effect of another category (`+@read` does not grant KEYS). Pure: must not
// know sockets, clients or the config file.
import { REDIS_COMMANDS } from '../commands/redis-commands.js';
import type { RedisCommandInfo } from '../commands/types.js';
import { globToRegExp } from '../commands/glob.js';

export interface CompiledRules {
  readonly enabled: boolean;
  /** full command names the user may run */
  readonly commands: ReadonlySet<string>;
  readonly allKeys: boolean;
  readonly keyPatterns: readonly RegExp[];
  /** every command and every key: no check is needed at all */
  readonly unrestricted: boolean;
}

/** full name -> categories, for every command and subcommand */
const CATEGORIES = new Map<string, readonly string[]>();
/** container name -> its subcommands' full names */
const SUBS = new Map<string, string[]>();
function index(c: RedisCommandInfo): void {
  CATEGORIES.set(c.name, c.acl);
  if (c.subcommands && c.subcommands.length > 0) {
    SUBS.set(c.name, c.subcommands.map((s) => s.name));
    for (const s of c.subcommands) index(s);
  }
}
for (const c of REDIS_COMMANDS) index(c);

/** Every ACL category the table knows, sorted (ACL CAT). */
export const ACL_CATEGORIES: readonly string[] = [...new Set([...CATEGORIES.values()].flat())].sort();

/** Full names of the commands in a category (ACL CAT <category>). */
export function commandsInCategory(cat: string): string[] {
  return [...CATEGORIES].filter(([, cats]) => cats.includes(cat)).map(([n]) => n);
}

const isDangerous = (name: string): boolean => CATEGORIES.get(name)?.includes('dangerous') === true;

/** Compile a rule string; a string is the first bad rule's message. */
export function compileRules(rules: string): CompiledRules | string {
  const commands = new Set<string>();
  let enabled = true;
  let allKeys = false;
  let patterns: string[] = [];
  const all = [...CATEGORIES.keys()];
  const grant = (names: Iterable<string>, on: boolean, dangerousToo: boolean): void => {
    for (const n of names) {
      if (on && !dangerousToo && isDangerous(n)) continue;
      if (on) commands.add(n); else commands.delete(n);
    }
  };
  for (const rule of rules.split(/\s+/).filter((r) => r !== '')) {
    const r = rule.toLowerCase();
    if (r === 'on') enabled = true;
    else if (r === 'off') enabled = false;
    else if (r === 'allkeys' || r === '~*') { allKeys = true; patterns = []; }
    else if (r === 'resetkeys') { allKeys = false; patterns = []; }
    else if (rule.startsWith('~')) { if (!allKeys) patterns.push(rule.slice(1)); }
    else if (r === 'allcommands' || r === '+@all') grant(all, true, true);
    else if (r === 'nocommands' || r === '-@all') commands.clear();
    else if (r.startsWith('+@') || r.startsWith('-@')) {
      const cat = r.slice(2);
      if (!ACL_CATEGORIES.includes(cat)) return `unknown ACL category '${cat}' in rule '${rule}' (ACL CAT lists them)`;
      grant(commandsInCategory(cat), r[0] === '+', cat === 'dangerous');
    } else if (r.startsWith('+') || r.startsWith('-')) {
      const name = r.slice(1);
      if (!CATEGORIES.has(name)) return `unknown command '${name}' in rule '${rule}'`;
      grant([name, ...(SUBS.get(name) ?? [])], r[0] === '+', true);
    } else {
      return `'${rule}' is not a rule shardgate takes (it takes on, off, ~pattern, allkeys, resetkeys, +@category, -@category, +command, -command, allcommands, nocommands)`;
    }
  }
  const unrestricted = allKeys && all.every((n) => commands.has(n));
  return { enabled, commands, allKeys, keyPatterns: patterns.map((p) => globToRegExp(Buffer.from(p, 'utf8').toString('latin1'))), unrestricted };
}

/** Whether a key (latin1 text of its bytes) matches one of the user's patterns. */
export function keyAllowed(r: CompiledRules, key: string): boolean {
  if (r.allKeys) return true;
  for (const p of r.keyPatterns) if (p.test(key)) return true;
  return false;
}
