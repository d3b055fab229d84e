// Connection and server commands of the node: PING, ECHO, QUIT, HELLO, AUTH,
// CLIENT, SELECT, INFO, COMMAND, CONFIG, TIME, SLOWLOG, WAIT (stub until
// replication registers its own), SHUTDOWN (the node closes itself through
// NodeState.shutdownHandler). Must not touch sockets directly.
import { NO_REPLY, ReplyError, type Reply } from '../contracts.js';
import { Push, type NodeReply } from '../reply.js';
import { parseMemory } from '../memory.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, globMatch, lower, parseInt64, str } from './util.js';
import { errUnknownSub } from './pubsub.js';
import { REDIS_VERSION, infoText } from './info.js';

const POLICIES = ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-random', 'volatile-ttl'];

function auth(c: Call, user: string, pass: Buffer): ReplyError | null {
  const pw = c.node.options.requirepass;
  if (user === 'default' && (pw === null || pass.toString() === pw)) { c.client.authed = true; return null; }
  return new ReplyError('WRONGPASS invalid username-password pair or user is disabled.');
}

function hello(c: Call): NodeReply {
  const a = c.argv;
  let proto = c.client.protocol;
  let i = 1;
  if (a.length > 1) {
    const p = parseInt64(a[1]!);
    if (p === null) return new ReplyError('ERR Protocol version is not an integer or out of range');
    if (p !== 2n && p !== 3n) return new ReplyError('NOPROTO unsupported protocol version');
    proto = Number(p) as 2 | 3; i = 2;
  }
  let name: string | null = null;
  for (; i < a.length; i++) {
    const o = lower(a[i]!);
    if (o === 'auth' && i + 2 < a.length) {
      const r = auth(c, str(a[i + 1]!), a[i + 2]!);
      if (r) return r;
      i += 2;
    } else if (o === 'setname' && i + 1 < a.length) { name = str(a[++i]!); }
    else return new ReplyError(`ERR Syntax error in HELLO option '${str(a[i]!)}'`);
  }
  if (!c.client.authed) return new ReplyError('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  if (name !== null) c.client.name = name;
  c.client.protocol = proto;
  return { map: [
    [buf('server'), buf('redis')], [buf('version'), buf(REDIS_VERSION)], [buf('proto'), proto], [buf('id'), c.client.id],
    [buf('mode'), buf('standalone')], [buf('role'), buf(c.node.readOnly ? 'replica' : 'master')], [buf('modules'), []],
  ] };
}

function clientLine(c: Call, cl: Call['client']): string {
  const now = Date.now();
  return `id=${cl.id} addr=${cl.addr} laddr=${cl.laddr} fd=0 name=${cl.name ?? ''} age=${Math.floor((now - cl.createdAt) / 1000)} idle=0 flags=${cl.subs.size + cl.psubs.size > 0 ? 'P' : 'N'} db=0 sub=${cl.subs.size} psub=${cl.psubs.size} ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${cl.lastCmd} user=default redir=-1 resp=${cl.protocol} lib-name=${cl.libName} lib-ver=${cl.libVer}` + (c ? '' : '');
}

function client(c: Call): NodeReply {
  const sub = lower(c.argv[1]!);
  const n = c.argv.length;
  const wrong = new ReplyError(`ERR wrong number of arguments for 'client|${sub}' command`);
  switch (sub) {
    case 'id': return n === 2 ? c.client.id : wrong;
    case 'getname': return n === 2 ? (c.client.name ? buf(c.client.name) : null) : wrong;
    case 'setname': {
      if (n !== 3) return wrong;
      const name = str(c.argv[2]!);
      if (/[^\x21-\x7e]/.test(name)) return new ReplyError('ERR Client names cannot contain spaces, newlines or special characters.');
      c.client.name = name === '' ? null : name;
      return 'OK';
    }
    case 'setinfo': {
      if (n !== 4) return wrong;
      const attr = lower(c.argv[2]!);
      if (attr === 'lib-name') c.client.libName = str(c.argv[3]!);
      else if (attr === 'lib-ver') c.client.libVer = str(c.argv[3]!);
      else return new ReplyError(`ERR Unrecognized option '${str(c.argv[2]!)}'`);
      return 'OK';
    }
    case 'list': return { verbatim: [...c.node.clients.values()].map((cl) => clientLine(c, cl) + '\n').join('') };
    case 'info': return { verbatim: clientLine(c, c.client) + '\n' };
    case 'kill': case 'pause': case 'unpause': case 'reply': case 'no-evict': case 'no-touch': return 'OK';
    default: return errUnknownSub('client', str(c.argv[1]!));
  }
}

function configParams(c: Call): [string, () => string][] {
  const o = c.node.options;
  return [
    ['maxmemory', () => String(o.maxmemory)], ['maxmemory-policy', () => o.maxmemoryPolicy], ['maxmemory-samples', () => String(o.maxmemorySamples)],
    ['save', () => (o.save === null ? '' : `${o.save} 1`)], ['appendonly', () => (o.appendonly ? 'yes' : 'no')], ['appendfsync', () => o.appendfsync],
    ['port', () => String(o.port)], ['bind', () => o.bind], ['dir', () => o.dir], ['databases', () => '1'],
    ['requirepass', () => o.requirepass ?? ''], ['slowlog-log-slower-than', () => String(c.node.slowlogThresholdUs)], ['slowlog-max-len', () => '128'],
    ['appendfilename', () => o.appendfilename], ['dbfilename', () => o.dbfilename],
    ['busy-reply-threshold', () => String(c.node.busyReplyThresholdMs)], ['lua-time-limit', () => String(c.node.busyReplyThresholdMs)],
  ];
}

function config(c: Call): NodeReply {
  const sub = lower(c.argv[1]!);
  if (sub === 'get') {
    if (c.argv.length < 3) return new ReplyError("ERR wrong number of arguments for 'config|get' command");
    const out: [Reply, Reply][] = [];
    for (const [k, v] of configParams(c)) if (c.argv.slice(2).some((p) => globMatch(lower(p), k))) out.push([buf(k), buf(v())]);
    return { map: out };
  }
  if (sub === 'set') {
    if (c.argv.length < 4 || c.argv.length % 2 === 1) return new ReplyError("ERR wrong number of arguments for 'config|set' command");
    const o = c.node.options;
    for (let i = 2; i < c.argv.length; i += 2) {
      const k = lower(c.argv[i]!); const v = str(c.argv[i + 1]!);
      const fail = (why: string): ReplyError => new ReplyError(`ERR CONFIG SET failed (possibly related to argument '${k}') - ${why}`);
      if (k === 'maxmemory') { try { o.maxmemory = parseMemory(v); } catch { return fail('argument must be a memory value'); } }
      else if (k === 'maxmemory-policy') { if (!POLICIES.includes(v.toLowerCase())) return fail('argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction'); o.maxmemoryPolicy = v.toLowerCase() as typeof o.maxmemoryPolicy; }
      else if (k === 'maxmemory-samples') { const n = Number(v); if (!Number.isInteger(n) || n < 1 || n > 64) return fail('argument must be between 1 and 64 inclusive'); o.maxmemorySamples = n; }
      else if (k === 'busy-reply-threshold' || k === 'lua-time-limit') {
        const n = parseInt64(c.argv[i + 1]!);
        if (n === null) return fail('argument couldn\'t be parsed into an integer');
        if (n < 0n) return fail('argument must be between 0 and 9223372036854775807 inclusive');
        c.node.busyReplyThresholdMs = Number(n);
      }
      else if (k === 'slowlog-log-slower-than') { const n = Number(v); if (!Number.isInteger(n)) return fail('argument couldn\'t be parsed into an integer'); c.node.slowlogThresholdUs = n < 0 ? Infinity : n; }
      else return new ReplyError(`ERR Unknown option or number of arguments for CONFIG SET - '${str(c.argv[i]!)}'`);
    }
    return 'OK';
  }
  if (sub === 'resetstat') { c.ks.hits = 0; c.ks.misses = 0; c.ks.expiredKeys = 0; c.ks.evictedKeys = 0; return 'OK'; }
  if (sub === 'rewrite') return new ReplyError('ERR The server is running without a config file');
  return errUnknownSub('config', str(c.argv[1]!));
}

function commandInfo(cmd: Cmd): Reply {
  const flags = cmd.flags.filter((f) => f !== 'noauth').map((f) => f);
  return [buf(cmd.name), cmd.arity, { set: flags }, cmd.firstKey, cmd.lastKey, cmd.step, { set: [] }, { set: [] }, [], []];
}

function command(c: Call): NodeReply {
  const t = c.node.table;
  if (c.argv.length === 1) return [...t.values()].map(commandInfo);
  const sub = lower(c.argv[1]!);
  if (sub === 'count') return t.size;
  if (sub === 'info') return c.argv.length === 2 ? [...t.values()].map(commandInfo) : c.argv.slice(2).map((n) => { const x = t.get(lower(n)); return x ? commandInfo(x) : null; });
  if (sub === 'docs') {
    const names = c.argv.length === 2 ? [...t.keys()] : c.argv.slice(2).map(lower).filter((n) => t.has(n));
    return { map: names.map((n) => [buf(n), { map: [[buf('summary'), buf(`${n} command`)], [buf('since'), buf('1.0.0')], [buf('group'), buf('generic')]] }] as [Reply, Reply]) };
  }
  if (sub === 'list') return [...t.keys()].map(buf);
  if (sub === 'getkeys') return new ReplyError('ERR Invalid command specified');
  return errUnknownSub('command', str(c.argv[1]!));
}

function slowlog(c: Call): NodeReply {
  const sub = lower(c.argv[1]!);
  if (sub === 'len') return c.node.slowlog.length;
  if (sub === 'reset') { c.node.slowlog.length = 0; return 'OK'; }
  if (sub === 'get') {
    let n = 10;
    if (c.argv.length > 2) { const x = parseInt64(c.argv[2]!); if (x === null) return E.notInt; n = x < 0n ? Infinity : Number(x); }
    return c.node.slowlog.slice(0, n).map((e) => [e.id, e.time, e.us, e.argv, buf(e.addr), buf(e.name)]);
  }
  return errUnknownSub('slowlog', str(c.argv[1]!));
}

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], with redis-server 7.0's refusals; no reply when it goes ahead. */
function shutdown(c: Call): NodeReply | typeof NO_REPLY {
  let save: boolean | null = null;
  let nosave = false; let now = false; let abort = false; let other = false;
  for (const a of c.argv.slice(1)) {
    const o = lower(a);
    if (o === 'nosave') nosave = true;
    else if (o === 'save') save = true;
    else if (o === 'now') now = true;
    else if (o === 'force') other = true;
    else if (o === 'abort') abort = true;
    else return E.syntax;
  }
  if ((abort && (nosave || save !== null || now || other)) || (nosave && save !== null)) return E.syntax;
  // the node does not wait for replicas before exiting, so no shutdown is ever in progress
  if (abort) return new ReplyError('ERR No shutdown in progress.');
  if (!now && c.client.inExec) return new ReplyError("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
  if (!nosave && c.node.busy) return E.busy;
  const handler = c.node.shutdownHandler;
  if (handler === null) return new ReplyError('ERR Errors trying to SHUTDOWN. Check logs.');
  if (nosave) { save = false; c.node.abandonScript(); }
  handler(save);
  return NO_REPLY;
}

export function serverCommands(): Cmd[] {
  const none: [number, number, number] = [0, 0, 0];
  return [
    def('ping', -1, ['fast', 'stale', 'loading'], none, (c) => {
      if (c.argv.length > 2) return new ReplyError("ERR wrong number of arguments for 'ping' command");
      if (c.client.protocol === 2 && c.client.subs.size + c.client.psubs.size > 0) return [buf('pong'), c.argv[1] ?? buf('')];
      return c.argv.length === 2 ? c.argv[1]! : 'PONG';
    }),
    def('echo', 2, ['fast'], none, (c) => c.argv[1]!),
    def('quit', -1, ['noauth', 'fast', 'loading', 'stale'], none, (c) => { c.client.close?.(); return 'OK'; }),
    def('hello', -1, ['noauth', 'fast', 'loading', 'stale'], none, hello),
    def('auth', -2, ['noauth', 'fast', 'loading', 'stale'], none, (c) => {
      if (c.argv.length > 3) return E.syntax;
      if (c.node.options.requirepass === null && c.argv.length === 2) return new ReplyError('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
      return auth(c, c.argv.length === 3 ? str(c.argv[1]!) : 'default', c.argv[c.argv.length - 1]!) ?? 'OK';
    }),
    def('client', -2, ['loading', 'stale'], none, client),
    def('select', 2, ['fast', 'loading', 'stale'], none, (c) => { const n = parseInt64(c.argv[1]!); if (n === null) return E.notInt; return n === 0n ? 'OK' : new ReplyError('ERR DB index is out of range'); }),
    def('info', -1, ['loading', 'stale'], none, (c) => ({ verbatim: infoText(c.node, c.argv.slice(1).map(lower)) })),
    def('command', -1, ['loading', 'stale'], none, command),
    def('config', -2, ['admin', 'loading', 'stale'], none, config),
    def('time', 1, ['fast', 'loading', 'stale'], none, () => { const t = Date.now(); const us = Math.floor(performance.timeOrigin * 1000 + performance.now() * 1000) % 1000000; return [buf(String(Math.floor(t / 1000))), buf(String(us))]; }),
    def('slowlog', -2, ['admin', 'loading', 'stale'], none, slowlog),
    def('wait', 3, ['noscript'], none, (c) => { if (parseInt64(c.argv[1]!) === null || parseInt64(c.argv[2]!) === null) return E.notInt; return 0; }),
    def('reset', 1, ['noauth', 'fast', 'loading', 'stale'], none, (c) => {
      for (const ch of [...c.client.subs]) c.node.channels.get(ch)?.delete(c.client);
      for (const p of [...c.client.psubs]) c.node.patterns.get(p)?.delete(c.client);
      c.client.subs.clear(); c.client.psubs.clear(); c.client.protocol = 2; c.client.name = null;
      if (c.node.options.requirepass !== null) c.client.authed = false;
      c.node.txn.dropClient(c.client);
      return 'RESET';
    }),
    def('lastsave', 1, ['fast', 'loading', 'stale'], none, () => Math.floor(Date.now() / 1000)),
    def('readonly', 1, ['fast'], none, () => 'OK'),
    def('shutdown', -1, ['admin', 'noscript', 'loading', 'stale'], none, shutdown),
  ];
}
void Push;
