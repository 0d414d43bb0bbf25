-- A JSON encoder and decoder in plain Lua, and a round trip through them.
local json = {}

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function isArray(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then return false end
    n = n + 1
  end
  return n == #t
end

function json.encode(v)
  local kind = type(v)
  if kind == "nil" then return "null"
  elseif kind == "boolean" then return tostring(v)
  elseif kind == "number" then return (v % 1 == 0 and ("%d"):format(v)) or ("%.14g"):format(v)
  elseif kind == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return escapes[c] or ("\\u%04x"):format(c:byte()) end) .. '"'
  elseif kind == "table" then
    local parts = {}
    if isArray(v) then
      for i = 1, #v do parts[i] = json.encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for i, k in ipairs(keys) do parts[i] = json.encode(k) .. ":" .. json.encode(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. kind)
end

function json.decode(s)
  local pos = 1
  local function skip() pos = s:find("[^ \n\r\t]", pos) or #s + 1 end
  local function fail(what) error(("bad JSON at %d: %s"):format(pos, what), 0) end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = i + 1; return table.concat(out) end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local map = { n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
        if e == "u" then
          out[#out + 1] = string.char(tonumber(s:sub(i + 2, i + 5), 16) % 256)
          i = i + 6
        else
          out[#out + 1] = map[e] or fail("bad escape")
          i = i + 2
        end
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
  end
  function value()
    skip()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1; skip()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      repeat
        skip()
        local k = str(); skip()
        if s:sub(pos, pos) ~= ":" then fail("':' expected") end
        pos = pos + 1
        t[k] = value(); skip()
        local sep = s:sub(pos, pos); pos = pos + 1
      until sep ~= ","
      return t
    elseif c == "[" then
      local t = {}
      pos = pos + 1; skip()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      repeat
        t[#t + 1] = value(); skip()
        local sep = s:sub(pos, pos); pos = pos + 1
      until sep ~= ","
      return t
    elseif c == '"' then return str()
    elseif s:find("^true", pos) then pos = pos + 4; return true
    elseif s:find("^false", pos) then pos = pos + 5; return false
    elseif s:find("^null", pos) then pos = pos + 4; return nil
    end
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" then fail("unexpected '" .. c .. "'") end
    pos = pos + #num
    return tonumber(num)
  end
  local v = value()
  skip()
  if pos <= #s then fail("trailing characters") end
  return v
end

local doc = {
  name = "Perigee", version = 0.1, tags = {"lua", "swift", "llvm"},
  nested = { ok = true, empty = {}, quote = 'say "hi"\n', numbers = {1, 2.5, -3e10} },
}
local text = json.encode(doc)
print(text)
local back = json.decode(text)
print(back.name, back.version, #back.tags, back.nested.quote == doc.nested.quote, back.nested.numbers[3])
print(json.encode(back) == text)
print(pcall(json.decode, '{"a": [1, 2,'))
print(pcall(json.decode, '[1, 2] x'))
