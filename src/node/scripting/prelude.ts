// Lua source run once in every fresh script interpreter, after the libraries
// and the `redis` table are in place: the Lua 5.1 names Redis scripts rely on
// (fengari is Lua 5.3), the `bit` and `struct` libraries written over 5.3's
// operators and string.pack, numbers kept as floats the way 5.1 has them, the
// error handler that gives errors their line, and the globals protection. No JS here.

/**
 * fengari's integers are 32-bit; Lua 5.1 (Redis) has only doubles. Integers
 * that come from tonumber() or math.floor/ceil could overflow 32 bits in
 * arithmetic (`tonumber(t[1]) * 1000` with a time in seconds), so those
 * return floats; integral floats print as in 5.1 (FLOATSTRING, lua-api.ts).
 */
export const PRELUDE = String.raw`
local rawtonumber, floor, ceil, mtype = tonumber, math.floor, math.ceil, math.type
local function float(n) if mtype(n) == 'integer' then return n + 0.0 end return n end
tonumber = function(...) return float(rawtonumber(...)) end
math.floor = function(x) return float(floor(x)) end
math.ceil = function(x) return float(ceil(x)) end
math.pow = function(a, b) return a ^ b end
math.mod = math.fmod
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.log10 = function(x) return math.log(x, 10) end
math.type = nil
math.tointeger = nil
math.ult = nil
math.maxinteger = nil
math.mininteger = nil
unpack = table.unpack
table.getn = function(t) return #t end
table.maxn = function(t) local m = 0 for k in pairs(t) do if mtype(k) and k > m then m = k end end return m end
loadstring = function(s, name) return load(s, name, 't') end
string.gfind = string.gmatch
table.pack = nil
table.unpack = nil
table.move = nil

-- LuaBitOp (the bit library of Redis): 32-bit operations, results signed
do
  local M = 4294967296.0
  local function tobit(x)
    x = rawtonumber(x) % M
    if x >= 2147483648.0 then x = x - M end
    return floor(x)
  end
  local function fold(op, a, ...)
    local r = tobit(a)
    for i = 1, select('#', ...) do r = op(r, tobit((select(i, ...)))) end
    return r
  end
  local function band(a, b) return a & b end
  local function bor(a, b) return a | b end
  local function bxor(a, b) return a ~ b end
  local function u(x) return x % M end
  local function lshift(x, n) return tobit(u(tobit(x)) * 2.0 ^ (tobit(n) % 32)) end
  local function rshift(x, n) return tobit(floor(u(tobit(x)) / 2.0 ^ (tobit(n) % 32))) end
  local function arshift(x, n) return tobit(floor(tobit(x) / 2.0 ^ (tobit(n) % 32))) end
  bit = {
    tobit = tobit,
    band = function(...) return fold(band, ...) end,
    bor = function(...) return fold(bor, ...) end,
    bxor = function(...) return fold(bxor, ...) end,
    bnot = function(x) return tobit(-1 - tobit(x)) end,
    lshift = lshift, rshift = rshift, arshift = arshift,
    rol = function(x, n) n = tobit(n) % 32 return tobit(u(lshift(x, n)) + u(rshift(x, 32 - n))) end,
    ror = function(x, n) n = tobit(n) % 32 return tobit(u(rshift(x, n)) + u(lshift(x, 32 - n))) end,
    bswap = function(x) x = u(tobit(x)) local b0, b1, b2, b3 = x % 256, floor(x / 256) % 256, floor(x / 65536) % 256, floor(x / 16777216)
      return tobit(((b0 * 256 + b1) * 256 + b2) * 256 + b3) end,
    tohex = function(x, n)
      n = n == nil and 8 or tobit(n)
      local up = n < 0
      if up then n = -n end
      if n > 8 then n = 8 end
      local v = u(tobit(x))
      local s = string.format('%04x%04x', floor(v / 65536), floor(v % 65536))
      if up then s = s:upper() end
      return s:sub(9 - n)
    end,
  }
end

-- struct (pack/unpack/size) over string.pack: 's' is a zero-terminated string there as in struct
do
  local pack, unpack_, size = string.pack, string.unpack, string.packsize
  local function fmt(f)
    return (f:gsub('[slLT]', { s = 'z', l = 'i8', L = 'I8', T = 'I8' }))
  end
  struct = {
    pack = function(f, ...) return pack(fmt(f), ...) end,
    unpack = function(f, s, pos) return unpack_(fmt(f), s, pos) end,
    size = function(f) return size(fmt(f)) end,
  }
  string.pack, string.unpack, string.packsize = nil, nil, nil
end

-- the message handler of every script call: errors become {err=…, source=…, line=…}
do
  local getinfo = debug.getinfo
  __redis__err__handler = function(err)
    local i = getinfo(2, 'nSl')
    if i and (i.what == 'C' or i.what == 'J') then i = getinfo(3, 'nSl') end
    if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
    if i then err['source'] = i.source err['line'] = i.currentline end
    return err
  end
end
debug = nil
utf8 = nil
`;
