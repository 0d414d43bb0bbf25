-- JSON encoder and decoder written in Lua: build a document of nested objects,
-- arrays, numbers and escaped strings, encode it, decode it back, re-encode and
-- compare. Object keys are emitted in sorted order so the text is deterministic.
local rounds = tonumber(arg and arg[1]) or 10

local byte, char, sub, find, format = string.byte, string.char, string.sub, string.find, string.format
local concat, sort = table.concat, table.sort

---------------------------------------------------------------- encoder
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function escapeChar(c)
  return escapes[c] or format("\\u%04x", byte(c))
end

local encodeValue

local function encodeString(s, buf)
  buf[#buf + 1] = '"'
  buf[#buf + 1] = (s:gsub('[%c"\\]', escapeChar))
  buf[#buf + 1] = '"'
end

function encodeValue(v, buf)
  local tv = type(v)
  if tv == "string" then
    encodeString(v, buf)
  elseif tv == "number" then
    if v == math.floor(v) and v > -1e15 and v < 1e15 then buf[#buf + 1] = format("%d", v)
    else buf[#buf + 1] = format("%.14g", v) end
  elseif tv == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif tv == "nil" then
    buf[#buf + 1] = "null"
  elseif tv == "table" then
    if #v > 0 then
      buf[#buf + 1] = "["
      for i = 1, #v do
        if i > 1 then buf[#buf + 1] = "," end
        encodeValue(v[i], buf)
      end
      buf[#buf + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      sort(keys)
      buf[#buf + 1] = "{"
      for i = 1, #keys do
        if i > 1 then buf[#buf + 1] = "," end
        encodeString(keys[i], buf)
        buf[#buf + 1] = ":"
        encodeValue(v[keys[i]], buf)
      end
      buf[#buf + 1] = "}"
    end
  else
    error("cannot encode " .. tv)
  end
end

local function encode(v)
  local buf = {}
  encodeValue(v, buf)
  return concat(buf)
end

---------------------------------------------------------------- decoder
local decodeValue

local function skip(s, i)
  local _, e = find(s, "^[ \n\r\t]*", i)
  return e + 1
end

local unescapes = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local function decodeString(s, i)
  -- i points at the opening quote
  local parts, np = {}, 0
  local j = i + 1
  while true do
    local a, b = find(s, '["\\]', j)
    if not a then error("unterminated string at " .. i) end
    if a > j then np = np + 1; parts[np] = sub(s, j, a - 1) end
    if byte(s, a) == 34 then -- closing quote
      return concat(parts), b + 1
    end
    local e = sub(s, a + 1, a + 1)
    if e == "u" then
      local code = tonumber(sub(s, a + 2, a + 5), 16)
      if code >= 128 then error("only ASCII \\u escapes are supported") end
      np = np + 1; parts[np] = char(code)
      j = a + 6
    else
      np = np + 1; parts[np] = unescapes[e] or error("bad escape \\" .. e)
      j = a + 2
    end
  end
end

local function decodeNumber(s, i)
  local a, b = find(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  return tonumber(sub(s, a, b)), b + 1
end

local function decodeArray(s, i)
  local arr, n = {}, 0
  i = skip(s, i + 1)
  if byte(s, i) == 93 then return arr, i + 1 end
  while true do
    local v
    v, i = decodeValue(s, i)
    n = n + 1; arr[n] = v
    i = skip(s, i)
    local c = byte(s, i)
    if c == 93 then return arr, i + 1 end
    if c ~= 44 then error("expected ',' or ']' at " .. i) end
    i = skip(s, i + 1)
  end
end

local function decodeObject(s, i)
  local obj = {}
  i = skip(s, i + 1)
  if byte(s, i) == 125 then return obj, i + 1 end
  while true do
    local k, v
    k, i = decodeString(s, i)
    i = skip(s, i)
    if byte(s, i) ~= 58 then error("expected ':' at " .. i) end
    i = skip(s, i + 1)
    v, i = decodeValue(s, i)
    obj[k] = v
    i = skip(s, i)
    local c = byte(s, i)
    if c == 125 then return obj, i + 1 end
    if c ~= 44 then error("expected ',' or '}' at " .. i) end
    i = skip(s, i + 1)
  end
end

function decodeValue(s, i)
  local c = byte(s, i)
  if c == 123 then return decodeObject(s, i)
  elseif c == 91 then return decodeArray(s, i)
  elseif c == 34 then return decodeString(s, i)
  elseif c == 116 then return true, i + 4
  elseif c == 102 then return false, i + 5
  elseif c == 110 then return nil, i + 4
  else return decodeNumber(s, i) end
end

local function decode(s)
  local v, i = decodeValue(s, skip(s, 1))
  i = skip(s, i)
  if i <= #s then error("trailing garbage at " .. i) end
  return v
end

---------------------------------------------------------------- document
local seed = 12345
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end

local words = { "alpha", "beta", "gamma", "delta", "tab\there", "quote\"d", "back\\slash",
                "new\nline", "ctrl\1char", "omega", "lambda", "sigma" }

local function makeRecord(id)
  local tags = {}
  for i = 1, 1 + rand(5) do tags[i] = words[1 + rand(#words)] end
  local scores = {}
  for i = 1, 3 + rand(6) do scores[i] = rand(100000) / 64 end
  return {
    id = id,
    name = words[1 + rand(#words)] .. "-" .. id,
    active = rand(2) == 1,
    ratio = rand(1000000) / 1000,
    tags = tags,
    scores = scores,
    owner = { first = words[1 + rand(#words)], last = words[1 + rand(#words)], age = 18 + rand(60) },
  }
end

local doc = { version = 3, generator = "perigee-bench", records = {} }
for i = 1, 2000 do doc.records[i] = makeRecord(i) end

local function hash(s)
  local h = 0
  for i = 1, #s, 7 do h = (h * 31 + byte(s, i)) % 1000000007 end
  return h
end

local totalLen, h, ages = 0, 0, 0
for _ = 1, rounds do
  local text = encode(doc)
  local back = decode(text)
  local again = encode(back)
  if again ~= text then error("round trip mismatch") end
  totalLen = totalLen + #text
  h = (h + hash(again)) % 1000000007
  for i = 1, #back.records do ages = ages + back.records[i].owner.age end
end
print(string.format("rounds=%d length=%d hash=%d ages=%d", rounds, totalLen, h, ages))
