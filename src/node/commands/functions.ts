// FUNCTION (LOAD, DELETE, FLUSH, LIST, STATS, KILL, DUMP, RESTORE, HELP), FCALL
// and FCALL_RO of the node, with redis-server 7.0's replies. The libraries are
// ../scripting/functions.ts; running a function is NodeState.runFunction.
// FUNCTION LOAD/DELETE/FLUSH/RESTORE change the node's data: they are written
// to the AOF and replicas as they came (emit), and refused on a read-only replica.
import { ReplyError, type Reply } from '../contracts.js';
import type { NodeReply } from '../reply.js';
import type { RestorePolicy } from '../scripting/functions.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, globMatch, lower, parseInt64, str } from './util.js';

function fcall(c: Call, ro: boolean): NodeReply | Promise<NodeReply> {
  const argv = c.argv;
  const fn = c.node.functions.functions.get(argv[1]!.toString('latin1'));
  if (fn === undefined) return new ReplyError('ERR Function not found');
  const numkeys = parseInt64(argv[2]!);
  if (numkeys === null) return new ReplyError('ERR Bad number of keys provided');
  if (numkeys > BigInt(argv.length - 3)) return new ReplyError("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0n) return new ReplyError("ERR Number of keys can't be negative");
  const n = Number(numkeys);
  return c.node.runFunction(c.client, fn, argv, argv.slice(3, 3 + n), argv.slice(3 + n), ro);
}

const HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

/** arity of each subcommand (Redis's function-*.json) */
const ARITY: Record<string, number> = { load: -3, delete: 3, flush: -2, list: -2, stats: 2, kill: 2, dump: 2, restore: -3, help: 2 };

function fn(c: Call): NodeReply {
  const argv = c.argv;
  const sub = lower(argv[1]!);
  const a = ARITY[sub];
  if (a === undefined) return new ReplyError(`ERR unknown subcommand '${str(argv[1]!).slice(0, 128)}'. Try FUNCTION HELP.`);
  if ((a > 0 && argv.length !== a) || argv.length < -a) return new ReplyError(`ERR wrong number of arguments for 'function|${sub}' command`);
  const syntax = new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${str(argv[1]!)}'. Try FUNCTION HELP.`);
  const libs = c.node.functions;
  const writes = sub === 'load' || sub === 'delete' || sub === 'flush' || sub === 'restore';
  if (writes && c.node.readOnly && !c.client.internal) return E.readonly;
  // LOAD and RESTORE are denyoom in Redis: refused over maxmemory (the node evicts first, in dispatch)
  const max = c.node.options.maxmemory;
  if ((sub === 'load' || sub === 'restore') && max > 0 && !c.client.internal && c.ks.used > max) return E.oom;
  const changed = (r: NodeReply): NodeReply => {
    if (!(r instanceof ReplyError)) { c.ks.dirty++; c.node.emit(argv); }
    return r;
  };
  switch (sub) {
    case 'help': return [...HELP];
    case 'load': {
      let replace = false;
      let i = 2;
      for (; i < argv.length - 1; i++) {
        if (lower(argv[i]!) === 'replace') replace = true;
        else return new ReplyError(`ERR Unknown option given: ${str(argv[i]!)}`);
      }
      const r = libs.load(argv[i]!, replace);
      return changed(r instanceof ReplyError ? r : buf(r));
    }
    case 'delete': return changed(libs.delete(argv[2]!.toString('latin1')));
    case 'flush': {
      if (argv.length > 3) return syntax;
      if (argv.length === 3 && !['async', 'sync'].includes(lower(argv[2]!))) return new ReplyError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      libs.flush();
      return changed('OK');
    }
    case 'restore': {
      if (argv.length > 4) return syntax;
      let policy: RestorePolicy = 'append';
      if (argv.length === 4) {
        const p = lower(argv[3]!);
        if (p !== 'append' && p !== 'replace' && p !== 'flush') return new ReplyError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
        policy = p;
      }
      return changed(libs.restore(argv[2]!, policy));
    }
    case 'dump': return libs.dump();
    case 'kill': return c.node.killScript('function');
    case 'stats': return stats(c);
    case 'list': return list(c);
    default: return syntax;
  }
}

function list(c: Call): NodeReply {
  const argv = c.argv;
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const o = lower(argv[i]!);
    if (!withCode && o === 'withcode') { withCode = true; continue; }
    if (pattern === null && o === 'libraryname') {
      if (i >= argv.length - 1) return new ReplyError('ERR library name argument was not given');
      pattern = argv[++i]!.toString('latin1');
      continue;
    }
    return new ReplyError(`ERR Unknown argument ${str(argv[i]!)}`);
  }
  const out: Reply[] = [];
  for (const lib of c.node.functions.libraries.values()) {
    if (pattern !== null && !globMatch(pattern, lib.name)) continue;
    const fns: Reply[] = [...lib.functions.values()].map((f) => ({ map: [
      [buf('name'), buf(f.name)], [buf('description'), f.description], [buf('flags'), { set: [...f.flags] }],
    ] as [Reply, Reply][] }));
    const m: [Reply, Reply][] = [[buf('library_name'), buf(lib.name)], [buf('engine'), buf('LUA')], [buf('functions'), fns]];
    if (withCode) m.push([buf('library_code'), lib.code]);
    out.push({ map: m });
  }
  return out;
}

function stats(c: Call): NodeReply {
  const run = c.node.runningScript;
  const running: Reply = run === null ? null : { map: [
    [buf('name'), buf(run.name)], [buf('command'), run.argv], [buf('duration_ms'), run.ms],
  ] };
  const n = c.node.functionCounts;
  return { map: [
    [buf('running_script'), running],
    [buf('engines'), { map: [[buf('LUA'), { map: [[buf('libraries_count'), n.libraries], [buf('functions_count'), n.functions]] }]] }],
  ] };
}

export function functionCommands(): Cmd[] {
  const none: [number, number, number] = [0, 0, 0];
  return [
    def('fcall', -3, ['noscript', 'stale'], none, (c) => fcall(c, false)),
    def('fcall_ro', -3, ['noscript', 'stale', 'readonly'], none, (c) => fcall(c, true)),
    def('function', -2, ['noscript'], none, fn),
  ];
}
