// Lua source run once in every fresh script interpreter, after the libraries
// and the `redis` table are in place: the Lua 5.1 names Redis scripts rely on
// (fengari is Lua 5.3), `struct` over string.pack, and the error handler that
// gives errors their line. `bit`, `error`, `tonumber`, `math.floor`/`ceil` are
// JS functions (compat.ts), installed before this runs. No JS here.

/** Runs with the `=prelude` chunk name (the error handler skips its frames). */
export const PRELUDE = String.raw`
local mtype = math.type
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

-- the error handler of every script: called (on the main thread) with the error and the script's
-- coroutine, dead where the error was raised with its stack kept; errors become {err=…, source=…, line=…}
do
  local getinfo = debug.getinfo
  __redis__err__handler = function(err, co)
    -- the line is the script's: skip JS functions (redis.call…) and the prelude's own Lua ones
    local level = 0
    local i = getinfo(co, level, 'nSl')
    while i and (i.what == 'C' or i.what == 'J' or i.source == '=prelude') do level = level + 1 i = getinfo(co, level, 'nSl') end
    if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
    if i then err['source'] = i.source err['line'] = i.currentline end
    return err
  end
end
debug = nil
utf8 = nil
`;
