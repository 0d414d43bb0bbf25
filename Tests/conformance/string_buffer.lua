-- LuaJIT 2.1's string buffers (require("string.buffer")): buffer methods, the errors they
-- raise, and the serialization format (byte for byte where the encoding does not depend on
-- hash order). The FFI-only methods (putcdata, reserve, commit, ref) are not covered: this
-- implementation has no FFI. lua5.1 has no string.buffer.
local buffer = require("string.buffer")
assert(package.loaded["string.buffer"] == buffer)

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x ", c:byte()) end))
end

-- put, get, tostring, length, reset
local b = buffer.new()
print(type(b), #b, tostring(b) == "", getmetatable(b))
local T = setmetatable({}, {__tostring = function() return "T" end})
assert(b:put("hello", 1, 2.5, T) == b)
print(b:tostring(), #b, tostring(b))
print(b:get(2), b:get(0), #b)
print(b:get(1, 2))
print(b:get(100), #b, b:get() == "")
b:put("a"):put("b", "c")
print(b:get(), #b)
print(select("#", b:get(1, 2, 3)), b:get(1, 2, 3))
print(b:get(1.5) == "")

-- set, skip, reset, free
b:set("abcdef")
assert(b:skip(2) == b)
print(#b, b:tostring())
print(b:skip(100) == b, #b)
b:set("xyz"):put("1")
print(tostring(b), b:reset() == b, #b)
b:put("again") b:free()
print(#b, b:tostring() == "")
b:put("reused")
print(b:get())

-- putf reuses string.format
print(b:putf("%5.2f|%s|%d|%q|%x", 3.14159, "x", 7, "a\nb", 255):get())
b:putf("%s-%s", T, 12)
print(b:get())

-- concatenation, buffers put into buffers
b:set("buf")
print(b .. "x", "y" .. b, 1 .. b, b .. b)
local o = buffer.new(64)
o:put(b, "!", b)
print(o:get(), #b)

-- argument errors
print(pcall(b.get, b, -1))
print(pcall(b.skip, b, "x"))
print(pcall(b.skip, b, -1))
print(pcall(b.put, b, {}))
print(pcall(b.put, b, true))
print(pcall(b.put, b, 1, nil))
print(pcall(b.put, b, b))
print(pcall(b.putf, b, "%d", "x"))
print(pcall(b.putf, b, "%d"))
print(pcall(b.putf, b))
print(pcall(b.set, b, 1))
print(pcall(b.set, b, {}))
print(pcall(b.get, b, "x"))
print(pcall(b.reset, 1))
print(pcall(buffer.new, "x"))
print(pcall(buffer.new, 10, 5))
print(pcall(buffer.new, -1))
print(pcall(buffer.new, {dict = {1}}))
print(pcall(buffer.encode))
print(pcall(buffer.decode, 1))
print(pcall(buffer.decode, {}))
print((pcall(function() return b .. {} end)))
print((select(2, pcall(function() b:get(-1) end))))

-- encoding, byte for byte
for _, v in ipairs{ {nil}, {false}, {true}, {1}, {1.5}, {-3}, {2^31}, {2^53}, {-0.0}, {1/0},
                    {""}, {"abc"}, {{}}, {{1, 2, 3}}, {{a = 1}}, {{1, 2, x = 3}},
                    {{[0] = 5, 1}}, {{nil, 2}}, {{{{}}}} } do
  print(hex(buffer.encode(v[1])))
end
print(hex(buffer.encode(string.rep("x", 300)):sub(1, 9)))
print(hex(buffer.encode(string.rep("y", 9000)):sub(1, 18)))
print(hex(buffer.encode(0/0)):sub(-6))
print(#buffer.encode(string.rep("y", 9000)))

-- decoding
local function show(v)
  if type(v) ~= "table" then return tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(x, y)
    if type(x) == type(y) and (type(x) == "number" or type(x) == "string") then return x < y end
    return type(x) < type(y)
  end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. show(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
print(buffer.decode("\6\1\0\0\0"), buffer.decode("\6\255\255\255\255"), buffer.decode("\35abc"))
print(show(buffer.decode("\10\3\35abc\1\2")))
print(show(buffer.decode("\12\1")), show(buffer.decode("\8")))
print(buffer.decode("\224\0" .. string.rep("z", 192)) == string.rep("z", 192))
local nested = {1, "two", {three = 3, [4] = {false, true}}, x = {y = {z = "deep"}}, [1.5] = -2, [true] = "yes"}
print(show(buffer.decode(buffer.encode(nested))))
local big = {}
for i = 1, 300 do big[i] = i * 2 end
for i = 1, 300 do big["k" .. i] = i end
local back = buffer.decode(buffer.encode(big))
local same = true
for k, v in pairs(big) do same = same and back[k] == v end
for k, v in pairs(back) do same = same and big[k] == v end
print(same, #back)
print(buffer.decode(buffer.encode(nil)), buffer.decode(buffer.encode(-0.0)), buffer.decode(buffer.encode(1e300)))
local nan = buffer.decode(buffer.encode(0/0))
print(nan ~= nan)

-- decoding errors
print(pcall(buffer.decode, ""))
print(pcall(buffer.decode, "\255"))
print(pcall(buffer.decode, "\22"))
print(pcall(buffer.decode, "\1\1"))
print(pcall(buffer.decode, "\35ab"))
print(pcall(buffer.decode, "\7\0\0"))
print(pcall(buffer.decode, "\9\2\0\0\0\1"))
print(pcall(buffer.decode, "\9\1\0\1"))
print(pcall(buffer.decode, "\9\1\7\0\0\0\0\0\0\248\127\1"))
print(pcall(buffer.decode, "\15\1"))
print(pcall(buffer.decode, "\14\0\8"))
print(pcall(buffer.decode, "\12\5\1"))

-- depth limit
for _, d in ipairs{99, 100, 101} do
  local t = {} local c = t
  for i = 1, d - 1 do c[1] = {} c = c[1] end
  print(d, pcall(buffer.encode, t))
end
local t = {} t[1] = t
print(pcall(buffer.encode, t))
print(pcall(buffer.decode, string.rep("\12\2", 200) .. "\0"))

-- unsupported types; metatables are not encoded
print(pcall(buffer.encode, print))
print(pcall(buffer.encode, coroutine.create(print)))
print(pcall(buffer.encode, io.stdout))
print(pcall(buffer.encode, {f = print}))
print(hex(buffer.encode(setmetatable({}, {}))))

-- encode / decode methods stream several objects through one buffer
local s = buffer.new()
assert(s:encode("x") == s)
s:encode(false):encode({1, 2}):encode(nil)
print(#s, s:decode(), s:decode(), show(s:decode()), s:decode(), #s)
print(pcall(s.decode, s))
s:put("\2\35abc")
print(s:decode(), #s, s:decode(), #s)

-- dict and metatable options
local mt = {}
local d = buffer.new({dict = {"a", "b"}, metatable = {{}, mt}})
print(hex(d:encode("b"):encode({b = 1}):encode(setmetatable({}, mt)):encode(setmetatable({}, {})):get()))
local r = d:set("\14\1\8"):decode()
print(getmetatable(r) == mt)
print(show(d:set("\9\1\15\0\2"):decode()))
print(d:set("\15\1"):decode())
print(pcall(d.decode, d:set("\14\5\8")))
print(pcall(d.decode, d:set("\14\0\1")))
print(pcall(d.decode, d:set("\15\2")))
local rt = d:reset():encode({a = 1, b = {a = 2}, c = setmetatable({b = 3}, mt)}):decode()
print(show(rt), getmetatable(rt.c) == mt)
print("ok")
