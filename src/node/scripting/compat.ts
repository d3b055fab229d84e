// The Lua 5.1 pieces of Redis's script environment that must be JS functions:
// `bit` (LuaBitOp), `error`, `tonumber`, `math.floor`/`math.ceil`; and
// `pcall`/`xpcall` as fengari's own plus a repair of its hook state after a
// caught error (see allowHooks in lua-api.ts). A JS
// function is like a C function to Lua: a script's tail call to it keeps the
// script's frame, so errors carry "user_script:<line>:" and the script suffix
// as on redis-server (a Lua wrapper called in tail position would replace it).
// Numbers come out as floats: fengari's integers are 32-bit, Lua 5.1 has only
// doubles, so `tonumber(t[1]) * 1000` must not be 32-bit integer arithmetic.
import { allowHooks, type Fengari, type LuaFn, type LuaState } from './lua-api.js';

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);
/** 2^52 + 2^51: adding it leaves the number rounded to an integer in the low 32 bits (LuaBitOp's tobit). */
const BIAS = 6755399441055744;

export function installCompat(f: Fengari, L: LuaState): void {
  const { lua, lauxlib, to_luastring } = f;
  const tobit = (L: LuaState, i: number): number => { f64[0] = lauxlib.luaL_checknumber(L, i) + BIAS; return i32[0]!; };
  const ret = (L: LuaState, n: number): number => { lua.lua_pushnumber(L, n); return 1; };
  const shift = (op: (x: number, n: number) => number): LuaFn => (L) => ret(L, op(tobit(L, 1), tobit(L, 2) & 31));
  const fold = (op: (a: number, b: number) => number): LuaFn => (L) => {
    let r = tobit(L, 1);
    const n = lua.lua_gettop(L);
    for (let i = 2; i <= n; i++) r = op(r, tobit(L, i));
    return ret(L, r);
  };
  const bit: Record<string, LuaFn> = {
    tobit: (L) => ret(L, tobit(L, 1)),
    bnot: (L) => ret(L, ~tobit(L, 1)),
    band: fold((a, b) => a & b),
    bor: fold((a, b) => a | b),
    bxor: fold((a, b) => a ^ b),
    lshift: shift((x, n) => x << n),
    rshift: shift((x, n) => (x >>> n) | 0),
    arshift: shift((x, n) => x >> n),
    rol: shift((x, n) => (x << n) | (x >>> (32 - n))),
    ror: shift((x, n) => (x >>> n) | (x << (32 - n))),
    bswap: (L) => { const x = tobit(L, 1); return ret(L, ((x >>> 24) | ((x >> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24)) | 0); },
    tohex: (L) => {
      const x = tobit(L, 1);
      let n = lua.lua_type(L, 2) <= 0 ? 8 : tobit(L, 2);
      const upper = n < 0;
      if (upper) n = -n;
      if (n > 8) n = 8;
      let s = (x >>> 0).toString(16).padStart(8, '0').slice(8 - n);
      if (upper) s = s.toUpperCase();
      lua.lua_pushstring(L, to_luastring(s));
      return 1;
    },
  };
  lua.lua_createtable(L, 0, 12);
  for (const [name, fn] of Object.entries(bit)) { lua.lua_pushcfunction(L, fn); lua.lua_setfield(L, -2, to_luastring(name)); }
  lua.lua_setglobal(L, to_luastring('bit'));

  // error(m [, level]): 5.1 gives a number message its position too (5.3 only strings)
  lua.lua_pushcfunction(L, (L) => {
    const level = lua.lua_type(L, 2) <= 0 ? 1 : lauxlib.luaL_checkinteger(L, 2);
    lua.lua_settop(L, 1);
    const t = lua.lua_type(L, 1);
    if ((t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER) && level > 0) {
      lauxlib.luaL_where(L, level);
      lua.lua_pushvalue(L, 1);
      lua.lua_concat(L, 2);
    }
    return lua.lua_error(L);
  });
  lua.lua_setglobal(L, to_luastring('error'));

  // tonumber(x [, base]) as a float; with a base, 5.3's own then made a float
  lua.lua_getglobal(L, to_luastring('tonumber'));
  const original = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  lua.lua_pushcfunction(L, (L) => {
    const n = lua.lua_gettop(L);
    if (n <= 1 || lua.lua_type(L, 2) === lua.LUA_TNIL) {
      lauxlib.luaL_checkany(L, 1);
      const t = lua.lua_type(L, 1);
      if (t === lua.LUA_TNUMBER) return ret(L, lua.lua_tonumber(L, 1));
      if (t === lua.LUA_TSTRING && lua.lua_stringtonumber(L, lua.lua_tolstring(L, 1)!) !== 0) return ret(L, lua.lua_tonumber(L, -1));
      lua.lua_pushnil(L);
      return 1;
    }
    const base = lauxlib.luaL_checkinteger(L, 2);
    if (base < 2 || base > 36) lauxlib.luaL_argerror(L, 2, to_luastring('base out of range'));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, original);
    lua.lua_insert(L, 1);
    lua.lua_call(L, n, 1);
    if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) return ret(L, lua.lua_tonumber(L, -1));
    return 1;
  });
  lua.lua_setglobal(L, to_luastring('tonumber'));

  // pcall / xpcall as lbaselib.js's, yieldable (a busy script yields inside them), with hooks
  // turned back on when they return (an error caught there turned them off in fengari)
  const finish = (T: LuaState, status: number, extra: number): number => {
    allowHooks(T);
    if (status !== lua.LUA_OK && status !== lua.LUA_YIELD) { lua.lua_pushboolean(T, false); lua.lua_pushvalue(T, -2); return 2; }
    return lua.lua_gettop(T) - extra;
  };
  lua.lua_pushcfunction(L, (T) => {
    lauxlib.luaL_checkany(T, 1);
    lua.lua_pushboolean(T, true);
    lua.lua_insert(T, 1);
    return finish(T, lua.lua_pcallk(T, lua.lua_gettop(T) - 2, lua.LUA_MULTRET, 0, 0, finish), 0);
  });
  lua.lua_setglobal(L, to_luastring('pcall'));
  lua.lua_pushcfunction(L, (T) => {
    const n = lua.lua_gettop(T);
    lauxlib.luaL_checktype(T, 2, lua.LUA_TFUNCTION);
    lua.lua_pushboolean(T, true);
    lua.lua_pushvalue(T, 1);
    lua.lua_rotate(T, 3, 2);
    return finish(T, lua.lua_pcallk(T, n - 2, lua.LUA_MULTRET, 2, 2, finish), 2);
  });
  lua.lua_setglobal(L, to_luastring('xpcall'));

  lua.lua_getglobal(L, to_luastring('math'));
  lua.lua_pushcfunction(L, (L) => ret(L, Math.floor(lauxlib.luaL_checknumber(L, 1))));
  lua.lua_setfield(L, -2, to_luastring('floor'));
  lua.lua_pushcfunction(L, (L) => ret(L, Math.ceil(lauxlib.luaL_checknumber(L, 1))));
  lua.lua_setfield(L, -2, to_luastring('ceil'));
  lua.lua_pop(L, 1);
}
