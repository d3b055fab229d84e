// Types of the command table (src/commands): facts about Redis commands and
// what the proxy does with each.

export interface KeySpec {
  begin: { index: number } | { keyword: string; startfrom: number } | { unknown: true };
  find: { lastkey: number; step: number; limit: number } | { keynumidx: number; firstkey: number; step: number } | { unknown: true };
}

export interface RedisCommandInfo {
  name: string;
  arity: number;
  flags: string[];
  /** legacy key positions (COMMAND reply) */
  first: number;
  last: number;
  step: number;
  /** Redis ACL categories without the '@' (read, write, dangerous, ...) */
  acl: string[];
  keys: KeySpec[];
  subcommands?: RedisCommandInfo[];
}

/**
 * How the proxy handles a command:
 * - single:  one key (or every key on one server) → forward to that server;
 * - split:   multi-key command split per server and merged (MGET, MSET, DEL, UNLINK, TOUCH, EXISTS);
 * - same:    several keys that must all live on one server, else a CROSSSLOT error;
 * - local:   answered by the proxy (PING, ECHO, AUTH, HELLO, INFO, ...);
 * - unsupported: rejected with "-ERR unsupported command '<name>'".
 */
export type CommandKind = 'single' | 'split' | 'same' | 'local' | 'unsupported';

export type SplitKind = 'mget' | 'mset' | 'count';
