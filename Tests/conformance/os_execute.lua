-- os.execute and os.setlocale. LuaJIT 2.1 (like Lua 5.1) returns system()'s status as it
-- is: the exit code times 256, the number of the signal that ended the shell, or for no
-- command whether a shell exists. Pending output is not flushed before the command runs,
-- so the command's line comes first when stdout is a file or a pipe.
io.write("written before the command, ")
print(os.execute("echo from the command"))
print(os.execute())
print(os.execute(nil))
print(os.execute("true"), os.execute("exit 3"), os.execute("exit 255"), os.execute("exit 256"))
print(os.execute("kill -9 $$"), os.execute("kill -TERM $$"))
print(os.execute("test -d /"), os.execute("test -f /"))
print(os.execute(7 .. " 2>/dev/null"))
print(pcall(os.execute, {}))
print(pcall(function() os.execute(true) end))

-- os.setlocale: the locale for a category ("all" by default), nil when it cannot be set.
print(os.setlocale("C"))
print(os.setlocale())
print(os.setlocale(nil, "all"))
for _, category in ipairs({"collate", "ctype", "monetary", "numeric", "time"}) do
  print(category, os.setlocale("POSIX", category), os.setlocale(nil, category))
end
print(os.setlocale("C", "all"))
print(os.setlocale("no_SUCH.locale"))
print(os.setlocale("no_SUCH.locale", "numeric"), os.setlocale(nil, "numeric"))
print(os.setlocale(5))
print(pcall(function() os.setlocale("C", "everything") end))
print(pcall(function() os.setlocale("C", 3) end))
print(pcall(function() os.setlocale({}) end))
print(pcall(function() os.setlocale("C", {}) end))
print(pcall(os.setlocale, nil, "ALL"))
print(string.format("%.1f", 1.5), tostring(2.5))
print("ok")
