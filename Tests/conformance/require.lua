-- require, package.loaded, package.preload, package.loaders, package.searchpath,
-- package.seeall and module(), with helper modules under ./modules.
-- lua5.1 differs: it has no package.searchpath or package.config, and its loading
-- sentinel is a userdata where LuaJIT's reads as a number.
package.path = "./modules/?.lua;./modules/?/init.lua;" .. package.path

-- The library itself.
assert(type(package) == "table" and package.loaded.package == package)
assert(package.loaded._G == _G and package.loaded.string == string and package.loaded.table == table)
assert(type(package.preload) == "table" and type(package.loaders) == "table")
print("loaders", #package.loaders)
for i = 1, 4 do assert(type(package.loaders[i]) == "function") end
assert(type(package.path) == "string" and type(package.cpath) == "string")
print("config", (package.config:gsub("\n", " ")))

-- A module file: loaded once, called with its name only, then cached.
local m = require("req_basic")
print("basic", m.name, m.argc, m.loading, req_basic_loads)
assert(require("req_basic") == m and package.loaded.req_basic == m)
print("cached", req_basic_loads)
package.loaded.req_basic = nil
local m2 = require("req_basic")
assert(m2 ~= m)
print("reloaded", req_basic_loads)

-- A module returning nothing gets true; one that set package.loaded keeps its value;
-- false is not stored (the sentinel stays and is replaced by true).
print("nothing", require("req_nothing"), req_nothing_ran, package.loaded.req_nothing)
print("self", require("req_self"))
print("false", require("req_false"), package.loaded.req_false)

-- package.preload comes first.
package.preload.req_pre = function(...)
  print("preload called with", select("#", ...), ...)
  return { from = "preload" }
end
print("preload", require("req_pre").from, require("req_pre") == package.loaded.req_pre)
package.preload.req_basic = function() return "shadowed" end
package.loaded.req_basic = nil
print("preload first", require("req_basic"))

-- A module that raises an error: the error propagates, later attempts see the sentinel.
print(pcall(require, "req_error"))
print(pcall(require, "req_error"))
-- A syntax error is reported with the file it came from.
print(pcall(require, "req_syntax"))
-- Loops are detected.
print(pcall(require, "req_loop_a"))

-- Not found: every place tried is listed.
local ok, msg = pcall(require, "req_missing.sub")
assert(not ok)
print("not found", msg:match("^[^\n]*"))
for _, line in ipairs({
  "\n\tno field package.preload['req_missing.sub']",
  "\n\tno file './modules/req_missing/sub.lua'",
  "\n\tno file './modules/req_missing/sub/init.lua'",
  "\n\tno file './req_missing/sub.lua'",
}) do
  print(line:sub(3), msg:find(line, 1, true) ~= nil)
end
local ok2, msg2 = pcall(require, "req_missing")
print("plain name", ok2, msg2:find("\n\tno file './modules/req_missing.lua'", 1, true) ~= nil)
print(pcall(require))
print(pcall(require, {}))

-- Dotted names map to directories; ?/init.lua templates work.
print("init", require("req_pkg").init, require("req_pkg").name)

-- Loader protocol: loaders return a function, a message, or nothing.
table.insert(package.loaders, 2, function(name)
  if name == "req_custom" then
    return function(n) return "custom " .. n end
  end
  return "\n\tnot in the custom loader"
end)
print("custom", require("req_custom"))
local _, custom = pcall(require, "req_nowhere")
print("custom message", custom:find("\n\tnot in the custom loader\n\tno file", 1, true) ~= nil)
table.remove(package.loaders, 2)

-- package.searchpath
print(package.searchpath("req_basic", "./modules/?.x;./modules/?.lua"))
print(package.searchpath("a.b.c", "?;;x?.lua"))
print(package.searchpath("a.b.c", "p/?", ".", "_"))
print(package.searchpath("a.b.c", "p/?;q/?", "", "_"))
print(package.searchpath("req_pkg.inner", "./modules/?.lua"))
print(pcall(package.searchpath, "x"))

-- module() with package.seeall
local mod = require("req_mod")
print("module", mod._NAME, mod._PACKAGE, mod._M == mod, mod.bump(), mod.bump(5), mod.describe())
assert(req_mod == mod and package.loaded.req_mod == mod)
assert(getmetatable(mod).__index == _G)

-- module() without options, in a dotted name: the environment has no globals.
local inner = require("req_pkg.inner")
print("inner", inner._NAME, inner._PACKAGE, inner.get(), req_pkg.inner == inner, inner.print)

-- module() reuses an existing table and sets the caller's environment.
local function define()
  module("req_defined")
  x = 1
end
define()
print("defined", req_defined._NAME, req_defined.x, getfenv(define) == req_defined, x)
local t = req_defined
local function redefine() module("req_defined") y = 2 end
redefine()
print("reused", req_defined == t, t.y)
string.req_conflict = 1
print(pcall(module, "string.req_conflict"))
print(pcall(module))

-- package.seeall on its own
local plain = setmetatable({}, { __newindex = rawset })
package.seeall(plain)
print("seeall", plain.type == type, getmetatable(plain).__newindex == rawset)
print(pcall(package.seeall, 1))

-- Error checks on package fields.
local loaders = package.loaders
package.loaders = nil
print(pcall(require, "req_unknown"))
package.loaders = loaders
local preload = package.preload
package.preload = nil
print(pcall(require, "req_unknown"))
package.preload = preload
local path = package.path
package.path = nil
print(pcall(require, "req_unknown"))
package.path = path

print("ok")
