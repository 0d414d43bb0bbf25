-- Text processing: build a log file as a string, then parse it line by line with
-- find/match, rewrite it with gsub, tally fields, and format a report.
local lines = tonumber(arg and arg[1]) or 80000

local format, find, gsub, match, sub, lower, upper, rep =
  string.format, string.find, string.gsub, string.match, string.sub, string.lower, string.upper, string.rep

local seed = 777
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end

local levels = { "INFO", "WARN", "ERROR", "DEBUG" }
local paths = { "/index.html", "/api/v1/users", "/api/v1/orders", "/static/app.js",
                "/login", "/logout", "/search?q=lua+jit", "/img/logo.png" }
local agents = { "Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1", "Wget/1.21", "perigee-bench/1.0" }

-- 1. build the log with string.format and table.concat
local buf = {}
for i = 1, lines do
  buf[i] = format("%04d-%02d-%02d %02d:%02d:%02d [%s] %d.%d.%d.%d \"GET %s\" %d %d \"%s\"",
    2020 + rand(5), 1 + rand(12), 1 + rand(28), rand(24), rand(60), rand(60),
    levels[1 + rand(4)], 10 + rand(200), rand(256), rand(256), 1 + rand(254),
    paths[1 + rand(#paths)], 200 + 100 * rand(4), rand(100000), agents[1 + rand(#agents)])
end
local text = table.concat(buf, "\n") .. "\n"

-- 2. walk lines with find and parse fields with match
local byLevel, byStatus, bytes, pos, count = {}, {}, 0, 1, 0
while true do
  local s, e = find(text, "\n", pos, true)
  if not s then break end
  local line = sub(text, pos, s - 1)
  pos = e + 1
  count = count + 1
  local level, path, status, size = match(line, '%[(%u+)%] [%d%.]+ "GET ([^"]+)" (%d+) (%d+)')
  byLevel[level] = (byLevel[level] or 0) + 1
  byStatus[status] = (byStatus[status] or 0) + 1
  bytes = bytes + tonumber(size)
  if find(path, "api", 1, true) then byLevel.api = (byLevel.api or 0) + 1 end
end

-- 3. rewrite: anonymise addresses, normalise dates, upper-case paths
local anon, n1 = gsub(text, "(%d+)%.(%d+)%.%d+%.%d+", "%1.%2.x.x")
local dated, n2 = gsub(anon, "(%d%d%d%d)%-(%d%d)%-(%d%d)", "%3/%2/%1")
local shouted, n3 = gsub(dated, '"GET ([^"]+)"', function(p) return '"GET ' .. upper(p) .. '"' end)
local words = 0
for _ in string.gmatch(lower(shouted), "%a+") do words = words + 1 end

-- 4. report, in a fixed key order
local report = {}
for _, l in ipairs(levels) do report[#report + 1] = format("%-5s %7d", l, byLevel[l] or 0) end
report[#report + 1] = format("api   %7d", byLevel.api or 0)
for st = 200, 500, 100 do report[#report + 1] = format("%d   %7d", st, byStatus[tostring(st)] or 0) end
local out = table.concat(report, "\n")
local h = 0
for i = 1, #shouted, 13 do h = (h * 31 + string.byte(shouted, i)) % 1000000007 end
print(out)
print(format("lines=%d bytes=%d subs=%d/%d/%d words=%d len=%d hash=%d rule=%s",
  count, bytes, n1, n2, n3, words, #shouted, h, rep("-", 3)))
