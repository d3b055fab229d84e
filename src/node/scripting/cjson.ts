// The `cjson` library of Redis scripts (encode, decode, null), written over
// the Lua stack: values are read and pushed with the interpreter's API, strings
// stay bytes (JSON text is parsed byte by byte; \u escapes become UTF-8).
// Follows lua-cjson's defaults: numbers with 14 significant digits, "/"
// escaped, an empty table encodes as {}, a table whose keys are all positive
// integers is an array (an excessively sparse one is an error), depth 1000.
import type { Fengari, LuaState } from './lua-api.js';
import { formatG } from '../reply.js';

/** cjson.null: a light userdata every decode returns for JSON null. */
export const CJSON_NULL = { cjsonNull: true };
const MAX_DEPTH = 1000;

class EncodeError extends Error {}

export function installCjson(f: Fengari, L: LuaState): void {
  const { lua, lauxlib, to_luastring } = f;
  const fail = (L: LuaState, msg: string): never => lauxlib.luaL_error(L, to_luastring(msg.replace(/%/g, '%%')));

  const encodeAt = (L: LuaState, idx: number, depth: number, out: number[]): void => {
    const t = lua.lua_type(L, idx);
    if (t === lua.LUA_TSTRING) { quote(lua.lua_tolstring(L, idx)!, out); return; }
    if (t === lua.LUA_TNUMBER) {
      const n = lua.lua_tonumber(L, idx);
      if (!Number.isFinite(n)) throw new EncodeError('Cannot serialise number: must not be NaN or Inf');
      pushAscii(out, formatG(n, 14));
      return;
    }
    if (t === lua.LUA_TBOOLEAN) { pushAscii(out, lua.lua_toboolean(L, idx) ? 'true' : 'false'); return; }
    if (t === lua.LUA_TNIL || (t === lua.LUA_TLIGHTUSERDATA && lua.lua_touserdata(L, idx) === CJSON_NULL)) { pushAscii(out, 'null'); return; }
    if (t !== lua.LUA_TTABLE) throw new EncodeError(`Cannot serialise ${typeName(f, t)}: type not supported`);
    if (depth >= MAX_DEPTH) throw new EncodeError(`Cannot serialise, excessive nesting (${depth + 1})`);
    lauxlib.luaL_checkstack(L, 4, null);
    const abs = idx < 0 ? lua.lua_gettop(L) + idx + 1 : idx;
    // array or object: every key a positive integer → array of length max key
    let max = 0; let items = 0; let isArray = true;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, abs)) {
      lua.lua_pop(L, 1);
      if (isArray && lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
        const k = lua.lua_tonumber(L, -1);
        if (Number.isInteger(k) && k >= 1) { if (k > max) max = k; items++; continue; }
      }
      isArray = false;
    }
    if (isArray && max > items * 2 && max > 10) throw new EncodeError('Cannot serialise table: excessively sparse array');
    if (isArray && max > 0) {
      out.push(0x5b);
      for (let i = 1; i <= max; i++) {
        if (i > 1) out.push(0x2c);
        lua.lua_rawgeti(L, abs, i);
        encodeAt(L, -1, depth + 1, out);
        lua.lua_pop(L, 1);
      }
      out.push(0x5d);
      return;
    }
    out.push(0x7b);
    let first = true;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, abs)) {
      if (!first) out.push(0x2c);
      first = false;
      const kt = lua.lua_type(L, -2);
      if (kt === lua.LUA_TSTRING) quote(lua.lua_tolstring(L, -2)!, out);
      else if (kt === lua.LUA_TNUMBER) { out.push(0x22); pushAscii(out, formatG(lua.lua_tonumber(L, -2), 14)); out.push(0x22); }
      else { lua.lua_pop(L, 2); throw new EncodeError('Cannot serialise table: table key must be a number or string'); }
      out.push(0x3a);
      encodeAt(L, -1, depth + 1, out);
      lua.lua_pop(L, 1);
    }
    out.push(0x7d);
  };

  const encode = (L: LuaState): number => {
    if (lua.lua_gettop(L) !== 1) fail(L, 'bad argument #1 to \'encode\' (expected 1 argument)');
    const out: number[] = [];
    try { encodeAt(L, 1, 0, out); } catch (e) { if (e instanceof EncodeError) fail(L, e.message); throw e; }
    lua.lua_pushstring(L, Uint8Array.from(out));
    return 1;
  };

  const decode = (L: LuaState): number => {
    if (lua.lua_gettop(L) !== 1) fail(L, 'bad argument #1 to \'decode\' (expected 1 argument)');
    const s = lua.lua_type(L, 1) === lua.LUA_TSTRING || lua.lua_type(L, 1) === lua.LUA_TNUMBER ? lua.lua_tolstring(L, 1)! : fail(L, `bad argument #1 to 'decode' (string expected, got ${typeName(f, lua.lua_type(L, 1))})`);
    const p = new Parser(f, L, s);
    p.value(0);
    p.ws();
    if (p.i < s.length) p.bad('the end');
    return 1;
  };

  lua.lua_createtable(L, 0, 3);
  lua.lua_pushcfunction(L, encode); lua.lua_setfield(L, -2, to_luastring('encode'));
  lua.lua_pushcfunction(L, decode); lua.lua_setfield(L, -2, to_luastring('decode'));
  lua.lua_pushlightuserdata(L, CJSON_NULL); lua.lua_setfield(L, -2, to_luastring('null'));
  lua.lua_setglobal(L, to_luastring('cjson'));
}

function typeName(f: Fengari, t: number): string {
  const l = f.lua;
  return t === l.LUA_TFUNCTION ? 'function' : t === l.LUA_TLIGHTUSERDATA ? 'lightuserdata' : t === l.LUA_TNIL ? 'nil' : t === l.LUA_TBOOLEAN ? 'boolean' : 'userdata';
}

function pushAscii(out: number[], s: string): void { for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i)); }

const ESC: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x2f: '\\/', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

function quote(b: Uint8Array, out: number[]): void {
  out.push(0x22);
  for (const c of b) {
    const e = ESC[c];
    if (e !== undefined) pushAscii(out, e);
    else if (c < 0x20) pushAscii(out, `\\u${c.toString(16).padStart(4, '0')}`);
    else out.push(c);
  }
  out.push(0x22);
}

/** JSON text (bytes) → values pushed on the Lua stack. */
class Parser {
  i = 0;
  constructor(readonly f: Fengari, readonly L: LuaState, readonly s: Uint8Array) {}

  /** lua-cjson's message: what was expected, the token found (T_END, T_ARR_END…) and where. */
  bad(expected = 'value'): never {
    const at = this.i + 1;
    return this.f.lauxlib.luaL_error(this.L, this.f.to_luastring(`Expected ${expected} but found ${this.token()} at character ${at}`));
  }

  token(): string {
    if (this.i >= this.s.length) return 'T_END';
    const c = this.s[this.i]!;
    const names: Record<number, string> = { 0x5b: 'T_ARR_BEGIN', 0x5d: 'T_ARR_END', 0x7b: 'T_OBJ_BEGIN', 0x7d: 'T_OBJ_END', 0x2c: 'T_COMMA', 0x3a: 'T_COLON', 0x22: 'T_STRING' };
    if (names[c] !== undefined) return names[c]!;
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'T_NUMBER';
    if (this.lit('true') || this.lit('false')) { return 'T_BOOLEAN'; }
    if (this.lit('null')) return 'T_NULL';
    return 'invalid token';
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length && (s[this.i] === 0x20 || s[this.i] === 0x09 || s[this.i] === 0x0a || s[this.i] === 0x0d)) this.i++;
  }

  lit(word: string): boolean {
    for (let k = 0; k < word.length; k++) if (this.s[this.i + k] !== word.charCodeAt(k)) return false;
    this.i += word.length;
    return true;
  }

  value(depth: number): void {
    const { lua, lauxlib, to_luastring } = this.f;
    const L = this.L;
    this.ws();
    const c = this.s[this.i];
    if (c === 0x7b || c === 0x5b) {
      if (depth >= MAX_DEPTH) lauxlib.luaL_error(L, to_luastring(`Found too many nested data structures (${depth + 1}) at character ${this.i + 1}`));
      lauxlib.luaL_checkstack(L, 3, null);
      this.i++;
      lua.lua_createtable(L, 0, 0);
      const close = c === 0x7b ? 0x7d : 0x5d;
      this.ws();
      if (this.s[this.i] === close) { this.i++; return; }
      for (let n = 1; ; n++) {
        if (c === 0x7b) {
          this.ws();
          if (this.s[this.i] !== 0x22) this.bad('object key string');
          this.string();
          this.ws();
          if (this.s[this.i] !== 0x3a) this.bad('colon');
          this.i++;
          this.value(depth + 1);
          lua.lua_rawset(L, -3);
        } else {
          this.value(depth + 1);
          lua.lua_rawseti(L, -2, n);
        }
        this.ws();
        if (this.s[this.i] === 0x2c) { this.i++; continue; }
        if (this.s[this.i] === close) { this.i++; return; }
        this.bad(c === 0x7b ? 'comma or object end' : 'comma or array end');
      }
    }
    if (c === 0x22) { this.string(); return; }
    if (c === 0x74 && this.lit('true')) { lua.lua_pushboolean(L, true); return; }
    if (c === 0x66 && this.lit('false')) { lua.lua_pushboolean(L, false); return; }
    if (c === 0x6e && this.lit('null')) { lua.lua_pushlightuserdata(L, CJSON_NULL); return; }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(Buffer.from(this.s.subarray(this.i, this.i + 400)).toString('latin1'));
    if (m === null || m[0].length === 0) this.bad();
    this.i += m[0].length;
    lua.lua_pushnumber(L, Number(m[0]));
  }

  string(): void {
    const s = this.s;
    const out: number[] = [];
    this.i++;
    for (;;) {
      if (this.i >= s.length) this.bad();
      const c = s[this.i++]!;
      if (c === 0x22) break;
      if (c !== 0x5c) { out.push(c); continue; }
      const e = s[this.i++];
      switch (e) {
        case 0x22: out.push(0x22); break;
        case 0x5c: out.push(0x5c); break;
        case 0x2f: out.push(0x2f); break;
        case 0x62: out.push(0x08); break;
        case 0x66: out.push(0x0c); break;
        case 0x6e: out.push(0x0a); break;
        case 0x72: out.push(0x0d); break;
        case 0x74: out.push(0x09); break;
        case 0x75: {
          let cp = this.hex4();
          if (cp >= 0xd800 && cp < 0xdc00 && s[this.i] === 0x5c && s[this.i + 1] === 0x75) {
            this.i += 2;
            const lo = this.hex4();
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
          break;
        }
        default: this.i--; this.bad();
      }
    }
    this.f.lua.lua_pushstring(this.L, Uint8Array.from(out));
  }

  hex4(): number {
    const h = Buffer.from(this.s.subarray(this.i, this.i + 4)).toString('latin1');
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.bad();
    this.i += 4;
    return parseInt(h, 16);
  }
}
