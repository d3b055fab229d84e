// NodeState: the NodeCore of `shardgate node`. Owns the command table, the
// dispatch checks (auth, arity, subscribed mode, read-only, maxmemory), the
// write stream, blocked pops, pub/sub registries, stats, the hold a MIGRATE
// takes (other clients' commands wait until it is released), and the busy
// state of a script run past busy-reply-threshold (other clients are answered
// BUSY, internal commands and timeouts wait for its end). Must not
// touch sockets (server.ts does) and knows data types only through command files.
import { NO_REPLY, ReplyError, type CommandSpec, type NodeCore, type NodeOptions, type Reply, type WriteListener } from './contracts.js';
import { Keyspace } from './keyspace.js';
import { T } from './dump.js';
import { NIL_ARRAY, Push, toPublicReply, type NodeReply } from './reply.js';
import type { Call, ClientState, Cmd } from './commands/types.js';
import { E, arity, buf } from './commands/util.js';
import { allCommands } from './commands/index.js';
import { globMatch } from './commands/util.js';
import { TargetLinks } from './migrate/target-links.js';
import { Transactions } from './transactions.js';
import { BUSY_REPLY_THRESHOLD_MS, ScriptEngine, type ScriptHost } from './scripting/engine.js';
import { FunctionLibraries, type LibFunction } from './scripting/functions.js';

interface Waiter {
  client: ClientState;
  keys: string[];
  done: boolean;
  /** pop from `key` (it holds a non-empty list) and return the reply; undefined = cannot serve now (stays blocked) */
  serve(key: string): NodeReply | undefined;
  resolve(r: NodeReply): void;
  timer: NodeJS.Timeout | null;
}

/** Node timers fire at once past 2^31-1 ms: longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Commands a script may not call besides those flagged noscript: redis-server 7.0's noscript
 * commands and containers (blocking pops, transactions, CLIENT, CONFIG, SCRIPT, …), and MIGRATE
 * (it waits for another server; a script runs synchronously).
 */
const NOT_IN_SCRIPTS = new Set(['auth', 'bgrewriteaof', 'bgsave', 'blmove', 'blpop', 'brpop', 'brpoplpush', 'bzpopmax', 'bzpopmin',
  'debug', 'discard', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'exec', 'failover', 'fcall', 'fcall_ro', 'hello', 'monitor', 'multi',
  'psubscribe', 'psync', 'punsubscribe', 'quit', 'replconf', 'replicaof', 'reset', 'role', 'save', 'shutdown', 'slaveof', 'ssubscribe',
  'subscribe', 'sunsubscribe', 'sync', 'unsubscribe', 'unwatch', 'wait', 'watch', 'client', 'config', 'script', 'acl', 'function',
  'latency', 'module', 'migrate']);

/** Commands redis-server 7.0 runs while a script is busy (CMD_ALLOW_BUSY); SCRIPT only as SCRIPT KILL (below). */
const ALLOWED_BUSY = new Set(['auth', 'discard', 'hello', 'multi', 'quit', 'replconf', 'reset', 'shutdown', 'unwatch', 'watch']);
/** SCRIPT subcommands other than KILL: answered BUSY (an unknown one gets its own error) */
const SCRIPT_SUBS = new Set(['load', 'exists', 'flush', 'help', 'debug']);
/** FUNCTION subcommands other than KILL and STATS: answered BUSY */
const FUNCTION_SUBS = new Set(['load', 'delete', 'flush', 'list', 'dump', 'restore', 'help']);
/** what others are answered while a function (not an EVAL script) is busy */
const BUSY_FUNCTION = new ReplyError('BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.');

/** One run of a script or function: its client, whether it wrote, what to kill, what FUNCTION STATS shows. */
interface Run { client: ClientState; wrote: boolean; engine: ScriptEngine; kind: 'eval' | 'function'; name: string; argv: Buffer[]; startedAt: number }

const SUBSCRIBED_OK = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'ping', 'quit', 'reset']);

export class NodeState implements NodeCore {
  readonly keyspace = new Keyspace();
  readonly table = new Map<string, Cmd>();
  /** the same commands keyed by their upper-case name: most clients send "GET", saving a toLowerCase per request */
  readonly #upper = new Map<string, Cmd>();
  readonly infoSections = new Map<string, () => Record<string, string | number>>();
  readonly clients = new Map<number, ClientState>();
  readonly channels = new Map<string, Set<ClientState>>();
  readonly patterns = new Map<string, Set<ClientState>>();
  readonly slowlog: { id: number; time: number; us: number; argv: Buffer[]; addr: string; name: string }[] = [];
  slowlogNext = 0;
  slowlogThresholdUs = 10000;
  readonly startedAt = Date.now();
  readOnly = false;
  stats = { commands: 0, connections: 0, rejected: 0, pubsubMessages: 0, netIn: 0, netOut: 0 };
  nextClientId = 1;
  readonly #listeners = new Set<WriteListener>();
  readonly #blocked = new Map<string, Waiter[]>();
  readonly #ready = new Set<string>();
  readonly #internal: ClientState;
  /** the client whose MIGRATE is in flight: only it (and internal clients) may run commands */
  #holder: ClientState | null = null;
  #parked: (() => void)[] = [];
  /** connections to MIGRATE targets */
  readonly migrateLinks = new TargetLinks();
  readonly txn = new Transactions((name) => this.#lookup(name), (key) => {
    const e = this.keyspace.map.get(key);
    return e !== undefined && e.exp !== 0 && e.exp <= Date.now();
  });
  /**
   * EXEC or a script is running: its writes are kept and reach the write stream at its end as
   * MULTI … EXEC (a busy script's partial writes never reach the AOF or replicas, as in Redis)
   */
  #execOpen = false;
  #unitWrites: Buffer[][] | null = null;
  #scripts: ScriptEngine | null = null;
  /** busy-reply-threshold / lua-time-limit (ms; 0 = a script never lets others in) */
  busyReplyThresholdMs = BUSY_REPLY_THRESHOLD_MS;
  /** the script that ran past the threshold and is still running, with whether it wrote */
  #busy: Run | null = null;
  /** the script or function running now (busy or not), for FUNCTION STATS */
  #running: Run | null = null;
  #functions: FunctionLibraries | null = null;
  /** internal commands and blocked clients' timeouts that came while a script was busy */
  #afterBusy: (() => void)[] = [];
  /** SHUTDOWN: set by startNode (close the node; save true = SAVE, false = NOSAVE, null = as configured) */
  shutdownHandler: ((save: boolean | null) => void) | null = null;
  /** redis.log() of scripts (startNode points it at the node's logger) */
  scriptLog: (level: number, message: string) => void = () => {};

  constructor(readonly options: NodeOptions) {
    for (const c of allCommands()) this.#add(c);
    this.keyspace.onDelete = (argv) => this.emit(argv);
    // a full sync or snapshot load replaces the data: a transaction half-read from the old stream is void
    this.keyspace.onFlushAll = () => { this.#internal.txn = null; };
    this.#internal = this.newClient({ internal: true, addr: 'internal', laddr: '', push: () => {} });
    this.#internal.authed = true;
    this.clients.delete(this.#internal.id);
  }

  newClient(o: { internal: boolean; addr: string; laddr: string; push(r: NodeReply): void }): ClientState {
    const c: ClientState = {
      id: this.nextClientId++, protocol: 2, name: null, internal: o.internal,
      authed: this.options.requirepass === null, subs: new Set(), psubs: new Set(),
      createdAt: Date.now(), lastCmd: 'NULL', libName: '', libVer: '', addr: o.addr, laddr: o.laddr, push: o.push, conn: null,
      txn: null, inExec: false,
    };
    this.clients.set(c.id, c);
    return c;
  }

  /** Close every client connection (shutdown). */
  closeAllClients(): void { for (const c of [...this.clients.values()]) c.conn?.close?.(); }

  dropClient(c: ClientState): void {
    this.clients.delete(c.id);
    this.txn.dropClient(c);
    for (const ch of c.subs) this.#unsub(this.channels, ch, c);
    for (const p of c.psubs) this.#unsub(this.patterns, p, c);
    c.subs.clear(); c.psubs.clear();
    const mine = new Set<Waiter>();
    for (const ws of this.#blocked.values()) for (const w of ws) if (w.client === c && !w.done) mine.add(w);
    for (const w of mine) this.#unblock(w);
  }

  #unsub(m: Map<string, Set<ClientState>>, k: string, c: ClientState): void {
    const s = m.get(k);
    if (s) { s.delete(c); if (s.size === 0) m.delete(k); }
  }

  // ---- the MIGRATE hold ----
  /** Hold the node for `client`: until release(), other clients' commands must wait (see mustWait). */
  hold(client: ClientState): void { this.#holder = client; }

  release(client: ClientState): void {
    if (this.#holder !== client) return;
    this.#holder = null;
    const parked = this.#parked;
    this.#parked = [];
    for (const resume of parked) resume();
  }

  /** a MIGRATE holds the node or a script is busy: background work (active expiry, saves) waits */
  get held(): boolean { return this.#holder !== null || this.#busy !== null; }

  /** a script runs past busy-reply-threshold: other clients get BUSY, internal commands wait */
  get busy(): boolean { return this.#busy !== null; }

  /**
   * true when another client holds the node: the caller queues the command and parks (whenReleased).
   * Not while a script is busy: then other clients are answered (BUSY).
   */
  mustWait(client: ClientState): boolean { return this.#holder !== null && this.#holder !== client && this.#busy === null; }

  /** Call `resume` once the hold is released (at once when nothing holds the node). */
  whenReleased(resume: () => void): void {
    if (this.#holder === null) resume(); else this.#parked.push(resume);
  }

  // ---- NodeCore ----
  addWriteListener(l: WriteListener): () => void { this.#listeners.add(l); return () => { this.#listeners.delete(l); }; }
  get hasListeners(): boolean { return this.#listeners.size > 0; }
  /** Propagate a write (AOF, replicas) and invalidate WATCHes on the keys it names. */
  emit(argv: Buffer[]): void {
    if (this.txn.watching) this.txn.touchWritten(argv);
    if (this.#listeners.size === 0) return;
    if (this.#execOpen) { (this.#unitWrites ??= []).push(argv); return; }
    for (const l of this.#listeners) l.onWrite(argv);
  }

  /** Run EXEC's queued commands: atomically (a MIGRATE among them holds the node), writes wrapped in MULTI … EXEC. */
  exec(client: ClientState): NodeReply | Promise<NodeReply> {
    const q = this.txn.begin(client);
    if (!Array.isArray(q)) return q;
    const queue = q as Buffer[][];
    this.#openUnit();
    client.inExec = true;
    const replies: NodeReply[] = [];
    const finish = (): NodeReply => {
      client.inExec = false;
      this.#closeUnit();
      return replies as Reply[]; // a nil array inside (BLPOP in MULTI) is encoded as such by reply.ts
    };
    for (let i = 0; i < queue.length; i++) {
      const r = this.dispatch(client, queue[i]!);
      if (r instanceof Promise) {
        this.hold(client);
        const rest = async (): Promise<NodeReply> => {
          replies.push(await r);
          for (let j = i + 1; j < queue.length; j++) {
            const x = this.dispatch(client, queue[j]!);
            replies.push(x instanceof Promise ? await x : x === NO_REPLY ? null : x);
          }
          return finish();
        };
        return rest().finally(() => this.release(client));
      }
      replies.push(r === NO_REPLY ? null : r);
    }
    return finish();
  }

  /**
   * A command changed the dataset: its write (or the rewrite it put in call.prop) goes to the write
   * stream and to WATCH. A read command that wrote (PFCOUNT's cached cardinality) says so with call.prop.
   */
  #propagate(cmd: Cmd, call: Call): void {
    if ((!cmd.write && call.prop === null) || (this.#listeners.size === 0 && !this.txn.watching)) return;
    if (call.prop === null) this.emit(call.argv);
    else for (const a of call.prop) this.emit(a);
  }

  /** what others are answered while a script or function is busy */
  #busyReply(b: Run): ReplyError { return b.kind === 'function' ? BUSY_FUNCTION : E.busy; }

  /** Writes from here to #closeUnit reach the write stream as one MULTI … EXEC (EXEC, scripts). */
  #openUnit(): void {
    this.#execOpen = true;
    this.#unitWrites = null;
  }

  #closeUnit(): void {
    this.#execOpen = false;
    const writes = this.#unitWrites;
    this.#unitWrites = null;
    if (writes !== null && this.#listeners.size > 0) {
      for (const l of this.#listeners) l.onWrite([buf('MULTI')]);
      for (const argv of writes) for (const l of this.#listeners) l.onWrite(argv);
      for (const l of this.#listeners) l.onWrite([buf('EXEC')]);
    }
    if (this.#ready.size > 0) this.#serveBlocked();
  }

  // ---- scripts ----
  /** The script interpreter and cache, made on first use (EVAL, SCRIPT LOAD…). */
  get scripts(): ScriptEngine { return (this.#scripts ??= new ScriptEngine()); }

  /** Scripts cached so far (INFO), without making the interpreter. */
  get cachedScripts(): { count: number; bytes: number } {
    return this.#scripts === null ? { count: 0, bytes: 0 } : { count: this.#scripts.size, bytes: this.#scripts.cachedBytes };
  }

  /**
   * Run a cached script for `client`: no other client's command runs in between. Its writes are
   * propagated as the commands it ran, wrapped in MULTI … EXEC (or inside the enclosing EXEC's).
   * Commands see a RESP2 client and do not block (as in EXEC). A script past busy-reply-threshold
   * answers a Promise: until it settles the node is busy (dispatch answers others BUSY).
   */
  runScript(client: ClientState, sha: string, keys: Buffer[], args: Buffer[], readOnly: boolean): NodeReply | Promise<NodeReply> {
    const engine = this.scripts;
    return this.#run(client, { engine, kind: 'eval', name: sha, argv: [] }, readOnly, false, (host) => engine.run(sha, keys, args, host));
  }

  /** The FUNCTION libraries, made on first use. */
  get functions(): FunctionLibraries { return (this.#functions ??= new FunctionLibraries()); }
  /** library and function counts (INFO), without making the interpreter */
  get functionCounts(): { libraries: number; functions: number; bytes: number } {
    const f = this.#functions;
    return f === null ? { libraries: 0, functions: 0, bytes: 0 } : { libraries: f.libraries.size, functions: f.functions.size, bytes: f.codeBytes };
  }

  /**
   * FCALL / FCALL_RO: Redis 7.0's checks of the function's flags (a function without no-writes
   * needs a writable node, FCALL, and memory unless allow-oom), then a run as runScript's.
   */
  runFunction(client: ClientState, fn: LibFunction, argv: Buffer[], keys: Buffer[], args: Buffer[], ro: boolean): NodeReply | Promise<NodeReply> {
    const noWrites = fn.flags.includes('no-writes');
    const allowOom = fn.flags.includes('allow-oom');
    if (!noWrites) {
      // Redis counts FCALL of a function without no-writes as a write command: the usual refusals
      if (this.readOnly && !client.internal) return E.readonly;
      if (ro) return new ReplyError('ERR Can not execute a script with write flag using *_ro command.');
      if (!allowOom && !client.internal && this.options.maxmemory > 0 && this.keyspace.used > this.options.maxmemory) return E.oom;
    }
    const engine = this.functions.engine;
    return this.#run(client, { engine, kind: 'function', name: fn.name, argv }, noWrites, allowOom,
      (host) => engine.callFunction(fn.ref, fn.name, keys, args, host));
  }

  #run(client: ClientState, what: Pick<Run, 'engine' | 'kind' | 'name' | 'argv'>, readOnly: boolean, allowOom: boolean,
    start: (host: ScriptHost) => NodeReply | Promise<NodeReply>): NodeReply | Promise<NodeReply> {
    const outer = this.#execOpen;
    if (!outer) this.#openUnit();
    const proto = client.protocol;
    const inExec = client.inExec;
    client.protocol = 2;
    client.inExec = true;
    const state: Run = { client, wrote: false, ...what, startedAt: Date.now() };
    const ks = this.keyspace;
    ks.scriptTime = Date.now();
    this.#running = state;
    const done = (): void => {
      ks.scriptTime = 0;
      this.#running = null;
      client.protocol = proto;
      client.inExec = inExec;
      if (!outer) this.#closeUnit();
    };
    let r: NodeReply | Promise<NodeReply>;
    try {
      r = start({
        call: (argv) => this.#scriptCall(client, argv, readOnly, allowOom, state),
        log: (level, message) => this.scriptLog(level, message),
        busyAfterMs: this.busyReplyThresholdMs,
        wrote: () => state.wrote,
      });
    } catch (err) { done(); throw err; }
    if (!(r instanceof Promise)) { done(); return r; }
    this.#busy = state;
    const settle = (reply: NodeReply): NodeReply => {
      this.#busy = null;
      done();
      const later = this.#afterBusy;
      this.#afterBusy = [];
      for (const fn of later) fn();
      return reply;
    };
    return r.then(settle, (err: unknown) => settle(new ReplyError(`ERR ${String((err as Error)?.message ?? err)}`)));
  }

  /** the libraries in a snapshot: FUNCTION DUMP's payload in base64 (none: no aux record, so older snapshots look the same) */
  snapshotAux(): Record<string, string> {
    const f = this.#functions;
    return f === null || f.libraries.size === 0 ? {} : { functions: f.dump().toString('base64') };
  }

  /** FUNCTION STATS' running_script: the function (not an EVAL script: as Redis) running, its command and time so far */
  get runningScript(): { name: string; argv: Buffer[]; ms: number } | null {
    const b = this.#running;
    return b === null || b.kind !== 'function' ? null : { name: b.name, argv: b.argv, ms: Date.now() - b.startedAt };
  }

  /** SCRIPT KILL (kind 'eval') or FUNCTION KILL ('function'): stop the busy run if it has not written (Redis 7.0's replies). */
  killScript(kind: 'eval' | 'function' = 'eval'): NodeReply {
    const b = this.#busy;
    if (b === null) return new ReplyError('NOTBUSY No scripts in execution right now.');
    if (b.wrote) return new ReplyError('UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.');
    if (kind !== b.kind) return this.#busyReply(b);
    b.engine.kill();
    return 'OK';
  }

  /** SHUTDOWN NOSAVE while busy: the script stops where it is and its writes are never propagated. */
  abandonScript(): void {
    if (this.#busy === null) return;
    this.#unitWrites = null;
    this.#busy.engine.abandon();
  }

  /** One redis.call from a script: redis-server 7.0's checks for script calls, then the command. */
  #scriptCall(client: ClientState, argv: Buffer[], readOnly: boolean, allowOom: boolean, state: { wrote: boolean }): NodeReply {
    const cmd = this.#lookup(argv[0]!);
    this.stats.commands++;
    if (cmd === undefined) return new ReplyError('ERR Unknown Redis command called from script');
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) return new ReplyError('ERR Wrong number of args calling Redis command from script');
    if (NOT_IN_SCRIPTS.has(cmd.name) || cmd.flags.includes('noscript')) return new ReplyError('ERR This Redis command is not allowed from script');
    const ks = this.keyspace;
    if (cmd.write) {
      if (readOnly) return new ReplyError('ERR Write commands are not allowed from read-only scripts.');
      if (this.readOnly && !client.internal) return E.readonly;
      // like Redis: a script over maxmemory may not start writing with a denyoom command
      if (!state.wrote && !allowOom && cmd.denyoom && !client.internal && this.options.maxmemory > 0 && ks.used > this.options.maxmemory) return E.oom;
      state.wrote = true;
    }
    const call: Call = { argv, ks, node: this, client, prop: null };
    const dirty = ks.dirty;
    const r = cmd.run(call);
    if (r === NO_REPLY) return null;
    if (r instanceof Promise) return new ReplyError('ERR This Redis command is not allowed from script');
    if (ks.dirty !== dirty) this.#propagate(cmd, call);
    return r;
  }

  execute(argv: Buffer[]): Reply | Promise<Reply> {
    // while a script is busy the internal client (replication stream, …) waits for its end, as
    // Redis leaves its master's stream unread meanwhile
    if (this.#busy !== null) return new Promise<Reply>((resolve) => { this.#afterBusy.push(() => resolve(this.execute(argv))); });
    const r = this.dispatch(this.#internal, argv);
    if (r === NO_REPLY) return null;
    if (r instanceof Promise) return r.then((x) => toPublicReply(x));
    return toPublicReply(r);
  }

  registerCommand(spec: CommandSpec): void {
    const dummy = { write: () => false, detachAsReplica: () => {}, remoteAddress: '', remotePort: 0 };
    const c: Cmd = {
      name: spec.name, arity: spec.arity, flags: spec.flags, firstKey: spec.firstKey, lastKey: spec.lastKey, step: spec.step,
      write: spec.flags.includes('write'), denyoom: false,
      run: (call) => spec.handler(call.client, call.argv, call.client.conn ?? dummy),
    };
    this.#add(c);
  }

  #add(c: Cmd): void {
    this.table.set(c.name, c);
    this.#upper.set(c.name.toUpperCase(), c);
  }

  registerInfoSection(name: string, render: () => Record<string, string | number>): void { this.infoSections.set(name.toLowerCase(), render); }

  setReadOnly(ro: boolean): void {
    this.readOnly = ro;
    this.keyspace.passiveExpiry = ro;
  }

  // ---- dispatch ----
  dispatch(client: ClientState, argv: Buffer[]): NodeReply | Promise<NodeReply> | typeof NO_REPLY {
    const cmd = this.#lookup(argv[0]!);
    this.stats.commands++;
    if (cmd === undefined) { this.txn.flagFailed(client); return unknownCommand(argv); }
    const name = cmd.name;
    if (!client.authed && !cmd.flags.includes('noauth')) return E.noauth;
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
      // a rejected EXEC ends the transaction it would have run (Redis: EXECABORT with the reason)
      if (name === 'exec' && client.txn !== null) { this.txn.dropClient(client); return new ReplyError(`EXECABORT Transaction discarded because of: ${arity(name).message.replace(/^ERR /, '')}`); }
      this.txn.flagFailed(client);
      return arity(name);
    }
    if (client.protocol === 2 && (client.subs.size > 0 || client.psubs.size > 0) && !SUBSCRIBED_OK.has(name)) {
      return new ReplyError(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    }
    if (cmd.write && this.readOnly && !client.internal) { this.txn.flagFailed(client); return E.readonly; }
    if (this.#busy !== null && client !== this.#busy.client && !allowedBusy(name, argv)) {
      // as any refusal of EXEC in Redis: the transaction (and its WATCHes) is dropped
      if (name === 'exec') { this.txn.dropClient(client); return new ReplyError(`EXECABORT Transaction discarded because of: ${this.#busyReply(this.#busy).message}`); }
      this.txn.flagFailed(client);
      return this.#busyReply(this.#busy);
    }
    const ks = this.keyspace;
    if (this.options.maxmemory > 0 && !this.readOnly && this.#busy === null && ks.used > this.options.maxmemory) {
      const ok = ks.evict(this.options.maxmemory, this.options.maxmemoryPolicy, this.options.maxmemorySamples);
      if (!ok && cmd.denyoom && !client.internal) { this.txn.flagFailed(client); return E.oom; }
    }
    if (client.txn !== null && this.txn.queues(client, name)) return this.txn.queue(client, argv);
    client.lastCmd = name;
    const call: Call = { argv, ks, node: this, client, prop: null };
    const dirty = ks.dirty;
    const t0 = performance.now();
    const r = cmd.run(call);
    const us = (performance.now() - t0) * 1000;
    if (us > this.slowlogThresholdUs) this.#slow(client, argv, us);
    if (ks.dirty !== dirty) this.#propagate(cmd, call);
    if (this.#ready.size > 0 && !this.#execOpen) this.#serveBlocked();
    return r;
  }

  #lookup(name: Buffer): Cmd | undefined {
    const raw = name.toString('latin1');
    return this.#upper.get(raw) ?? this.table.get(raw.toLowerCase());
  }

  #slow(client: ClientState, argv: Buffer[], us: number): void {
    this.slowlog.unshift({ id: this.slowlogNext++, time: Math.floor(Date.now() / 1000), us: Math.round(us), argv: argv.slice(0, 32), addr: client.addr, name: client.name ?? '' });
    if (this.slowlog.length > 128) this.slowlog.pop();
  }

  // ---- blocking pops ----
  /**
   * Block the client on keys until one of them holds a list that `serve` pops from
   * (keys are served FIFO per key, after the command that pushed); resolves with
   * serve's reply, or NIL_ARRAY after timeoutMs (0 = no timeout).
   */
  block(client: ClientState, keys: string[], timeoutMs: number, serve: (key: string) => NodeReply | undefined): Promise<NodeReply> {
    return new Promise((resolve) => {
      const w: Waiter = { client, keys, done: false, serve, resolve, timer: null };
      if (timeoutMs > 0) {
        const deadline = Date.now() + timeoutMs;
        const arm = (): void => {
          const left = deadline - Date.now();
          if (left > MAX_TIMER_MS) { w.timer = setTimeout(arm, MAX_TIMER_MS); return; }
          // a timeout while a script is busy is answered after it (Redis runs no timers meanwhile)
          const fire = (): void => { if (!w.done) { this.#unblock(w); resolve(NIL_ARRAY); } };
          w.timer = setTimeout(() => { if (this.#busy !== null) this.#afterBusy.push(fire); else fire(); }, Math.max(0, left));
        };
        arm();
      }
      for (const k of keys) {
        let q = this.#blocked.get(k);
        if (q === undefined) { q = []; this.#blocked.set(k, q); }
        q.push(w);
      }
    });
  }

  /** Mark a waiter finished and take it out of its keys' queues. */
  #unblock(w: Waiter): void {
    w.done = true;
    if (w.timer) clearTimeout(w.timer);
    for (const k of w.keys) {
      const q = this.#blocked.get(k);
      if (q === undefined) continue;
      const live = q.filter((x) => x !== w);
      if (live.length === 0) this.#blocked.delete(k); else this.#blocked.set(k, live);
    }
  }

  /** A list got elements: blocked clients on it are served after the current command. */
  signalReady(key: string): void { if (this.#blocked.has(key)) this.#ready.add(key); }

  get blockedClients(): number {
    const s = new Set<ClientState>();
    for (const q of this.#blocked.values()) for (const w of q) if (!w.done) s.add(w.client);
    return s.size;
  }

  #serveBlocked(): void {
    const ks = this.keyspace;
    for (const key of this.#ready) {
      this.#ready.delete(key);
      const q = this.#blocked.get(key);
      if (q === undefined) continue;
      for (let i = 0; i < q.length; i++) {
        const w = q[i]!;
        if (w.done) continue;
        const e = ks.peek(key);
        if (e === undefined || e.t !== T.List) break;
        const r = w.serve(key);
        if (r === undefined) continue;
        this.#unblock(w);
        w.resolve(r);
      }
    }
  }

  // ---- pub/sub ----
  publish(channel: Buffer, msg: Buffer): number {
    const ch = channel.toString('latin1');
    let n = 0;
    const subs = this.channels.get(ch);
    if (subs) for (const c of subs) { c.push(new Push([buf('message'), channel, msg])); n++; }
    for (const [p, set] of this.patterns) {
      if (!globMatchCached(p, ch)) continue;
      for (const c of set) { c.push(new Push([buf('pmessage'), buf(p), channel, msg])); n++; }
    }
    this.stats.pubsubMessages++;
    return n;
  }
}

function allowedBusy(name: string, argv: Buffer[]): boolean {
  if (ALLOWED_BUSY.has(name)) return true;
  if (name !== 'script' && name !== 'function') return false;
  const sub = argv[1]!.toString('latin1').toLowerCase();
  return name === 'script' ? sub === 'kill' || !SCRIPT_SUBS.has(sub) : !FUNCTION_SUBS.has(sub);
}

function globMatchCached(p: string, s: string): boolean { return globMatch(p, s); }

function unknownCommand(argv: Buffer[]): ReplyError {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i]!.toString('latin1').slice(0, 128 - args.length)}' `;
  }
  const name = argv[0]!.toString('latin1').slice(0, 128);
  return new ReplyError(`ERR unknown command '${name}', with args beginning with: ${args}`);
}
