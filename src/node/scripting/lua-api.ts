// Loads the Lua interpreter (fengari: Lua 5.3 written in JS, Lua strings are
// byte arrays, so keys and values stay binary-safe) and types the part of its
// C-like API the scripting engine uses. Loaded on first use, so a node that
// never runs a script pays nothing. fengari reads its build options from
// process.env.FENGARICONF when its modules load: we set
// LUA_COMPAT_FLOATSTRING (integral floats print as "5", not "5.0", as in
// Lua 5.1) for that one require and restore the variable right after. This is
// the only module that touches fengari directly.
import { createRequire } from 'node:module';

/** An opaque lua_State. */
export type LuaState = { readonly __lua: unique symbol };
/** A JS function Lua can call: arguments on L's stack, returns how many results it pushed. */
export type LuaFn = (L: LuaState) => number;

export interface LuaCore {
  LUA_OK: number; LUA_REGISTRYINDEX: number; LUA_RIDX_GLOBALS: number;
  LUA_TNIL: number; LUA_TBOOLEAN: number; LUA_TLIGHTUSERDATA: number; LUA_TNUMBER: number; LUA_TSTRING: number; LUA_TTABLE: number; LUA_TFUNCTION: number;
  LUA_MASKCOUNT: number; LUA_YIELD: number; LUA_MULTRET: number;
  lua_gettop(L: LuaState): number;
  lua_settop(L: LuaState, i: number): void;
  lua_pop(L: LuaState, n: number): void;
  lua_type(L: LuaState, i: number): number;
  lua_isinteger(L: LuaState, i: number): boolean;
  lua_tonumber(L: LuaState, i: number): number;
  lua_tointeger(L: LuaState, i: number): number;
  lua_toboolean(L: LuaState, i: number): boolean;
  lua_tolstring(L: LuaState, i: number): Uint8Array | null;
  lua_touserdata(L: LuaState, i: number): unknown;
  lua_pushnil(L: LuaState): void;
  lua_pushnumber(L: LuaState, n: number): void;
  lua_pushinteger(L: LuaState, n: number): void;
  lua_pushboolean(L: LuaState, b: boolean): void;
  lua_pushstring(L: LuaState, s: Uint8Array): void;
  lua_pushlightuserdata(L: LuaState, p: unknown): void;
  lua_pushcfunction(L: LuaState, f: LuaFn): void;
  lua_pushvalue(L: LuaState, i: number): void;
  lua_pushglobaltable(L: LuaState): void;
  lua_createtable(L: LuaState, narr: number, nrec: number): void;
  lua_getfield(L: LuaState, i: number, k: Uint8Array): number;
  lua_setfield(L: LuaState, i: number, k: Uint8Array): void;
  lua_rawgeti(L: LuaState, i: number, n: number): number;
  lua_geti(L: LuaState, i: number, n: number): number;
  lua_setupvalue(L: LuaState, funcindex: number, n: number): Uint8Array | null;
  lua_rawseti(L: LuaState, i: number, n: number): void;
  lua_rawget(L: LuaState, i: number): number;
  lua_rawset(L: LuaState, i: number): void;
  lua_rawlen(L: LuaState, i: number): number;
  lua_next(L: LuaState, i: number): boolean;
  lua_setglobal(L: LuaState, k: Uint8Array): void;
  lua_getglobal(L: LuaState, k: Uint8Array): number;
  lua_pcall(L: LuaState, nargs: number, nres: number, msgh: number): number;
  /** pcall that a coroutine may yield across: k continues the caller after a yield (or an error caught there) */
  lua_pcallk(L: LuaState, nargs: number, nres: number, msgh: number, ctx: number, k: (L: LuaState, status: number, ctx: number) => number): number;
  lua_rotate(L: LuaState, idx: number, n: number): void;
  lua_call(L: LuaState, nargs: number, nres: number): void;
  lua_error(L: LuaState): never;
  lua_checkstack(L: LuaState, n: number): boolean;
  lua_setmetatable(L: LuaState, i: number): void;
  lua_stringtonumber(L: LuaState, s: Uint8Array): number;
  lua_insert(L: LuaState, i: number): void;
  lua_concat(L: LuaState, n: number): void;
  lua_sethook(L: LuaState, f: ((L: LuaState) => void) | null, mask: number, count: number): void;
  /** a new coroutine sharing L's globals and registry; pushed on L's stack */
  lua_newthread(L: LuaState): LuaState;
  /** start (function and args on co's stack) or continue co: LUA_OK when it returned, LUA_YIELD, or an error status */
  lua_resume(co: LuaState, from: LuaState | null, nargs: number): number;
  lua_yield(L: LuaState, nresults: number): void;
  lua_isyieldable(L: LuaState): boolean;
  /** pop n values from `from` and push them on `to` (threads of one state) */
  lua_xmove(from: LuaState, to: LuaState, n: number): void;
  /** f(L) runs when a JS exception is caught inside the interpreter (the exception as light userdata at 1); its result is the Lua error */
  lua_atnativeerror(L: LuaState, f: LuaFn): void;
}

export interface LuaAux {
  luaL_newstate(): LuaState;
  luaL_requiref(L: LuaState, name: Uint8Array, open: LuaFn, global: number): void;
  luaL_loadbuffer(L: LuaState, s: Uint8Array, sz: number | null, name: Uint8Array): number;
  luaL_ref(L: LuaState, t: number): number;
  luaL_unref(L: LuaState, t: number, ref: number): void;
  luaL_error(L: LuaState, fmt: Uint8Array, ...a: unknown[]): never;
  luaL_checkstack(L: LuaState, n: number, msg: Uint8Array | null): void;
  luaL_checknumber(L: LuaState, i: number): number;
  luaL_checkinteger(L: LuaState, i: number): number;
  luaL_checkany(L: LuaState, i: number): void;
  luaL_checktype(L: LuaState, i: number, t: number): void;
  luaL_where(L: LuaState, level: number): void;
  luaL_argerror(L: LuaState, arg: number, msg: Uint8Array): never;
}

export interface LuaLibs {
  luaopen_base: LuaFn; luaopen_table: LuaFn; luaopen_string: LuaFn; luaopen_math: LuaFn; luaopen_debug: LuaFn; luaopen_coroutine: LuaFn;
}

export interface Fengari {
  lua: LuaCore;
  lauxlib: LuaAux;
  lualib: LuaLibs;
  to_luastring(s: string, cache?: boolean): Uint8Array;
}

/**
 * Turn hooks back on for L after a pcall in a coroutine caught an error. fengari 0.1.5's
 * lua_pcallk (lapi.js) never records the caller's allowhook in the CallInfo (`callstatus &=
 * ~CIST_OAH | allowhook` leaves the bit 0), so recover() (ldo.js) restores allowhook = 0 and the
 * thread's count hook never runs again: a script past an error caught by pcall could then
 * never be made busy nor killed. Hooks are always allowed in a script's own code (only a
 * hook itself runs with them off), so 1 is the value to restore. The one place that touches
 * fengari's lua_State internals.
 */
export function allowHooks(L: LuaState): void { (L as unknown as { allowhook: number }).allowhook = 1; }

let loaded: Fengari | null = null;
/** fengari is CommonJS and reads FENGARICONF when it loads, so it is required here (set first), not imported statically. */
const require = createRequire(import.meta.url);

/** The interpreter, loaded on first call. */
export function fengari(): Fengari {
  if (loaded !== null) return loaded;
  const before = process.env['FENGARICONF'];
  process.env['FENGARICONF'] = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
  try {
    loaded = require('fengari') as Fengari;
  } finally {
    if (before === undefined) delete process.env['FENGARICONF']; else process.env['FENGARICONF'] = before;
  }
  return loaded;
}
