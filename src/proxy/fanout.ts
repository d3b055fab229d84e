// Keyless commands over the whole pool: sent to every server and merged
// (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD/EXISTS, FUNCTION …, INFO), sent to one
// live server (kind 'any': CONFIG GET, … HELP), RANDOMKEY (servers in random
// order until one has a key), and SCAN, whose cursor encodes which server
// the walk is on: cursor = serverCursor × servers + serverIndex, so a full
// SCAN walks every server (in config order) exactly once.
// Replies are kept (copied) as they arrive and merged when the last one is
// in; they come in the client's RESP version (its backend connections speak
// it), so merges only ever join like with like.
// Must not: run on the hot path.
import { encodeArrayHeader, encodeBulk, encodeCommand, encodeError, encodeInteger, encodeVerbatim, OK } from '../resp/encode.js';
import { errorReplies } from '../errors/replies.js';
import { arrayElements, isErrorReply, readInteger, skipReply } from '../resp/reply-read.js';
import { takeReq, releaseReq, type Entry, type Req, type ReplyTarget } from './request.js';
import { backendFor, forwardWhole, replyNoLiveServer } from './forward.js';
import { keep } from './socket-read.js';
import { infoText } from './local.js';
import type { CommandDef } from '../commands/table.js';
import type { FanoutKind } from '../commands/types.js';
import type { ClientConn } from './client.js';
import type { TopologyServer } from '../topology/topology.js';

/** One request sent to several servers; `merge` builds the client's reply from all their replies (in server order). */
class Gather implements Entry, ReplyTarget {
  done = false;
  out: Buffer | null = null;
  readonly #client: ClientConn;
  readonly #replies: Buffer[];
  #remaining: number;
  readonly #merge: (replies: Buffer[]) => Buffer;

  /** `errorsToo`: the merge sees error replies as well (otherwise the first error is the reply) */
  readonly #errorsToo: boolean;

  constructor(client: ClientConn, n: number, merge: (replies: Buffer[]) => Buffer, errorsToo = false) {
    this.#client = client;
    this.#errorsToo = errorsToo;
    this.#replies = new Array<Buffer>(n);
    this.#remaining = n;
    this.#merge = merge;
  }

  send(servers: readonly TopologyServer[], cmd: Buffer, start: number, end: number): void {
    this.#client.enqueue(this);
    servers.forEach((s, i) => {
      const req = takeReq(this);
      req.tag = i;
      backendFor(this.#client, s).connFor(this.#client.id).send(req, cmd, start, end);
    });
  }

  complete(req: Req, buf: Buffer, start: number, end: number): void {
    this.#replies[req.tag] = keep(buf, start, end);
    releaseReq(req);
    if (--this.#remaining > 0) return;
    const firstError = this.#errorsToo ? undefined : this.#replies.find((r) => isErrorReply(r, 0));
    try {
      this.out = firstError ?? this.#merge(this.#replies);
    } catch {
      this.out = errorReplies.badMergeReply();
    }
    this.done = true;
    this.#client.entryDone(this);
  }
}

/** The servers a fan-out goes to: every live one (a server out of the ring holds no keys the ring routes to). */
function liveServers(client: ClientConn): TopologyServer[] | null {
  const live = client.ctx.pool.servers.filter((s) => s.live);
  if (live.length === 0) {
    replyNoLiveServer(client);
    return null;
  }
  return live;
}

const sum = (rs: Buffer[]): Buffer => {
  let n = 0;
  for (const r of rs) {
    const v = readInteger(r, 0, r.length);
    if (Number.isNaN(v)) throw new Error('not an integer');
    n += v;
  }
  return encodeInteger(n);
};

const concat = (rs: Buffer[]): Buffer => {
  let count = 0;
  const bodies: Buffer[] = [];
  for (const r of rs) {
    const el = arrayElements(r, 0);
    if (el === null) throw new Error('not an array');
    count += el.length / 2;
    if (el.length > 0) bodies.push(r.subarray(el[0], el[el.length - 1]));
  }
  return Buffer.concat([encodeArrayHeader(count), ...bodies]);
};

const agree = (rs: Buffer[]): Buffer => {
  if (rs.some((r) => !r.equals(rs[0]!))) return encodeError('ERR the backend servers answered differently (load scripts and functions through the proxy so every server has them)');
  return rs[0]!;
};

/** SCRIPT EXISTS: a script exists when every server has it (EVALSHA may run on any of them). */
const and = (rs: Buffer[]): Buffer => {
  const lists = rs.map((r) => arrayElements(r, 0));
  if (lists.some((l) => l === null || l.length !== lists[0]!.length)) throw new Error('not matching arrays');
  const n = lists[0]!.length / 2;
  const out: Buffer[] = [encodeArrayHeader(n)];
  for (let i = 0; i < n; i++) {
    const all = lists.every((l, j) => readInteger(rs[j]!, l![i * 2]!, l![i * 2 + 1]!) === 1);
    out.push(encodeInteger(all ? 1 : 0));
  }
  return Buffer.concat(out);
};

const anyOk = (rs: Buffer[]): Buffer => rs.find((r) => r[0] === 43) ?? rs[0]!;

const MERGES: Record<Exclude<FanoutKind, 'random' | 'info'>, (rs: Buffer[]) => Buffer> = {
  sum, concat, agree, and, 'all-ok': () => OK, 'any-ok': anyOk,
};

/** Numeric fields of these sections are summed over the servers; the proxy's own sections come from it. */
const SUMMED_SECTIONS = new Set(['keyspace', 'memory', 'stats']);

function mergeInfo(client: ClientConn, sections: readonly string[], rs: Buffer[]): Buffer {
  const sums = new Map<string, Map<string, string | number>>();
  for (const r of rs) {
    // A server that failed or timed out leaves its numbers out: INFO (a client's start-up check) still answers.
    if (isErrorReply(r, 0)) continue;
    const text = r[0] === 61 ? r.toString('utf8', r.indexOf(10) + 5, r.length - 2) : r.toString('utf8', r.indexOf(10) + 1, r.length - 2);
    let sec = '';
    for (const line of text.split('\r\n')) {
      if (line.startsWith('# ')) { sec = line.slice(2).toLowerCase(); continue; }
      const colon = line.indexOf(':');
      if (!SUMMED_SECTIONS.has(sec) || colon < 0) continue;
      const fields = sums.get(sec) ?? new Map<string, string | number>();
      sums.set(sec, fields);
      const key = line.slice(0, colon);
      const value = line.slice(colon + 1);
      if (sec === 'keyspace') {
        // db0:keys=1,expires=0,avg_ttl=0
        const parts = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
        const prev = fields.get(key);
        const prevParts = typeof prev === 'string' ? new Map(prev.split(',').map((kv) => kv.split('=') as [string, string])) : new Map<string, string>();
        const merged = [...parts].map(([k, v]) => `${k}=${k === 'avg_ttl' ? Math.max(Number(v), Number(prevParts.get(k) ?? 0)) : Number(v) + Number(prevParts.get(k) ?? 0)}`);
        fields.set(key, merged.join(','));
      } else if (/^-?\d+$/.test(value)) {
        const prev = fields.get(key);
        fields.set(key, (typeof prev === 'number' ? prev : 0) + Number(value));
      } else if (!fields.has(key)) {
        fields.set(key, value);
      }
    }
  }
  const own = infoText(client, sections);
  const extra: string[] = [];
  for (const [sec, fields] of sums) {
    if (sec === 'stats') continue; // appended to the proxy's own Stats section below
    extra.push(`# ${sec[0]!.toUpperCase()}${sec.slice(1)}`, ...[...fields].map(([k, v]) => `${k}:${v}`), '');
  }
  let text = own;
  const stats = sums.get('stats');
  if (stats !== undefined) {
    const ownKeys = new Set(own.split('\r\n').map((l) => l.slice(0, l.indexOf(':'))));
    const lines = [...stats].filter(([k]) => !ownKeys.has(k)).map(([k, v]) => `${k}:${v}`);
    text = own.includes('# Stats\r\n')
      ? own.replace(/(# Stats\r\n(?:[^\r\n]+\r\n)*)/, (m) => `${m}${lines.map((l) => `${l}\r\n`).join('')}`)
      : `${own}${own ? '\r\n' : ''}# Stats\r\n${lines.join('\r\n')}\r\n`;
  }
  return encodeVerbatim(`${text}${extra.length > 0 && text !== '' && !text.endsWith('\r\n\r\n') ? '\r\n' : ''}${extra.join('\r\n')}`, client.resp);
}

export function runFanout(client: ClientConn, def: CommandDef, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const kind = def.fanout!;
  if (kind === 'random') {
    randomKey(client, buf, start, end);
    return;
  }
  if (kind === 'info') {
    runInfo(client, buf, start, end, argc, args);
    return;
  }
  gather(client, buf, start, end, MERGES[kind], kind === 'any-ok');
}

/** INFO [section …]: the proxy's own sections, plus the servers' summed ones when asked for. */
function runInfo(client: ClientConn, buf: Buffer, start: number, end: number, argc: number, args: Int32Array): void {
  const sections: string[] = [];
  for (let i = 1; i < argc; i++) sections.push(buf.toString('latin1', args[2 * i]!, args[2 * i + 1]!).toLowerCase());
  // Plain INFO (what client libraries send at connect, as a ready check) is the proxy's own and never waits
  // for a backend: one stalled server must not keep clients from connecting. Sections that sum the
  // servers' figures (keyspace, memory, stats) and INFO all / everything ask every server.
  const wantsBackends = sections.some((x) => x === 'all' || x === 'everything' || SUMMED_SECTIONS.has(x));
  if (!wantsBackends || client.ctx.pool.liveCount === 0) {
    client.replyLocal(encodeVerbatim(infoText(client, sections), client.resp));
    return;
  }
  // a server that failed leaves its figures out (INFO still answers)
  gather(client, buf, start, end, (rs) => mergeInfo(client, sections, rs), true);
}

/** The request to every live server, the replies merged into one. */
function gather(client: ClientConn, buf: Buffer, start: number, end: number, merge: (rs: Buffer[]) => Buffer, tolerateErrors: boolean): void {
  const servers = liveServers(client);
  if (servers === null) return;
  // SCRIPT KILL / FUNCTION KILL ('any-ok'): OK when one server had a script to kill (the others' NOTBUSY is expected).
  const g = new Gather(client, servers.length, merge, tolerateErrors);
  g.send(servers, buf, start, end);
}

/** Kind 'any': the same on every server, so one live server answers. */
export function forwardAny(client: ClientConn, buf: Buffer, start: number, end: number): void {
  const server = client.ctx.pool.servers.find((s) => s.live);
  if (server === undefined) replyNoLiveServer(client);
  else forwardWhole(client, server, buf, start, end);
}

/** RANDOMKEY: servers in random order, until one has a key. */
function randomKey(client: ClientConn, buf: Buffer, start: number, end: number): void {
  const servers = liveServers(client);
  if (servers === null) return;
  for (let i = servers.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [servers[i], servers[j]] = [servers[j]!, servers[i]!];
  }
  const cmd = Buffer.from(buf.subarray(start, end));
  const entry: Entry = { done: false, out: null };
  client.enqueue(entry);
  const next = (i: number): void => {
    const target: ReplyTarget = {
      complete: (req, b, s, e) => {
        releaseReq(req);
        const nil = b[s] === 95 || (b[s] === 36 && b[s + 1] === 45);
        if (nil && i + 1 < servers.length) {
          next(i + 1);
          return;
        }
        entry.out = keep(b, s, e);
        entry.done = true;
        client.entryDone(entry);
      },
    };
    backendFor(client, servers[i]!).connFor(client.id).send(takeReq(target), cmd, 0, cmd.length);
  };
  next(0);
}

/** SCAN cursor [MATCH p] [COUNT n] [TYPE t]: the cursor says which server and where on it. */
export function runScan(client: ClientConn, buf: Buffer, argc: number, args: Int32Array): void {
  const servers = client.ctx.pool.servers;
  const n = BigInt(servers.length);
  const text = buf.toString('latin1', args[2]!, args[3]!);
  if (!/^\d{1,20}$/.test(text)) {
    client.replyLocal(encodeError('ERR invalid cursor'));
    return;
  }
  const cursor = BigInt(text);
  const index = Number(cursor % n);
  const server = servers[index]!;
  if (!server.live) {
    client.replyLocal(errorReplies.backendFailed(server.label, 'server is out of the ring; SCAN cannot walk it now'));
    return;
  }
  const argv: Buffer[] = [];
  for (let i = 0; i < argc; i++) argv.push(buf.subarray(args[i * 2]!, args[i * 2 + 1]!));
  argv[1] = Buffer.from(String(cursor / n));
  const cmd = encodeCommand(argv);
  const g = new Gather(client, 1, ([r]) => {
    // *2 $<cursor> <array of keys>
    const el = arrayElements(r!, 0);
    if (el === null || el.length !== 4) throw new Error('not a SCAN reply');
    const inner = r!.toString('latin1', r!.indexOf(10, el[0]!) + 1, el[1]! - 2);
    const next = BigInt(inner);
    const proxyCursor = next === 0n ? (index + 1 < servers.length ? BigInt(index + 1) : 0n) : next * n + BigInt(index);
    return Buffer.concat([encodeArrayHeader(2), encodeBulk(String(proxyCursor)), r!.subarray(el[2]!, skipReply(r!, el[2]!))]);
  });
  g.send([server], cmd, 0, cmd.length);
}
