-- Closures and upvalues in a hot loop: counters, adders built per iteration,
-- function composition and an accumulator shared by several closures.
local n = tonumber(arg and arg[1]) or 3000000

local function makeCounter()
  local count = 0
  return function(step) count = count + step; return count end
end

local function makeAdder(k)
  return function(x) return x + k end
end

local function compose(f, g)
  return function(x) return f(g(x)) end
end

local function makeAccount()
  local balance, ops = 0, 0
  local acct = {}
  function acct.deposit(v) balance = balance + v; ops = ops + 1 end
  function acct.withdraw(v)
    ops = ops + 1
    if v <= balance then balance = balance - v; return true end
    return false
  end
  function acct.state() return balance, ops end
  return acct
end

local counter = makeCounter()
local acct = makeAccount()
local total = 0
for i = 1, n do
  local add = makeAdder(i % 7)              -- a fresh closure each iteration
  local f = compose(add, makeAdder(1))
  total = (total + f(i % 1000)) % 1000000007
  counter(i % 3)
  acct.deposit(i % 5)
  acct.withdraw(i % 11)
end
local balance, ops = acct.state()
print(string.format("total=%d counter=%d balance=%d ops=%d", total, counter(0), balance, ops))
