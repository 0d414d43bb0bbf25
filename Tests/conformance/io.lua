-- The io library and os.remove/rename/tmpname: files, formats, default files, pipes, errors.
-- Files are named after a fresh os.tmpname(), so that runs at the same time do not share
-- them; printed values show that name as "TMP".
local base = os.tmpname()
local prefix = base .. "-"
local baseHidden = base:gsub("%p", "%%%0")
local realPrint = print
local function print(...)
  local values = {...}
  for i = 1, select("#", ...) do
    if type(values[i]) == "string" then values[i] = values[i]:gsub(baseHidden, "TMP") end
  end
  realPrint(unpack(values, 1, select("#", ...)))
end
local function check(ok, msg) print(ok, msg) end

-- io.type and the standard files
print(io.type(io.stdin), io.type(io.stdout), io.type(io.stderr), io.type(1), io.type({}), io.type(nil))
check(pcall(function() local r = io.type() end))
print(getmetatable(io.stdout).__index == getmetatable(io.stdout))
print(io.input() == io.stdin, io.output() == io.stdout)
print(io.stdout:close())
print(io.stdin:close())
print(io.close(io.stderr))
print(tostring(io.stdout):match("^file %(0x%x+%)$") ~= nil)

-- writing, then reading with every format
local name = prefix .. "a"
os.remove(name)
local f = assert(io.open(name, "w"))
print(io.type(f))
print(f:write("line one\n", "line two\n", 42, " ", 1.5, " ", 1e100, "\n"))
print(f:write())
print(f:write("  0x1F  -3.25e2 12abc\n\nlast"))
print(f:close())
print(io.type(f), tostring(f))
check(pcall(function() local r = f:read() end))
check(pcall(function() local r = f:write("x") end))
check(pcall(function() local r = f:lines() end))
check(pcall(function() local r = f:seek() end))
check(pcall(function() local r = f:flush() end))
check(pcall(function() local r = f:close() end))
check(pcall(function() local r = io.close(f) end))
check(pcall(function() local r = io.input(f) end))

f = assert(io.open(name))
print(f:read())
print(f:read("*L"))
print(f:read("*n", "*n"))
print(f:read("n"))
print(f:read("*l"))
print(f:read("l"))
print(f:read("*n", "*n"))
print(f:read(2), f:read(0))
print(f:read("*n"))
print(f:read(10))
print(f:read(0), f:read(1), f:read("*l"), f:read("*L"), f:read("*n"))
print(f:read("*a"), f:read("*a"))
print(f:read("a"), f:read(5))
check(pcall(function() local r = f:read("x") end))
check(pcall(function() local r = f:read("*z") end))
check(pcall(function() local r = f:read({}) end))
check(pcall(function() local r = f:read("*l", true) end))
check(pcall(function() local r = f:write("x") end))
print(f:seek("set"))
print(f:read(4, "*l", 3))
print(f:seek())
print(f:seek("cur", -3))
print(f:read("*l"))
print(f:seek("end"))
print(f:seek("end", -4), f:read("*a"))
print(f:seek("set", 5), f:read(3))
check(pcall(function() local r = f:seek("bad") end))
check(pcall(function() local r = f:seek("set", "x") end))
check(pcall(function() local r = f:seek({}) end))
print(f:seek("set", -1))
print(f:close())

-- lines
for l in io.lines(name) do io.write("[", l, "]") end
print()
for a, b in io.lines(name, 1, "*l") do io.write("<", a, "|", tostring(b), ">") end
print()
f = assert(io.open(name))
local count = 0
for l in f:lines() do count = count + 1 end
print(count, io.type(f), f:read("*a"))
f:seek("set")
for n in f:lines("*L") do io.write(n) end
print()
f:close()
local it = io.lines(name)
print(it())
while it() do end
check(pcall(it))
check(pcall(function() local r = io.lines(prefix .. "missing") end))
check(pcall(function() for l in io.lines(prefix .. "missing") do end end))
check(pcall(function() local r = io.lines({}) end))

-- modes
print(io.open(name, "q"))
print(io.open(prefix .. "missing"))
print(io.open(prefix .. "missing", "r+"))
print(io.open(prefix .. "nodir/x", "w"))
check(pcall(function() local r = io.open() end))
check(pcall(function() local r = io.open(name, {}) end))
f = assert(io.open(name, "w")); f:write("abc"); f:close()
f = assert(io.open(name, "a")); f:write("def"); print(f:seek("cur")); f:close()
f = assert(io.open(name, "r+")); f:write("X"); f:seek("set"); print(f:read("*a")); f:close()
f = assert(io.open(name, "a+")); f:write("gh"); f:seek("set"); print(f:read("*a")); f:close()
f = assert(io.open(name, "w+")); print(f:read("*a"), f:read("*l")); f:write("new"); f:seek("set"); print(f:read("*a")); f:close()
f = assert(io.open(name, "rb")); print(f:read("*a")); f:close()
f = assert(io.open(name, "wb")); f:write("bin\0ary"); f:close()
f = assert(io.open(name, "r+b")); print(#f:read("*a")); f:close()
f = assert(io.open(name, "rb")); print(f:write("x")); f:close()
f = assert(io.open(name, "w")); print(f:read("*l")); f:close()

-- setvbuf and flush
f = assert(io.open(name, "w"))
print(f:setvbuf("no"), f:setvbuf("full", 1024), f:setvbuf("line"))
check(pcall(function() local r = f:setvbuf() end))
check(pcall(function() local r = f:setvbuf("some") end))
print(f:flush())
f:close()
print(io.stdout:setvbuf("full"), io.flush(), io.stdout:flush())

-- io.input / io.output / io.read / io.write / io.close
f = assert(io.open(name, "w"))
f:write("first\n2 3\nrest\n")
f:close()
print(io.input(name) ~= io.stdin, io.type(io.input()))
print(io.read())
print(io.read("*n", "*n"))
print(io.read("*a"))
print(io.read())
local input = io.input()
print(io.close(input), io.type(input))
check(pcall(function() local r = io.read() end))
check(pcall(function() for l in io.lines() do end end))
io.input(io.stdin)
check(pcall(function() local r = io.input(prefix .. "missing") end))
check(pcall(function() local r = io.input(1 == 1) end))
local outname = prefix .. "b"
local out = io.output(outname)
print(out ~= io.stdout, io.output() == out)
print(io.write("to ", "file ", 7, "\n"))
print(io.flush())
print(io.close())
print(io.type(out))
check(pcall(function() local r = io.write("x") end))
check(pcall(function() local r = io.close() end))
check(pcall(function() local r = io.flush() end))
check(pcall(function() local r = io.output(out) end))
io.output(io.stdout)
io.write("back on stdout\n")
print(io.open(outname):read("*a"))
print(io.output(io.open(outname, "a")) ~= io.stdout)
io.write("more\n")
io.close()
io.output(io.stdout)
print(io.open(outname):read("*a"))
check(pcall(function() local r = io.write({}) end))
check(pcall(function() local r = io.stdout:write(1, nil) end))
check(pcall(function() local r = io.read({}) end))

-- tmpfile
local t = io.tmpfile()
print(io.type(t))
t:write("tmp", 1, 2)
t:seek("set")
print(t:read("*a"))
print(t:close(), io.type(t))

-- popen
local p = io.popen("echo hello; echo world")
print(io.type(p))
print(p:read("*l"), p:read("*a"))
print(p:close())
p = io.popen("exit 3")
print(p:close())
p = io.popen("cat > " .. outname, "w")
p:write("piped ", 1, "\n")
print(p:close())
print(io.open(outname):read("*a"))
for l in io.popen("printf 'a\\nb\\n'"):lines() do io.write(l, ";") end
print()
check(pcall(function() local r = io.popen() end))
print("ordered", 1)
io.write("ordered ", 2, "\n")
io.stdout:write("ordered ", 3, "\n")
print("ordered", 4)

-- bad self
check(pcall(function() local r = io.stdout.read(1) end))
check(pcall(function() local r = f.close({}) end))

-- os.remove, os.rename, os.tmpname
local renamed = prefix .. "c"
print(os.rename(name, renamed))
print(io.open(name))
print(os.rename(name, renamed))
print(os.remove(renamed))
print(os.remove(renamed))
print(os.remove(outname))
check(pcall(function() local r = os.remove() end))
check(pcall(function() local r = os.rename(name) end))
local tmp = os.tmpname()
print(type(tmp), tmp:match("^/tmp/lua_") ~= nil)
print(io.open(tmp):read("*a") == "")
print(os.remove(tmp))
print(os.remove(base))
collectgarbage()
print("ok")
