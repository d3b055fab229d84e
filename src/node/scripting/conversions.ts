// Values between Redis replies and the Lua stack, as Redis 7.0 converts them
// (RESP2 view inside scripts), and the error tables and replies of failed
// scripts. Pure functions over a fengari thread's stack: no script state.
import { ReplyError, type Reply } from '../contracts.js';
import { NIL_ARRAY, Push, formatDouble, type NodeReply } from '../reply.js';
import type { Fengari, LuaState } from './lua-api.js';

/** 2^63 as a double: Lua numbers beyond it convert like C's (long long) cast on x86 (INT64_MIN). */
const I64_EDGE = 9223372036854775808;

/**
 * Push {err = "<CODE> <msg>"}: from "-CODE msg" the code is the first word ("-msg" with no
 * space: ERR msg); without the dash the code is ERR. Trailing CR/LF trimmed. (Redis 7.0's rules.)
 */
export function pushErrorTable(f: Fengari, L: LuaState, raw: Buffer): void {
  const { lua, to_luastring } = f;
  let s = raw.toString('latin1');
  let code = 'ERR';
  if (s.startsWith('-')) {
    const sp = s.indexOf(' ');
    if (sp < 0) s = s.slice(1);
    else { code = s.slice(1, sp); s = s.slice(sp + 1); }
  }
  s = s.replace(/^[\r\n]+|[\r\n]+$/g, '');
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, Buffer.from(`${code} ${s}`, 'latin1'));
  lua.lua_setfield(L, -2, to_luastring('err', true));
}

/** A command's reply as the Lua value Redis 7.0 gives a script (RESP2 view). */
export function pushReply(f: Fengari, L: LuaState, r: NodeReply, depth: number): void {
  const { lua, to_luastring } = f;
  if (depth > 0) f.lauxlib.luaL_checkstack(L, 4, null);
  if (r === null || r === NIL_ARRAY) { lua.lua_pushboolean(L, false); return; }
  switch (typeof r) {
    case 'number': lua.lua_pushnumber(L, r); return;
    case 'bigint': lua.lua_pushnumber(L, Number(r)); return;
    case 'string': lua.lua_createtable(L, 0, 1); lua.lua_pushstring(L, Buffer.from(r, 'latin1')); lua.lua_setfield(L, -2, to_luastring('ok', true)); return;
    default: break;
  }
  if (r instanceof Buffer) { lua.lua_pushstring(L, r); return; }
  if (r instanceof ReplyError) { pushErrorTable(f, L, Buffer.from(`-${r.message}`, 'latin1')); return; }
  const items: NodeReply[] | null = Array.isArray(r) ? r : r instanceof Push ? r.items
    : 'map' in r ? (r as { map: [Reply, Reply][] }).map.flat() : 'set' in r ? (r as { set: Reply[] }).set : null;
  if (items !== null) {
    lua.lua_createtable(L, items.length, 0);
    for (let i = 0; i < items.length; i++) { pushReply(f, L, items[i]!, depth + 1); lua.lua_rawseti(L, -2, i + 1); }
    return;
  }
  if ('double' in r) { lua.lua_pushstring(L, Buffer.from(formatDouble((r as { double: number }).double), 'latin1')); return; }
  lua.lua_pushstring(L, Buffer.from((r as { verbatim: string }).verbatim, 'utf8'));
}

/** The script's return value at idx as the reply Redis 7.0 sends. */
export function toReply(f: Fengari, L: LuaState, idx: number, depth: number): NodeReply {
  const { lua, to_luastring } = f;
  const t = lua.lua_type(L, idx);
  if (t === lua.LUA_TSTRING) return Buffer.from(lua.lua_tolstring(L, idx)!);
  if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx) ? 1 : null;
  if (t === lua.LUA_TNUMBER) return toInteger(lua.lua_tonumber(L, idx));
  if (t !== lua.LUA_TTABLE) return null;
  // redis-server answers this past its Lua stack (7995 nested arrays); 1000 here keeps the JS stack safe
  if (depth > 1000) return new ReplyError('ERR reached lua stack limit');
  f.lauxlib.luaL_checkstack(L, 4, null);
  const abs = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
  lua.lua_pushstring(L, to_luastring('err', true)); lua.lua_rawget(L, abs);
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
    const msg = str(f, L, -1).replace(/[\r\n]+/g, ' ');
    lua.lua_pop(L, 1);
    return new ReplyError(msg);
  }
  lua.lua_pop(L, 1);
  lua.lua_pushstring(L, to_luastring('ok', true)); lua.lua_rawget(L, abs);
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
    const msg = str(f, L, -1).replace(/[\r\n]+/g, ' ');
    lua.lua_pop(L, 1);
    return msg;
  }
  lua.lua_pop(L, 1);
  lua.lua_pushstring(L, to_luastring('double', true)); lua.lua_rawget(L, abs);
  if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
    const d = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return { double: d };
  }
  lua.lua_pop(L, 1);
  const out: NodeReply[] = [];
  for (let i = 1; ; i++) {
    lua.lua_rawgeti(L, abs, i);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) { lua.lua_pop(L, 1); break; }
    out.push(toReply(f, L, -1, depth + 1));
    lua.lua_pop(L, 1);
  }
  return out as NodeReply;
}

/** The reply of a script that raised an error: "<msg> script: <sha>, on @user_script:<line>." */
export function errorReply(f: Fengari, L: LuaState, sha: string): ReplyError {
  const { lua, to_luastring } = f;
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
    const msg = lua.lua_type(L, -1) === lua.LUA_TSTRING ? str(f, L, -1) : 'execution failure';
    return new ReplyError(`ERR Error running script f_${sha}, ${msg.slice(0, 100)}`);
  }
  const field = (k: string): string | null => {
    lua.lua_getfield(L, -1, to_luastring(k, true));
    const v = lua.lua_type(L, -1) === lua.LUA_TSTRING || lua.lua_type(L, -1) === lua.LUA_TNUMBER ? str(f, L, -1) : null;
    lua.lua_pop(L, 1);
    return v;
  };
  const msg = lua51Message((field('err') ?? 'ERR unknown error').replace(/[\r\n]+/g, ' '));
  const source = field('source');
  const line = field('line');
  return new ReplyError(source !== null && line !== null ? `${msg} script: ${sha}, on ${source}:${line}.` : msg);
}

/** The string at idx (latin1), '' when it is not one. */
export function str(f: Fengari, L: LuaState, idx: number): string {
  const b = f.lua.lua_tolstring(L, idx);
  return b === null ? '' : Buffer.from(b).toString('latin1');
}

/**
 * Lua 5.3 names the culprit after the type ("attempt to index a nil value (local 'x')"), Lua 5.1
 * (Redis) before it ("attempt to index local 'x' (a nil value)"): errors are given 5.1's word order.
 */
export function lua51Message(m: string): string {
  return m.replace(/attempt to ([a-z ]+?) an? (\w+) value \((\w+) '([^']*)'\)/, "attempt to $1 $3 '$4' (a $2 value)");
}

/** Lua number → integer reply, truncated toward zero like C's (long long) cast. */
function toInteger(n: number): number | bigint {
  if (Number.isNaN(n) || n >= I64_EDGE || n < -I64_EDGE) return -9223372036854775808n;
  const t = Math.trunc(n);
  return Number.isSafeInteger(t) ? (Object.is(t, -0) ? 0 : t) : BigInt(t);
}
