#!/usr/bin/env luajit
-- A '#' first line is skipped by the loader (the line still counts for line numbers).
local info = debug.getinfo(1, "l")
assert(info.currentline == 3)
print("ok")
