// The users of the proxy (`shardgate: users:`) and how a client becomes one:
// `AUTH user pass`, `AUTH pass` / `HELLO … AUTH default pass` for the pool's
// `redis_auth` (Twemproxy's single password: the unrestricted default user)
// or a configured user named "default". Passwords are kept only as SHA-256
// (as Redis ACL stores them) and compared in constant time; a failed attempt
// is counted and logged with the user name and address, never the password.
// Must not route requests nor read files.
import crypto from 'node:crypto';
import type { UserConfig } from '../config/index.js';
import { compileRules, type CompiledRules } from './acl.js';

export interface AclUser {
  readonly name: string;
  readonly passwordSha256: string;
  /** the rules as written (ACL LIST) */
  readonly rulesText: string;
  readonly rules: CompiledRules;
}

/** The users of one config: shared by every pool of the process, swapped whole on reload. */
export class UserTable {
  readonly #users = new Map<string, AclUser>();

  constructor(users: readonly UserConfig[]) {
    for (const u of users) {
      const rules = compileRules(u.rules);
      if (typeof rules === 'string') throw new Error(`user ${u.name}: ${rules}`); // the config loader checked them
      this.#users.set(u.name, { name: u.name, passwordSha256: u.passwordSha256, rulesText: u.rules, rules });
    }
  }

  get size(): number {
    return this.#users.size;
  }

  get(name: string): AclUser | undefined {
    return this.#users.get(name);
  }

  all(): AclUser[] {
    return [...this.#users.values()];
  }
}

/** The proxy-wide security state a client reads through its context; `users` is replaced on reload. */
export interface SecurityState {
  users: UserTable;
}

export function sha256Hex(password: string): string {
  return crypto.createHash('sha256').update(password, 'utf8').digest('hex');
}

function samePassword(given: string, wantSha256: string): boolean {
  const a = Buffer.from(sha256Hex(given), 'hex');
  const b = Buffer.from(wantSha256, 'hex');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Whether a new client of a pool starts authenticated (no password and no users anywhere). */
export function startsAuthed(redisAuth: string | null, users: UserTable): boolean {
  return redisAuth === null && users.size === 0;
}

/**
 * Who `AUTH [user] pass` makes the client: `{ user: null }` is the pool's
 * unrestricted default user (redis_auth), `{ user: name }` a configured user,
 * 'wrong' a bad pair or a disabled user, 'none' when nothing is configured.
 */
export function authenticate(redisAuth: string | null, users: UserTable, user: string | null, pass: string): { user: string | null } | 'wrong' | 'none' {
  const name = user ?? 'default';
  const u = users.get(name);
  if (u !== undefined) return u.rules.enabled && samePassword(pass, u.passwordSha256) ? { user: u.name } : 'wrong';
  if (redisAuth === null && users.size === 0) return 'none';
  if (name !== 'default' || redisAuth === null) return 'wrong';
  const a = Buffer.from(pass);
  const b = Buffer.from(redisAuth);
  return a.length === b.length && crypto.timingSafeEqual(a, b) ? { user: null } : 'wrong';
}
