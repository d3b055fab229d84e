// The arguments of redis.register_function, read as redis-server 7.0 reads them:
// positional (name, callback) or one table of named arguments (function_name,
// callback, flags, description), with Redis's error for each bad one. The
// callback is kept as a registry reference. Lua stack work only: what a
// library does with the function is the engine's and functions.ts's business.
import type { Fengari, LuaState } from './lua-api.js';

/** What redis.register_function was given (callback: a registry reference, for callFunction). */
export interface RegisteredFunction { name: Buffer; ref: number; flags: string[]; description: Buffer | null }
/** Redis 7.0's script flags, by the names register_function takes (case-insensitive) and FUNCTION LIST shows */
export const SCRIPT_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'];

/** The function to register, or Redis's error message (no reference is left behind then). */
export function readRegisterArgs(f: Fengari, T: LuaState): RegisteredFunction | string {
  const { lua, lauxlib } = f;
  const R = lua.LUA_REGISTRYINDEX;
  let ref = 0;
  const fail = (msg: string): string => {
    if (ref !== 0) lauxlib.luaL_unref(T, R, ref);
    return msg;
  };
  const n = lua.lua_gettop(T);
  if (n < 1 || n > 2) return fail('wrong number of arguments to redis.register_function');
  const bytes = (i: number): Buffer => { const b = lua.lua_tolstring(T, i)!; return Buffer.from(b); };
  const isStr = (i: number): boolean => { const t = lua.lua_type(T, i); return t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER; };
  let name: Buffer | null = null;
  let description: Buffer | null = null;
  const flags: string[] = [];
  if (n === 2) {
    if (!isStr(1)) return fail('first argument to redis.register_function must be a string');
    if (lua.lua_type(T, 2) !== lua.LUA_TFUNCTION) return fail('second argument to redis.register_function must be a function');
    name = bytes(1);
    lua.lua_pushvalue(T, 2);
    ref = lauxlib.luaL_ref(T, R);
    return { name, ref, flags, description };
  }
  if (lua.lua_type(T, 1) !== lua.LUA_TTABLE) return fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
  lua.lua_pushnil(T);
  while (lua.lua_next(T, 1)) {
    if (!isStr(-2)) return fail('named argument key given to redis.register_function is not a string');
    lua.lua_pushvalue(T, -2); // a copy: converting a number key in place would break lua_next
    const key = bytes(-1).toString('latin1').toLowerCase();
    lua.lua_pop(T, 1);
    if (key === 'function_name') {
      if (!isStr(-1)) return fail('function_name argument given to redis.register_function must be a string');
      name = bytes(-1);
    } else if (key === 'description') {
      if (!isStr(-1)) return fail('description argument given to redis.register_function must be a string');
      description = bytes(-1);
    } else if (key === 'callback') {
      if (lua.lua_type(T, -1) !== lua.LUA_TFUNCTION) return fail('callback argument given to redis.register_function must be a function');
      if (ref !== 0) lauxlib.luaL_unref(T, R, ref);
      lua.lua_pushvalue(T, -1);
      ref = lauxlib.luaL_ref(T, R);
    } else if (key === 'flags') {
      if (lua.lua_type(T, -1) !== lua.LUA_TTABLE) return fail('flags argument to redis.register_function must be a table representing function flags');
      for (let j = 1; ; j++) {
        const t = lua.lua_geti(T, -1, j);
        if (t === lua.LUA_TNIL) { lua.lua_pop(T, 1); break; }
        const flag = isStr(-1) ? bytes(-1).toString('latin1').toLowerCase() : null;
        lua.lua_pop(T, 1);
        if (flag === null || !SCRIPT_FLAGS.includes(flag)) return fail('unknown flag given');
        if (!flags.includes(flag)) flags.push(flag);
      }
    } else return fail('unknown argument given to redis.register_function');
    lua.lua_pop(T, 1);
  }
  if (name === null) return fail('redis.register_function must get a function name argument');
  if (ref === 0) return fail('redis.register_function must get a callback argument');
  flags.sort((a, b) => SCRIPT_FLAGS.indexOf(a) - SCRIPT_FLAGS.indexOf(b));
  return { name, ref, flags, description };
}
