// Commands the proxy answers itself: PING, ECHO, QUIT, SELECT, HELLO, AUTH,
// CLIENT, COMMAND, INFO, TIME, RESET, SLOWLOG. Replies follow redis-server's text so
// clients' start-up checks pass. Runs off the hot path (argv materialised).
import os from 'node:os';
import { REDIS_COMMANDS, REDIS_VERSION } from '../commands/redis-commands.js';
import { extractKeys, lookupCommand, resolveSubcommand } from '../commands/table.js';
import type { RedisCommandInfo } from '../commands/types.js';
import {
  encodeArray, encodeBulk, encodeBulkArray, encodeError, encodeInteger, encodeMap, encodeSimple, encodeVerbatim, nullReply, EMPTY_ARRAY, OK, PONG,
  type Proto,
} from '../resp/encode.js';
import type { ClientConn } from './client.js';
import { errorReplies } from '../errors/replies.js';
import { authenticate, startsAuthed } from '../security/users.js';
import { aclCommand, authFailed } from './acl-commands.js';
import { METRICS } from '../metrics/table.js';
import { encodeSlowEntry, slowlog } from '../metrics/slowlog.js';
import { clock } from './client-limits.js';

type Handler = (c: ClientConn, argv: Buffer[]) => Buffer;

const lower = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1').toLowerCase());

function checkPassword(c: ClientConn, user: string | null, pass: string): Buffer {
  const r = authenticate(c.ctx.pool.config.redisAuth, c.ctx.security.users, user, pass);
  if (r === 'none') {
    return encodeError('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  if (r === 'wrong') return authFailed(c, user);
  c.authed = true;
  c.aclUser = r.user;
  return OK;
}

const BAD_NAME = /[^\x21-\x7e]/;

/** The client's address as CLIENT LIST shows it (its real one behind a PROXY-protocol balancer). */
function addrOf(c: ClientConn): string {
  return `${c.peerAddress.includes(':') ? `[${c.peerAddress}]` : c.peerAddress}:${c.peerPort}`;
}

function clientInfoLine(c: ClientConn): string {
  const s = c.socket;
  const age = Math.floor((Date.now() - c.createdAt) / 1000);
  const subs = c.session?.subs?.sets;
  const tx = c.session?.tx;
  const flags = `${isSubscribed(c) ? 'P' : ''}${tx?.multi ? 'x' : ''}${c.noEvict ? 'e' : ''}` || 'N';
  return `id=${c.id} addr=${addrOf(c)} laddr=${s.localAddress}:${s.localPort} fd=-1 name=${c.name ?? ''} age=${age} idle=${Math.max(0, Math.floor((clock.now - c.lastActive) / 1000))} flags=${flags} db=0 sub=${subs?.[0].size ?? 0} psub=${subs?.[1].size ?? 0} ssub=${subs?.[2].size ?? 0} multi=${tx?.multi ? 0 : -1} qbuf=0 argv-mem=0 obl=0 oll=${c.pendingRequests} omem=0 tot-mem=0 events=r cmd=${c.lastCommand || 'NULL'} user=${c.aclUser ?? 'default'} resp=${c.resp}`;
}

function commandInfoReply(info: RedisCommandInfo): Buffer {
  return encodeArray([
    encodeBulk(info.name), encodeInteger(info.arity),
    encodeArray(info.flags.map((f) => encodeSimple(f))),
    encodeInteger(info.first), encodeInteger(info.last), encodeInteger(info.step),
    encodeArray(info.acl.map((cat) => encodeSimple(`@${cat}`))), EMPTY_ARRAY, EMPTY_ARRAY,
    encodeArray((info.subcommands ?? []).map(commandInfoReply)),
  ]);
}

let commandAll: Buffer | null = null;
const commandByName = new Map(REDIS_COMMANDS.map((c) => [c.name, c]));

/** INFO's Stats section: every metric of the table with an INFO name, for this client's pool. */
function statsLines(c: ClientConn): string[] {
  const ctx = c.ctx;
  const pool = ctx.pool.stats as unknown as Record<string, number>;
  const totals = ctx.totals as unknown as Record<string, number>;
  const arrays: Record<string, Float64Array> = { hits: ctx.metrics.hits, misses: ctx.metrics.misses, requests: ctx.metrics.requests, errors: ctx.metrics.errors };
  const lines: string[] = [];
  for (const m of METRICS) {
    if (m.info === undefined) continue;
    let v = 0;
    if (m.source === 'pool') v = pool[m.field!] ?? 0;
    else if (m.source === 'proxy') v = totals[m.field!] ?? 0;
    else if (m.source === 'command') for (const x of arrays[m.field!] ?? []) v += x;
    lines.push(`${m.info}:${v}`);
  }
  return lines;
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]', '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of: id, timestamp, time in microseconds, arguments array, client IP and port, client name (here: the backend)',
  'LEN', '    Return the length of the slowlog.',
  'RESET', '    Reset the slowlog.',
  'HELP', '    Print this help.',
];

function slowlogCommand(a: Buffer[]): Buffer {
  const sub = lower(a[1]);
  switch (sub) {
    case 'get': {
      if (a.length > 3) return errorReplies.arity('slowlog|get');
      let n = 10;
      if (a.length === 3) {
        n = Number(a[2].toString());
        if (!Number.isInteger(n) || n < -1) return encodeError('ERR count should be greater than or equal to -1');
      }
      return encodeArray(slowlog.get(n).map(encodeSlowEntry));
    }
    case 'len':
      return a.length === 2 ? encodeInteger(slowlog.length) : errorReplies.arity('slowlog|len');
    case 'reset':
      if (a.length !== 2) return errorReplies.arity('slowlog|reset');
      slowlog.reset();
      return OK;
    case 'help':
      return encodeArray(SLOWLOG_HELP.map((l) => encodeSimple(l)));
    default:
      return errorReplies.unknownSubcommand(a[1].toString(), 'slowlog');
  }
}

/** The proxy's own INFO sections (fanout.ts adds the servers' keyspace, memory and stats). */
export function infoText(c: ClientConn, sections: readonly string[]): string {
  const ctx = c.ctx;
  const pool = ctx.pool;
  const up = Math.floor((Date.now() - ctx.startedAt) / 1000);
  // INFO [section [section …]] (Redis 7: several sections in one call; none = the default ones)
  const every = sections.length === 0 || sections.some((x) => x === 'all' || x === 'default' || x === 'everything');
  const want = (s: string) => every || sections.includes(s);
  const out: string[] = [];
  if (want('server')) {
    out.push('# Server', `redis_version:${REDIS_VERSION}`, `shardgate_version:${ctx.version}`, 'redis_mode:standalone',
      `os:${os.type()} ${os.release()} ${os.arch()}`, `arch_bits:64`, `process_id:${process.pid}`,
      `tcp_port:${c.socket.localPort ?? 0}`, `uptime_in_seconds:${up}`, `uptime_in_days:${Math.floor(up / 86400)}`, '');
  }
  if (want('clients')) out.push('# Clients', `connected_clients:${ctx.clients.size}`, '');
  // What clients check at start-up: a proxy is a master outside any Redis Cluster.
  if (want('replication')) out.push('# Replication', 'role:master', 'connected_slaves:0', '');
  if (want('cluster')) out.push('# Cluster', 'cluster_enabled:0', '');
  if (want('stats')) {
    out.push('# Stats', ...statsLines(c), '');
  }
  if (want('pool')) {
    const p = pool.config;
    out.push('# Pool', `pool_name:${p.name}`, `distribution:${p.distribution}`, `hash:${p.hash}`, `hash_tag:${p.hashTag ?? ''}`,
      `servers:${pool.servers.length}`, `servers_live:${pool.servers.filter((s) => s.healthy).length}`, `ring_version:${pool.topology.version}`);
    for (const s of pool.servers) {
      const seen = pool.observation(s.identity);
      // ejected: out of the ring; down: heartbeats see it down, its keys stay on it (a failover may follow)
      const status = !s.live ? 'ejected' : !s.healthy ? 'down' : 'up';
      out.push(`server_${s.index}:label=${s.label},address=${s.address},status=${status},failures=${seen.failures},connections=${s.backend.counters.server_connections},last_error=${(seen.lastError ?? '').replace(/[,\r\n]/g, ' ')}`);
    }
    out.push('');
  }
  return out.join('\r\n');
}

const isSubscribed = (x: ClientConn): boolean => {
  const subs = x.session?.subs?.sets;
  return subs !== undefined && subs[0].size + subs[1].size + subs[2].size > 0;
};

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id …]], over this pool's clients, as Redis filters. */
function clientList(c: ClientConn, a: Buffer[]): Buffer {
  let clients = [...c.ctx.clients];
  for (let i = 2; i < a.length;) {
    const opt = lower(a[i]);
    if (opt === 'type' && i + 1 < a.length) {
      const t = lower(a[i + 1]);
      if (t === 'normal') clients = clients.filter((x) => !isSubscribed(x));
      else if (t === 'pubsub') clients = clients.filter(isSubscribed);
      else if (t === 'master' || t === 'replica' || t === 'slave') clients = [];
      else return encodeError(`ERR Unknown client type '${a[i + 1]!.toString()}'`);
      i += 2;
    } else if (opt === 'id' && i + 1 < a.length) {
      const ids = new Set<number>();
      for (i++; i < a.length && /^\d+$/.test(a[i]!.toString('latin1')); i++) ids.add(Number(a[i]!.toString('latin1')));
      if (ids.size === 0 || (i < a.length && lower(a[i]) !== 'type')) return encodeError('ERR Invalid client ID');
      clients = clients.filter((x) => ids.has(x.id));
    } else {
      return encodeError('ERR syntax error');
    }
  }
  return encodeVerbatim(clients.map((x) => `${clientInfoLine(x)}\n`).join(''), c.resp);
}

/** CLIENT KILL addr | [ID id] [ADDR addr] [LADDR addr] [USER name] [SKIPME yes|no]: over this pool's clients. */
function clientKill(c: ClientConn, a: Buffer[]): Buffer {
  if (a.length === 3) {
    const target = [...c.ctx.clients].find((x) => addrOf(x) === a[2]!.toString());
    if (target === undefined) return encodeError('ERR No such client');
    if (target === c) target.closeAfterReplies(); else target.close();
    return OK;
  }
  if (a.length % 2 !== 0) return encodeError('ERR syntax error');
  const tests: ((x: ClientConn) => boolean)[] = [];
  let skipMe = true;
  for (let i = 2; i < a.length; i += 2) {
    const opt = lower(a[i]);
    const v = a[i + 1]!.toString();
    if (opt === 'id') {
      if (!/^\d+$/.test(v)) return encodeError('ERR client-id should be greater than 0');
      tests.push((x) => x.id === Number(v));
    } else if (opt === 'addr') tests.push((x) => addrOf(x) === v);
    else if (opt === 'laddr') tests.push((x) => `${x.socket.localAddress}:${x.socket.localPort}` === v);
    else if (opt === 'user') tests.push(() => v === 'default');
    else if (opt === 'skipme') {
      if (v !== 'yes' && v !== 'no') return encodeError('ERR syntax error');
      skipMe = v === 'yes';
    } else return encodeError('ERR syntax error');
  }
  let killed = 0;
  for (const x of c.ctx.clients) {
    if ((skipMe && x === c) || !tests.every((t) => t(x))) continue;
    if (x === c) x.closeAfterReplies(); else x.close();
    killed++;
  }
  return encodeInteger(killed);
}

const HANDLERS: Record<string, Handler> = {
  ping: (_c, a) => (a.length === 1 ? PONG : a.length === 2 ? encodeBulk(a[1]) : errorReplies.arity('ping')),
  echo: (_c, a) => encodeBulk(a[1]),
  quit: (c) => {
    c.closeAfterReplies();
    return OK;
  },
  select: (_c, a) => (a[1].toString() === '0' ? OK : encodeError('ERR DB index is out of range')),
  time: () => {
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    return encodeBulkArray([String(Math.floor(us / 1e6)), String(us % 1e6)]);
  },
  reset: (c) => {
    c.name = null;
    c.authed = startsAuthed(c.ctx.pool.config.redisAuth, c.ctx.security.users);
    c.aclUser = null;
    c.resp = 2;
    c.noEvict = false;
    // Subscriptions dropped, transaction discarded, dedicated connections closed.
    c.session?.end();
    c.session = null;
    return encodeSimple('RESET');
  },
  acl: aclCommand,
  auth: (c, a) => (a.length === 2 ? checkPassword(c, null, a[1].toString()) : a.length === 3 ? checkPassword(c, a[1].toString(), a[2].toString()) : encodeError('ERR syntax error')),
  hello: (c, a) => {
    let proto: Proto = c.resp;
    let i = 1;
    if (a.length > 1) {
      const v = Number(a[1].toString());
      if (!Number.isInteger(v)) return encodeError('ERR Protocol version is not an integer or out of range');
      if (v !== 2 && v !== 3) return encodeError('NOPROTO unsupported protocol version');
      proto = v;
      i = 2;
    }
    let name: string | undefined;
    for (; i < a.length; i++) {
      const opt = lower(a[i]);
      if (opt === 'auth' && i + 2 < a.length) {
        const r = checkPassword(c, a[i + 1].toString(), a[i + 2].toString());
        if (r !== OK) return r;
        i += 2;
      } else if (opt === 'setname' && i + 1 < a.length) {
        name = a[i + 1].toString();
        if (BAD_NAME.test(a[i + 1].toString('latin1'))) return encodeError('ERR Client names cannot contain spaces, newlines or special characters.');
        i += 1;
      } else {
        return encodeError(`ERR Syntax error in HELLO option '${a[i].toString()}'`);
      }
    }
    if (!c.authed) return encodeError('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
    if (name !== undefined) c.name = name === '' ? null : name;
    // From the next request on, its requests go to the connections of that version.
    c.resp = proto;
    return encodeMap([
      encodeBulk('server'), encodeBulk('redis'), encodeBulk('version'), encodeBulk(REDIS_VERSION),
      encodeBulk('proto'), encodeInteger(proto), encodeBulk('id'), encodeInteger(c.id),
      encodeBulk('mode'), encodeBulk('standalone'), encodeBulk('role'), encodeBulk('master'),
      encodeBulk('modules'), EMPTY_ARRAY,
    ], proto);
  },
  client: (c, a) => {
    const sub = lower(a[1]);
    switch (sub) {
      case 'setname':
        if (a.length !== 3) return errorReplies.arity('client|setname');
        if (BAD_NAME.test(a[2].toString('latin1'))) return encodeError('ERR Client names cannot contain spaces, newlines or special characters.');
        c.name = a[2].length === 0 ? null : a[2].toString();
        return OK;
      case 'getname':
        return c.name === null ? nullReply(c.resp) : encodeBulk(c.name);
      case 'setinfo':
        return a.length === 4 ? OK : errorReplies.arity('client|setinfo');
      case 'id':
        return encodeInteger(c.id);
      case 'info':
        return encodeVerbatim(`${clientInfoLine(c)}\n`, c.resp);
      case 'list':
        return clientList(c, a);
      case 'kill':
        return clientKill(c, a);
      case 'no-evict':
      case 'no-touch': {
        const v = lower(a[2]);
        if (a.length !== 3 || (v !== 'on' && v !== 'off')) return encodeError('ERR syntax error');
        if (sub === 'no-evict') {
          c.noEvict = v === 'on';
          return OK;
        }
        // NO-TOUCH ON would have to reach the backends' own connections, which are shared.
        return v === 'off' ? OK : errorReplies.unsupported('client no-touch on', 'the backend connections are shared, so reads would still touch keys');
      }
      default: {
        const d = lookupCommand('client')!.subcommands?.get(sub);
        return d === undefined ? errorReplies.unknownSubcommand(a[1]!.toString(), 'client') : errorReplies.unsupported(`client ${sub}`, d.reason);
      }
    }
  },
  command: (c, a) => {
    const sub = lower(a[1]);
    if (a.length === 1) return (commandAll ??= encodeArray(REDIS_COMMANDS.map(commandInfoReply)));
    switch (sub) {
      case 'count':
        return encodeInteger(REDIS_COMMANDS.length);
      case 'info':
        return encodeArray(a.slice(2).map((n) => {
          const info = commandByName.get(lower(n));
          return info === undefined ? nullReply(c.resp) : commandInfoReply(info);
        }));
      case 'getkeys': {
        const argv = a.slice(2);
        const top = argv.length > 0 ? lookupCommand(lower(argv[0])) : undefined;
        const def = top === undefined ? undefined : resolveSubcommand(top, lower(argv[1]));
        if (def === undefined) return encodeError('ERR Invalid command specified');
        const keys = def.kind === 'single' ? [def.firstKey] : extractKeys(def, argv.length, (i) => argv[i].toString());
        if (keys === null || keys.length === 0 || keys.some((k) => k >= argv.length)) return encodeError('ERR The command has no key arguments');
        return encodeBulkArray(keys.map((k) => argv[k]));
      }
      default:
        return errorReplies.unknownSubcommand(a[1].toString(), 'command');
    }
  },
  info: (c, a) => encodeVerbatim(infoText(c, a.slice(1).map(lower)), c.resp),
  slowlog: (_c, a) => slowlogCommand(a),
};

export function runLocal(c: ClientConn, name: string, argv: Buffer[]): Buffer {
  const h = HANDLERS[name];
  return h === undefined ? errorReplies.unsupported(name, null) : h(c, argv);
}
