-- A coroutine pipeline: a producer of words, a filter and a counter, each a coroutine
-- passing values along with yield and resume.
local text = {
  "the quick brown fox jumps over the lazy dog",
  "the dog sleeps and the fox runs",
  "a quick end",
}

local function producer()
  return coroutine.wrap(function()
    for _, line in ipairs(text) do
      local word = ""
      for i = 1, #line + 1 do
        local ch = line:sub(i, i)
        if ch == " " or ch == "" then
          if #word > 0 then coroutine.yield(word) end
          word = ""
        else
          word = word .. ch
        end
      end
    end
  end)
end

local function filter(source, minLength)
  return coroutine.wrap(function()
    for word in source do
      if #word >= minLength then coroutine.yield(word:upper()) end
    end
  end)
end

local counts, order = {}, {}
for word in filter(producer(), 4) do
  if not counts[word] then order[#order + 1] = word end
  counts[word] = (counts[word] or 0) + 1
end
table.sort(order, function(a, b)
  if counts[a] ~= counts[b] then return counts[a] > counts[b] end
  return a < b
end)
for _, word in ipairs(order) do print(word, counts[word]) end

local co = coroutine.create(function(a)
  local b = coroutine.yield(a * 2)
  local c = coroutine.yield(a + b)
  return a + b + c
end)
print(coroutine.resume(co, 5))
print(coroutine.resume(co, 7))
print(coroutine.resume(co, 1))
print(coroutine.resume(co))
