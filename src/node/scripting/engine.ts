// The script interpreter of the node: one Lua state (fengari) with Redis's
// script environment — KEYS/ARGV, the `redis` table (call, pcall,
// error_reply, status_reply, sha1hex, log, setresp, set_repl…), cjson, bit,
// struct, the 5.1 names (prelude.ts), protected globals — and the script
// cache (sha1 → compiled function). Converts values both ways as Redis 7.0
// does (conversions.ts). A script runs in a coroutine of that state: synchronously to its end
// when it is short; once it passes the host's busy threshold the count hook
// yields, run() answers a Promise and the script goes on in slices (SLICE_MS
// of work, then the event loop turns) until it ends or SCRIPT KILL stops it.
// What a command does, what other clients may do meanwhile, and how a
// script's writes are propagated is the host's business (NodeState.runScript).
// Must not touch the keyspace or sockets. JS functions Lua calls work on the
// thread they are given (the script's coroutine, or one the script made).
import { createHash } from 'node:crypto';
import { ReplyError } from '../contracts.js';
import { formatDouble, type NodeReply } from '../reply.js';
import { fengari, type Fengari, type LuaState } from './lua-api.js';
import { installCjson } from './cjson.js';
import { installCompat } from './compat.js';
import { readRegisterArgs, type RegisteredFunction } from './register-args.js';
import { PRELUDE } from './prelude.js';
import { errorReply, lua51Message, pushErrorTable, pushReply, str, toReply } from './conversions.js';

/** What a running script can do to the server. */
export interface ScriptHost {
  /** Run one command for the script (all of Redis's from-script checks included); the reply, errors as ReplyError. */
  call(argv: Buffer[]): NodeReply;
  /** redis.log(level, message): 0 debug, 1 verbose, 2 notice, 3 warning */
  log(level: number, message: string): void;
  /** ms after its start past which the script lets the event loop run (busy-reply-threshold; 0 = never) */
  readonly busyAfterMs: number;
  /** true once the script ran a write command */
  wrote(): boolean;
}

/** Redis's busy-reply-threshold (alias lua-time-limit) default, in ms. */
export const BUSY_REPLY_THRESHOLD_MS = 5000;
/** instructions between two clock checks (Redis's count hook runs as often) */
const HOOK_EVERY = 100_000;
/** a busy script's work between two turns of the event loop */
const SLICE_MS = 20;
const KILLED = 'Script killed by user with SCRIPT KILL...';
/**
 * A script that is due to yield but cannot (it runs inside a coroutine it made, or in a Lua
 * function a library function called, like a table.sort comparator) holds the event loop: no
 * SCRIPT KILL can reach it. Past this long so, one that has not written is stopped as a kill would.
 */
const UNYIELDABLE_STOP_MS = 5000;
const UNYIELDABLE = `Script could not let other clients in for ${UNYIELDABLE_STOP_MS} ms past the busy threshold (it ran inside a coroutine or a function called by a library function) and was stopped`;

export type { RegisteredFunction } from './register-args.js';
/** FUNCTION LOAD's time limit for the library's own code (Redis: 500 ms) */
export const LOAD_TIMEOUT_MS = 500;

export const sha1hex = (b: Buffer | Uint8Array | string): string => createHash('sha1').update(b).digest('hex');

export class ScriptEngine {
  readonly #f: Fengari;
  #L!: LuaState;
  /** sha → registry reference of the compiled chunk, and its body (for SCRIPT EXISTS / memory) */
  #scripts = new Map<string, { ref: number; bytes: number }>();
  #host: ScriptHost | null = null;
  /** the coroutine scripts run in (reused: it ends each script back at its base level) */
  #co!: LuaState;
  #handler = 0;
  /** registry reference of #co (the error handler is given the thread) */
  #coRef = 0;
  /** message of a JS exception caught by the interpreter during the running script */
  #nativeError: string | null = null;
  #hook: (L: LuaState) => void = () => {};
  /** Date.now() past which the count hook yields (Infinity: never) */
  #yieldAt = Infinity;
  /** the error the script raises at every instruction from now on (SCRIPT KILL), or null */
  #killed: string | null = null;
  #abandoned = false;
  /** registry references of the strings "KEYS" and "ARGV" (pushing them reuses one interned string) */
  #keysName = 0;
  #argvName = 0;
  /** function mode: registry references of the functions' environment, its metatable, the load-time API, the globals */
  #envRef = 0;
  #envMetaRef = 0;
  #libApiRef = 0;
  #globalsRef = 0;
  /** a library is loading (FUNCTION LOAD): where redis.register_function puts what it is given */
  #loading: { deadline: number; add: (fn: RegisteredFunction) => string | null } | null = null;
  /** called after a JS exception made the engine start a fresh state (function mode: libraries load again) */
  onReset: (() => void) | null = null;
  /** bytes of all cached bodies (INFO memory's used_memory_scripts_eval) */
  cachedBytes = 0;

  /** forFunctions: the interpreter of FUNCTION libraries (their own state, as in Redis; see loadLibrary) */
  constructor(readonly forFunctions = false) {
    this.#f = fengari();
    this.#fresh();
  }

  get size(): number { return this.#scripts.size; }
  /** a script is running (it went past the busy threshold: run() answered a Promise) */
  get running(): boolean { return this.#host !== null; }
  /** SCRIPT KILL: the running script raises Redis's kill error at its next hook (the host checks it may). */
  kill(): void { if (this.#host !== null) this.#killed = KILLED; }
  /** SHUTDOWN NOSAVE: the running script is dropped where it is; its Promise answers an error. */
  abandon(): void { if (this.#host !== null) this.#abandoned = true; }
  /** sha in lower case */
  has(sha: string): boolean { return this.#scripts.has(sha); }

  /** SCRIPT FLUSH: a new interpreter, no cached script. */
  flush(): void { this.#fresh(); }

  /** Compile and cache a body; its sha, or the compile error Redis 7.0 answers. */
  load(body: Buffer): string | ReplyError {
    const sha = sha1hex(body);
    if (this.#scripts.has(sha)) return sha;
    const { lua, lauxlib } = this.#f;
    const failed = this.#compile(body, '@user_script');
    if (failed !== null) return new ReplyError(`ERR Error compiling script (new function): ${failed}`);
    this.#scripts.set(sha, { ref: lauxlib.luaL_ref(this.#L, lua.LUA_REGISTRYINDEX), bytes: body.length });
    this.cachedBytes += body.length;
    return sha;
  }

  /**
   * Run a cached script (see load; sha in lower case) with KEYS and ARGV: the reply it returns, at
   * once, or a Promise of it when the script ran past host.busyAfterMs and goes on in slices.
   */
  run(sha: string, keys: Buffer[], args: Buffer[], host: ScriptHost): NodeReply | Promise<NodeReply> {
    const s = this.#scripts.get(sha);
    if (s === undefined) return new ReplyError('NOSCRIPT No matching script. Please use EVAL.');
    if (this.#host !== null) return new ReplyError('ERR a script is already running');
    this.#setGlobalRaw(this.#keysName, keys);
    this.#setGlobalRaw(this.#argvName, args);
    // the script is the coroutine's main function (no pcall around it: as cheap as lua_pcall); it
    // ends back at the thread's base level, or dead at the error with its stack kept (see #end)
    this.#f.lua.lua_rawgeti(this.#co, this.#f.lua.LUA_REGISTRYINDEX, s.ref);
    return this.#go(sha, 0, host);
  }

  /**
   * Run a library function (a callback registered while its library loaded, see loadLibrary) with
   * its keys and args tables, as run() does a script; errors name the function.
   */
  callFunction(ref: number, name: string, keys: Buffer[], args: Buffer[], host: ScriptHost): NodeReply | Promise<NodeReply> {
    if (this.#host !== null) return new ReplyError('ERR a script is already running');
    const { lua } = this.#f;
    const co = this.#co;
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, ref);
    this.#pushArray(co, keys);
    this.#pushArray(co, args);
    return this.#go(name, 2, host);
  }

  /** Resume the coroutine (its function and `nargs` arguments pushed) until it ends or goes on in slices. */
  #go(name: string, nargs: number, host: ScriptHost): NodeReply | Promise<NodeReply> {
    const { lua } = this.#f;
    const co = this.#co;
    this.#host = host;
    this.#yieldAt = host.busyAfterMs > 0 ? Date.now() + host.busyAfterMs : Infinity;
    const rc = this.#resume(co, nargs);
    if (rc !== lua.LUA_YIELD) return this.#end(name, rc);
    return new Promise<NodeReply>((resolve) => {
      const slice = (): void => {
        if (this.#abandoned) { this.#drop(); resolve(new ReplyError('ERR script abandoned: the server is shutting down')); return; }
        this.#yieldAt = Date.now() + SLICE_MS;
        const r = this.#resume(co, 0);
        if (r === lua.LUA_YIELD) setImmediate(slice);
        else resolve(this.#end(name, r));
      };
      setImmediate(slice);
    });
  }

  /** Start or continue the script; a JS exception that escaped the interpreter counts as a native error. */
  #resume(co: LuaState, nargs: number): number {
    try {
      return this.#f.lua.lua_resume(co, this.#L, nargs);
    } catch (err) {
      this.#nativeError = String((err as Error)?.message ?? err);
      return -1;
    }
  }

  /** The script's coroutine returned (or died): its reply; the engine is ready for the next one. */
  #end(sha: string, rc: number): NodeReply {
    const { lua } = this.#f;
    const co = this.#co;
    const L = this.#L;
    let reply: NodeReply;
    this.#host = null;
    if (this.#nativeError !== null) {
      // a JS exception in the interpreter (a bug, JS stack exhaustion): the state is suspect, so
      // start a fresh one (the cache goes too; clients fall back from EVALSHA to EVAL)
      reply = new ReplyError(`ERR Error running script (call to f_${sha}): ${this.#nativeError.replace(/[\r\n]+/g, ' ')}`);
      this.#fresh();
      this.onReset?.();
    } else if (rc === lua.LUA_OK) {
      reply = lua.lua_gettop(co) >= 1 ? toReply(this.#f, co, 1, 0) : null;
      lua.lua_settop(co, 0);
      if (this.#killed !== null) lua.lua_sethook(co, this.#hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    } else {
      // dead at the error, its stack kept: the handler reads the script's line from it (main thread)
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#handler);
      lua.lua_xmove(co, L, 1);
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#coRef);
      if (lua.lua_pcall(L, 2, 1, 0) !== lua.LUA_OK) lua.lua_pushstring(L, this.#f.to_luastring('execution failure'));
      reply = errorReply(this.#f, L, sha);
      lua.lua_pop(L, 1);
      this.#newThread();
    }
    this.#killed = null;
    this.#yieldAt = Infinity;
    return reply;
  }

  /** A new coroutine for scripts (the last one died, or was dropped); it inherits the count hook. */
  #newThread(): void {
    const { lua, lauxlib } = this.#f;
    const L = this.#L;
    if (this.#coRef !== 0) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, this.#coRef);
    this.#co = lua.lua_newthread(L);
    this.#coRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** Forget the suspended script (SHUTDOWN NOSAVE): a new coroutine for the next one. */
  #drop(): void {
    this.#host = null;
    this.#killed = null;
    this.#abandoned = false;
    this.#yieldAt = Infinity;
    this.#newThread();
  }

  // ---- setup ----
  #fresh(): void {
    const f = this.#f;
    const { lua, lauxlib, lualib, to_luastring } = f;
    const L = lauxlib.luaL_newstate();
    this.#L = L;
    this.#nativeError = null;
    this.#scripts = new Map();
    this.cachedBytes = 0;
    const libs: [string, (L: LuaState) => number][] = [
      ['_G', lualib.luaopen_base], ['table', lualib.luaopen_table], ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math], ['debug', lualib.luaopen_debug], ['coroutine', lualib.luaopen_coroutine],
    ];
    for (const [name, open] of libs) { lauxlib.luaL_requiref(L, to_luastring(name), open, 1); lua.lua_pop(L, 1); }
    for (const name of ['dofile', 'loadfile', 'print']) { lua.lua_pushnil(L); lua.lua_setglobal(L, to_luastring(name)); }
    this.#installRedis();
    installCjson(f, L);
    installCompat(f, L);
    this.#exec(PRELUDE);
    lua.lua_getglobal(L, to_luastring('__redis__err__handler'));
    this.#handler = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pushnil(L); lua.lua_setglobal(L, to_luastring('__redis__err__handler'));
    lua.lua_pushstring(L, to_luastring('KEYS'));
    this.#keysName = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pushstring(L, to_luastring('ARGV'));
    this.#argvName = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    // functions get their keys and args as arguments: no KEYS / ARGV globals (as in Redis)
    if (!this.forFunctions) { this.#setGlobalRaw(this.#keysName, []); this.#setGlobalRaw(this.#argvName, []); }
    // a JS exception inside the interpreter becomes a Lua error; noted, so #end starts a fresh state
    lua.lua_atnativeerror(L, (T) => {
      const e = lua.lua_touserdata(T, 1) as { message?: unknown } | null;
      this.#nativeError = String(e?.message ?? e);
      lua.lua_pushstring(T, to_luastring(this.#nativeError));
      return 1;
    });
    // one count hook for the state's life (threads made later inherit it): it looks at the clock
    // only while a script runs. Past the deadline it yields the script's own coroutine — not one
    // the script made (that would return to the script's coroutine.resume), and not where a
    // yield cannot cross a JS call (a table.sort comparator…): it yields at a later hook then.
    this.#hook = (T) => {
      const host = this.#host;
      if (host === null) {
        if (this.#loading !== null && Date.now() > this.#loading.deadline) this.#killError(T, '-ERR FUNCTION LOAD timeout');
        return;
      }
      if (this.#killed !== null) this.#killError(T, this.#killed);
      const now = Date.now();
      if (now < this.#yieldAt) return;
      if (T === this.#co && lua.lua_isyieldable(T)) lua.lua_yield(T, 0);
      else if (now >= this.#yieldAt + UNYIELDABLE_STOP_MS && !host.wrote()) this.#killError(T, (this.#killed = UNYIELDABLE));
    };
    lua.lua_sethook(L, this.#hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    this.#coRef = 0;
    this.#newThread();
    this.#protectGlobals();
    if (this.forFunctions) this.#functionsEnv();
  }

  /**
   * Redis 7.0's globals protection: reading an absent global or creating one is an error. The
   * metamethods are JS functions so that the error names the script's line (luaL_error's position
   * is the caller's; the error handler skips JS frames).
   */
  #protectGlobals(): void {
    const { lua } = this.#f;
    const L = this.#L;
    lua.lua_pushglobaltable(L);
    this.#pushProtection(L);
    lua.lua_setmetatable(L, -2);
    lua.lua_pop(L, 1);
  }

  /** Push a metatable whose __index and __newindex raise Redis's errors for absent and new names. */
  #pushProtection(L: LuaState): void {
    const { lua, lauxlib, to_luastring } = this.#f;
    lua.lua_createtable(L, 0, 2);
    lua.lua_pushcfunction(L, (T) => lauxlib.luaL_error(T, to_luastring('Attempt to modify a readonly table')));
    lua.lua_setfield(L, -2, to_luastring('__newindex'));
    lua.lua_pushcfunction(L, (T) => {
      const name = lua.lua_tolstring(T, 2);
      return lauxlib.luaL_error(T, to_luastring("Script attempted to access nonexistent global variable '%s'"), name ?? to_luastring('?'));
    });
    lua.lua_setfield(L, -2, to_luastring('__index'));
  }

  /**
   * The functions' environment, as Redis 7.0 builds it: libraries run in an empty read-only table
   * whose absent names are read from the globals; while a library loads they are read from the
   * load-time API instead (a `redis` table with register_function, log and the constants only).
   */
  #functionsEnv(): void {
    const { lua, lauxlib, to_luastring } = this.#f;
    const L = this.#L;
    const R = lua.LUA_REGISTRYINDEX;
    lua.lua_createtable(L, 0, 1);
    lua.lua_createtable(L, 0, 8);
    lua.lua_pushcfunction(L, (T) => this.#register(T));
    lua.lua_setfield(L, -2, to_luastring('register_function'));
    lua.lua_getglobal(L, to_luastring('redis'));
    for (const k of ['log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION', 'REDIS_VERSION_NUM']) {
      lua.lua_getfield(L, -1, to_luastring(k));
      lua.lua_setfield(L, -3, to_luastring(k));
    }
    lua.lua_pop(L, 1);
    this.#pushProtection(L); lua.lua_setmetatable(L, -2);
    lua.lua_setfield(L, -2, to_luastring('redis'));
    this.#pushProtection(L); lua.lua_setmetatable(L, -2);
    this.#libApiRef = lauxlib.luaL_ref(L, R);
    lua.lua_pushglobaltable(L);
    this.#globalsRef = lauxlib.luaL_ref(L, R);
    lua.lua_createtable(L, 0, 0);
    this.#pushProtection(L);
    lua.lua_rawgeti(L, R, this.#globalsRef);
    lua.lua_setfield(L, -2, to_luastring('__index'));
    lua.lua_pushvalue(L, -1);
    this.#envMetaRef = lauxlib.luaL_ref(L, R);
    lua.lua_setmetatable(L, -2);
    this.#envRef = lauxlib.luaL_ref(L, R);
  }

  /** Point the functions' environment at the globals or the load-time API (a registry reference). */
  #envFallback(ref: number): void {
    const { lua, to_luastring } = this.#f;
    const L = this.#L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#envMetaRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    lua.lua_setfield(L, -2, to_luastring('__index'));
    lua.lua_pop(L, 1);
  }

  /**
   * FUNCTION LOAD's run of a library's code (function mode): compile it, run it once with the
   * load-time API for at most timeoutMs; each redis.register_function is handed to `add` (its
   * error string refuses it). Redis 7.0's error when the code does not compile or fails, else null.
   */
  loadLibrary(code: Buffer, timeoutMs: number, add: (fn: RegisteredFunction) => string | null): ReplyError | null {
    const { lua, to_luastring } = this.#f;
    const L = this.#L;
    const failed = this.#compile(code, '@user_function');
    if (failed !== null) return new ReplyError(`ERR Error compiling function: ${failed}`);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#envRef);
    lua.lua_setupvalue(L, -2, 1);
    this.#envFallback(this.#libApiRef);
    this.#loading = { deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Infinity, add };
    let rc: number;
    try { rc = lua.lua_pcall(L, 0, 0, 0); } catch (err) { rc = -1; lua.lua_pushstring(L, to_luastring(String((err as Error)?.message ?? err))); }
    this.#loading = null;
    this.#nativeError = null;
    this.#envFallback(this.#globalsRef);
    lua.lua_sethook(L, this.#hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    if (rc === lua.LUA_OK) return null;
    let msg: string;
    if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      lua.lua_getfield(L, -1, to_luastring('err', true));
      msg = str(this.#f, L, -1);
      lua.lua_pop(L, 1);
    } else msg = `ERR ${str(this.#f, L, -1)}`;
    lua.lua_pop(L, 1);
    return new ReplyError(`ERR Error registering functions: ${lua51Message(msg.replace(/[\r\n]+/g, ' '))}`);
  }

  /** Forget a registered callback (its library was deleted or replaced). */
  unref(ref: number): void { this.#f.lauxlib.luaL_unref(this.#L, this.#f.lua.LUA_REGISTRYINDEX, ref); }

  /** redis.register_function (load-time API): its arguments read by register-args.ts, handed to the loading library. */
  #register(T: LuaState): number {
    const { lua, lauxlib } = this.#f;
    const fail = (msg: string): never => {
      pushErrorTable(this.#f, T, Buffer.from(`-ERR ${msg}`, 'latin1'));
      return lua.lua_error(T);
    };
    const ld = this.#loading;
    if (ld === null) return fail('redis.register_function can only be called on FUNCTION LOAD command');
    const fn = readRegisterArgs(this.#f, T);
    if (typeof fn === 'string') return fail(fn);
    const err = ld.add(fn);
    if (err !== null) { lauxlib.luaL_unref(T, lua.LUA_REGISTRYINDEX, fn.ref); return fail(err); }
    return 0;
  }

  /** Compile code as a chunk named `name` onto the stack; null, or the compiler's message (nothing pushed). */
  #compile(code: Uint8Array, name: string): string | null {
    const { lua, lauxlib, to_luastring } = this.#f;
    const L = this.#L;
    if (lauxlib.luaL_loadbuffer(L, code, code.length, to_luastring(name, true)) === lua.LUA_OK) return null;
    const msg = str(this.#f, L, -1);
    lua.lua_pop(L, 1);
    return msg;
  }

  #exec(src: string): void {
    const { lua, lauxlib, to_luastring } = this.#f;
    const L = this.#L;
    if (lauxlib.luaL_loadbuffer(L, to_luastring(src), null, to_luastring('=prelude')) !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
      const msg = str(this.#f, L, -1);
      lua.lua_pop(L, 1);
      throw new Error(`script prelude failed: ${msg}`);
    }
  }

  #installRedis(): void {
    const { lua, to_luastring } = this.#f;
    const fns: Record<string, (L: LuaState) => number> = {
      call: (L) => this.#call(L, true),
      pcall: (L) => this.#call(L, false),
      error_reply: (L) => this.#oneString(L, (s) => pushErrorTable(this.#f, L, s.length > 0 && s[0] === 0x2d ? s : Buffer.concat([Buffer.from('-'), s]))),
      status_reply: (L) => this.#oneString(L, (s) => { lua.lua_createtable(L, 0, 1); lua.lua_pushstring(L, s); lua.lua_setfield(L, -2, to_luastring('ok', true)); }),
      sha1hex: (L) => {
        if (lua.lua_gettop(L) !== 1) this.#raise(L, 'wrong number of arguments');
        lua.lua_pushstring(L, Buffer.from(sha1hex(lua.lua_tolstring(L, 1) ?? new Uint8Array(0)), 'latin1'));
        return 1;
      },
      log: (L) => {
        const n = lua.lua_gettop(L);
        if (n < 2) this.#raise(L, 'redis.log() requires two arguments or more.');
        if (lua.lua_type(L, 1) !== lua.LUA_TNUMBER) this.#raise(L, 'First argument must be a number (log level).');
        const level = lua.lua_tonumber(L, 1);
        if (level < 0 || level > 3) this.#raise(L, 'Invalid debug level.');
        const parts: string[] = [];
        for (let i = 2; i <= n; i++) { const b = lua.lua_tolstring(L, i); parts.push(b === null ? '' : Buffer.from(b).toString('latin1')); }
        this.#host?.log(level, parts.join(' '));
        return 0;
      },
      setresp: (L) => {
        const n = lua.lua_gettop(L);
        if (n !== 1) this.#raise(L, 'redis.setresp() requires one argument.');
        const v = lua.lua_tonumber(L, 1);
        if (v !== 2) this.#raise(L, v === 3 ? 'RESP3 replies in scripts are not supported by shardgate node.' : 'RESP version must be 2 or 3.');
        return 0;
      },
      set_repl: (L) => {
        if (lua.lua_gettop(L) !== 1) this.#raise(L, 'redis.set_repl() requires one argument.');
        const v = lua.lua_tonumber(L, 1);
        if (v !== 3) this.#raise(L, 'Only REPL_ALL is supported by shardgate node (writes always go to the AOF and replicas).');
        return 0;
      },
      replicate_commands: (L) => { lua.lua_pushboolean(L, true); return 1; },
      breakpoint: (L) => { lua.lua_pushboolean(L, false); return 1; },
      debug: () => 0,
    };
    const L = this.#L;
    lua.lua_createtable(L, 0, 24);
    for (const [name, fn] of Object.entries(fns)) { lua.lua_pushcfunction(L, fn); lua.lua_setfield(L, -2, to_luastring(name)); }
    const consts: [string, number][] = [
      ['LOG_DEBUG', 0], ['LOG_VERBOSE', 1], ['LOG_NOTICE', 2], ['LOG_WARNING', 3],
      ['REPL_NONE', 0], ['REPL_AOF', 1], ['REPL_SLAVE', 2], ['REPL_REPLICA', 2], ['REPL_ALL', 3],
      ['REDIS_VERSION_NUM', 0x070000],
    ];
    for (const [name, v] of consts) { lua.lua_pushnumber(L, v); lua.lua_setfield(L, -2, to_luastring(name)); }
    lua.lua_pushstring(L, to_luastring('7.0.0')); lua.lua_setfield(L, -2, to_luastring('REDIS_VERSION'));
    lua.lua_setglobal(L, to_luastring('redis'));
  }

  // ---- redis.call / redis.pcall ----
  #call(L: LuaState, raise: boolean): number {
    const { lua } = this.#f;
    const n = lua.lua_gettop(L);
    const fail = (msg: string): number => {
      pushErrorTable(this.#f, L, Buffer.from(msg, 'latin1'));
      if (raise) return lua.lua_error(L);
      return 1;
    };
    if (n === 0) return fail('Please specify at least one argument for this redis lib call');
    const argv: Buffer[] = new Array(n);
    for (let i = 1; i <= n; i++) {
      const t = lua.lua_type(L, i);
      if (t === lua.LUA_TSTRING) { const b = lua.lua_tolstring(L, i)!; argv[i - 1] = Buffer.from(b.buffer, b.byteOffset, b.byteLength); }
      else if (t === lua.LUA_TNUMBER) argv[i - 1] = Buffer.from(formatDouble(lua.lua_tonumber(L, i)), 'latin1');
      else return fail('Lua redis lib command arguments must be strings or integers');
    }
    const host = this.#host;
    if (host === null) return fail('This Redis command is not allowed from script');
    let r: NodeReply;
    try { r = host.call(argv); } catch (err) { r = new ReplyError(`ERR ${String((err as Error)?.message ?? err)}`); }
    if (r instanceof ReplyError) {
      pushErrorTable(this.#f, L, Buffer.from(`-${r.message}`, 'latin1'));
      if (raise) return lua.lua_error(L);
      return 1;
    }
    this.#f.lauxlib.luaL_checkstack(L, 8, null);
    pushReply(this.#f, L, r, 0);
    return 1;
  }

  #oneString(L: LuaState, push: (s: Buffer) => void): number {
    const { lua } = this.#f;
    if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) this.#raise(L, `wrong number or type of arguments`);
    const b = lua.lua_tolstring(L, 1)!;
    push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return 1;
  }

  /** Raise a Lua error with a message (the handler makes it "ERR <msg>" with the script's line). */
  #raise(L: LuaState, msg: string): never {
    const { lua, to_luastring } = this.#f;
    lua.lua_pushstring(L, to_luastring(msg));
    return lua.lua_error(L);
  }

  /**
   * SCRIPT KILL took effect: Redis's error, raised again at every instruction from now on (as
   * Redis's line hook does), so a pcall in the script cannot catch it for good.
   */
  #killError(T: LuaState, msg: string): never {
    const { lua } = this.#f;
    lua.lua_sethook(T, this.#hook, lua.LUA_MASKCOUNT, 1);
    pushErrorTable(this.#f, T, Buffer.from(msg, 'latin1'));
    return lua.lua_error(T);
  }

  #pushArray(L: LuaState, items: Buffer[]): void {
    const { lua } = this.#f;
    lua.lua_createtable(L, items.length, 0);
    for (let i = 0; i < items.length; i++) { lua.lua_pushstring(L, items[i]!); lua.lua_rawseti(L, -2, i + 1); }
  }

  #setGlobalRaw(nameRef: number, items: Buffer[]): void {
    const { lua } = this.#f;
    const L = this.#L;
    lua.lua_pushglobaltable(L);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, nameRef);
    this.#pushArray(L, items);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }

}
