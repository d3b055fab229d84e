// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD, EXISTS, FLUSH, KILL,
// HELP) of the node (and, from ./functions.ts, FUNCTION / FCALL), with redis-server 7.0's replies. Argument checks live
// here; the interpreter is ../scripting/engine.ts and running a script
// (atomic, writes propagated as the commands it ran, BUSY for others past
// busy-reply-threshold, SCRIPT KILL) is NodeState.runScript / killScript.
import { ReplyError } from '../contracts.js';
import type { NodeReply } from '../reply.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, lower, parseInt64, str } from './util.js';
import { functionCommands } from './functions.js';

const NOSCRIPT = new ReplyError('NOSCRIPT No matching script. Please use EVAL.');

function evalCommand(c: Call, bySha: boolean, readOnly: boolean): NodeReply | Promise<NodeReply> {
  const argv = c.argv;
  const numkeys = parseInt64(argv[2]!);
  if (numkeys === null) return E.notInt;
  if (numkeys > BigInt(argv.length - 3)) return new ReplyError("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0n) return new ReplyError("ERR Number of keys can't be negative");
  const engine = c.node.scripts;
  let sha: string;
  if (bySha) {
    sha = lower(argv[1]!);
    if (sha.length !== 40 || !engine.has(sha)) return NOSCRIPT;
  } else {
    const r = engine.load(argv[1]!);
    if (r instanceof ReplyError) return r;
    sha = r;
  }
  const n = Number(numkeys);
  return c.node.runScript(c.client, sha, argv.slice(3, 3 + n), argv.slice(3 + n), readOnly);
}

const HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

function script(c: Call): NodeReply {
  const argv = c.argv;
  const sub = lower(argv[1]!);
  const arityErr = (): ReplyError => new ReplyError(`ERR wrong number of arguments for 'script|${sub}' command`);
  switch (sub) {
    case 'help': return argv.length === 2 ? HELP.map(buf) : arityErr();
    case 'load': {
      if (argv.length !== 3) return arityErr();
      const r = c.node.scripts.load(argv[2]!);
      return r instanceof ReplyError ? r : buf(r);
    }
    case 'exists': {
      if (argv.length < 3) return arityErr();
      const engine = c.node.scripts;
      return argv.slice(2).map((s) => (engine.has(lower(s)) ? 1 : 0));
    }
    case 'flush': {
      if (argv.length > 3) return arityErr();
      if (argv.length === 3 && !['async', 'sync'].includes(lower(argv[2]!))) return new ReplyError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      c.node.scripts.flush();
      return 'OK';
    }
    case 'kill': return argv.length === 2 ? c.node.killScript() : arityErr();
    case 'debug': return argv.length === 3 ? new ReplyError('ERR SCRIPT DEBUG is not supported by shardgate node') : arityErr();
    default: return new ReplyError(`ERR unknown subcommand '${str(argv[1]!).slice(0, 128)}'. Try SCRIPT HELP.`);
  }
}

export function scriptingCommands(): Cmd[] {
  const none: [number, number, number] = [0, 0, 0];
  return [
    def('eval', -3, ['noscript', 'stale'], none, (c) => evalCommand(c, false, false)),
    def('evalsha', -3, ['noscript', 'stale'], none, (c) => evalCommand(c, true, false)),
    def('eval_ro', -3, ['noscript', 'stale', 'readonly'], none, (c) => evalCommand(c, false, true)),
    def('evalsha_ro', -3, ['noscript', 'stale', 'readonly'], none, (c) => evalCommand(c, true, true)),
    def('script', -2, ['noscript'], none, script),
    ...functionCommands(),
  ];
}
