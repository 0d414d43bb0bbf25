-- All operators, their precedence and associativity.
local x, a, b, t = 3, true, false, {}
-- ^ is right associative and binds tighter than unary minus on its left,
-- but a unary minus in the exponent belongs to the exponent.
assert(2^-3^2 == 2^(-(3^2)))
assert(2^3^2 == 512)
assert(-x^2 == -9)
assert(-2^2 == -4 and (-2)^2 == 4)
-- not binds tighter than ==.
assert((not a == b) == ((not a) == b))
assert(not nil == true)
assert(not 1 == false)
-- .. is right associative and binds looser than + and tighter than comparisons.
assert(1 .. 2 == "12")
assert("a" .. 1 + 2 .. "b" == "a3b")
assert("x" .. "y" .. "z" == "xyz")
local mt = { __concat = function(l, r)
  local ls = type(l) == "table" and l.s or l
  local rs = type(r) == "table" and r.s or r
  return setmetatable({ s = "(" .. ls .. rs .. ")" }, getmetatable(type(l) == "table" and l or r))
end }
local p = setmetatable({ s = "p" }, mt)
assert((p .. "a" .. "b").s == "(pab)")          -- "a".."b" first, then p..("ab")
assert(("a" .. ("b" .. p)).s == "(a(bp))")
-- Arithmetic.
assert(1 + 2 * 3 == 7 and (1 + 2) * 3 == 9)
assert(7 - 2 - 1 == 4 and 2 * 3 % 4 == 2 and 2 + 3 % 2 == 3)
assert(8 / 2 / 2 == 2 and 7 % 3 == 1 and -7 % 3 == 2 and 7 % -3 == -2)
assert(- - x == 3 and -(-x) == 3)
assert(#"abc" + 1 == 4 and -#"ab" == -2 and (#"ab") ^ 2 == 4)
-- # is unary, so it binds looser than ^: #s^2 is #(s^2).
assert(not pcall(function() return #"10" ^ 2 end))
-- Comparisons are non-associative in meaning but parse left to right.
assert((1 < 2) == true and (1 <= 1) and (2 > 1) and (2 >= 2) and (1 ~= 2) and (1 == 1))
assert((1 < 2) == (2 < 3))
assert(("a" < "b") and ("a" <= "a") and ("b" > "a") and ("abc" < "abd"))
-- and/or: and binds tighter than or; both short-circuit and return operands.
assert((1 or 2) == 1 and (nil or 2) == 2 and (false and 1) == false and (1 and 2) == 2)
assert((nil and nil or 3) == 3)
assert((1 or 2 and nil) == 1)
assert((false or nil) == nil and (nil and false) == nil)
assert((1 < 2 and 2 < 3) == true)
assert((1 == 1 or error("not reached")) == true)
-- Full precedence ladder in one expression:
-- or < and < comparison < .. < + - < * / % < unary < ^
local v = 1 + 2 * 3 ^ 2 .. "" == "19" and not nil or false
assert(v == true)
assert(2 * -3 == -6 and 2 ^ -1 == 0.5 and - 2 ^ - 2 == -0.25)
assert(not not t == true)
assert(- -2 ^ 2 == 4)
print("ok")
