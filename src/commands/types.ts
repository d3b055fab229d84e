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
 * How the proxy handles a command (one handler per kind in src/proxy/router.ts):
 * - single:  one key (or every key on one server) → forward to that server;
 * - split:   multi-key command split per server and merged (MGET, MSET, DEL, UNLINK, TOUCH, EXISTS);
 * - same:    several keys that must all live on one server, else a CROSSSLOT error;
 * - local:   answered by the proxy (PING, ECHO, AUTH, HELLO, CLIENT, ...);
 * - fanout:  sent to every server, replies merged by `fanout` (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD, INFO, ...);
 * - scan:    SCAN, walking the servers one after the other (the cursor says which);
 * - any:     keyless and the same on every server: sent to one live server (CONFIG GET, ... HELP);
 * - pubsub:  (un)subscribing and PUBSUB introspection, through the pool's subscriber connections;
 * - publish: PUBLISH / SPUBLISH, routed by channel name as SUBSCRIBE is;
 * - blocking: all keys on one server, sent on a dedicated connection for the block's duration;
 * - transaction: MULTI / EXEC / DISCARD / WATCH / UNWATCH, pinned to one server;
 * - unsupported: rejected with "-ERR unsupported command '<name>' (<reason>)".
 */
export type CommandKind = 'single' | 'split' | 'same' | 'local' | 'fanout' | 'scan' | 'any' | 'pubsub' | 'publish' | 'blocking' | 'transaction' | 'unsupported';

/**
 * How a fanout command's replies are merged: sum of integers; arrays
 * concatenated; OK when every server said OK; one reply all servers agree on;
 * SCRIPT EXISTS's per-script AND; OK when any server said OK (… KILL); the
 * first non-nil from servers in random order (RANDOMKEY); INFO sections.
 */
export type FanoutKind = 'sum' | 'concat' | 'all-ok' | 'agree' | 'and' | 'any-ok' | 'random' | 'info';

export type SplitKind = 'mget' | 'mset' | 'count';
