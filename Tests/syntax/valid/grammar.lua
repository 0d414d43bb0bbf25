-- Every grammar production in one file, never executed: this file only has to parse
-- (and its bytecode listing is compared). The body sits in a function that is not called.
local function never(...)
  local a, b, c = ..., nil, true
  local d = false
  local function e() end
  local f = function(x, y, ...) return x, y, ... end
  g = 1
  g.h, g["i"], g.j.k = 1, 2, 3
  g:m() g.n:o"s" g.p:q{} g.r:s[[t]] g.u.v.w:x(1, 2, 3)
  ;(g)() ;(g).y = 1 ;(g)[1] = 2
  g() g"" g{} g[[]] g[=[]=] g{1, 2; 3,} g{a = 1; ["b"] = 2, [3] = 3;}
  do end do local z end
  while a do break end
  while b do local x = 1 break end
  repeat until c
  repeat local u = 1 until u
  if a then elseif b then elseif c then else end
  if a then end
  for i = 1, 2 do end
  for i = 1, 2, 3 do end
  for i = a, b, c do break end
  for k in g do end
  for k, v in g, a, b do end
  for k, v, w, x in pairs(g) do end
  function g.fn() end
  function g.fn.fn2:fn3(...) end
  function gfun(a, b) end
  function gvar(...) end
  function gmix(a, ...) end
  local function lf() return lf end
  goto l1
  ::l1::
  local x = a + b - c * d / e % f ^ g .. a == b ~= c < d <= e > f >= g and a or not b
  x = -a + #b - not c
  x = { f(...) } x = { ... } x = { (...) } x = { g.a, g:b(), g"c" }
  x = function() end x = function(...) end x = function(a, ...) end
  x = 1 x = 1.5 x = 0x10 x = 1e5 x = .5 x = 3. x = 0x1p4 x = 12LL x = 12ULL x = 3i
  x = "s" x = 's' x = [[s]] x = [==[s]==] x = nil x = true x = false x = ...
  x = a.b.c.d.e[f][g].h
  x = ((((a))))
  return a, b, c
end
print("ok")
