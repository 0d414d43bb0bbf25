-- An object-oriented simulation with metatables: accounts with inheritance, operators via
-- metamethods, and a ledger that replays a day of transactions.
local Account = {}
Account.__index = Account

function Account.new(owner, balance)
  return setmetatable({owner = owner, balance = balance or 0, history = {}}, Account)
end

function Account:deposit(amount)
  if amount <= 0 then error("deposit must be positive", 2) end
  self.balance = self.balance + amount
  self.history[#self.history + 1] = amount
end

function Account:withdraw(amount)
  if amount > self.balance then
    error(("%s cannot withdraw %d (balance %d)"):format(self.owner, amount, self.balance), 2)
  end
  self.balance = self.balance - amount
  self.history[#self.history + 1] = -amount
end

Account.__tostring = function(a) return ("%s: %d"):format(a.owner, a.balance) end
Account.__lt = function(a, b) return a.balance < b.balance end
Account.__add = function(a, b) return Account.new(a.owner .. "+" .. b.owner, a.balance + b.balance) end

-- Savings accounts earn interest and refuse to go below a minimum.
local Savings = setmetatable({}, {__index = Account})
Savings.__index = Savings
Savings.__tostring = Account.__tostring
Savings.__lt = Account.__lt

function Savings.new(owner, balance, rate)
  local s = Account.new(owner, balance)
  s.rate = rate
  return setmetatable(s, Savings)
end

function Savings:withdraw(amount)
  if self.balance - amount < 100 then error(self.owner .. " must keep 100 in savings", 2) end
  Account.withdraw(self, amount)
end

function Savings:addInterest()
  self:deposit(math.floor(self.balance * self.rate))
end

local accounts = {
  Account.new("ann", 500), Account.new("bob", 50), Savings.new("cid", 1000, 0.05),
}
local ledger = {
  {1, "deposit", 250}, {2, "withdraw", 80}, {3, "withdraw", 950}, {3, "withdraw", 200},
  {2, "deposit", -5}, {1, "withdraw", 700}, {3, "interest"},
}
for _, entry in ipairs(ledger) do
  local account, action, amount = accounts[entry[1]], entry[2], entry[3]
  local ok, err = pcall(function()
    if action == "interest" then account:addInterest() else account[action](account, amount) end
  end)
  print(ok and ("ok    " .. tostring(account)) or ("error " .. err))
end
table.sort(accounts, function(a, b) return a < b end)
for i, a in ipairs(accounts) do print(i, tostring(a), #a.history) end
print("merged", tostring(accounts[1] + accounts[3]))
