"""Random, deterministic, type-mixed Lua programs for the differential fuzzer.

A program is a list of lines; every statement the generator makes starts on a line of its
own and the blocks it opens close on lines of their own, so the reducer can delete lines.
Output never depends on addresses, hash order or time: values are printed through `show`,
which names tables by an id field, and tables are walked only through arrays.
"""

import random

PRELUDE = r'''local raw_tostring = tostring
-- Addresses never reach the output: tables without __tostring, functions and threads print
-- as their type name (print calls this global, as in luajit).
tostring = function(v)
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    if not (type(mt) == "table" and rawget(mt, "__tostring")) then return "table" end
  elseif t == "function" or t == "thread" or t == "userdata" then
    return t
  end
  return raw_tostring(v)
end
local function show(v)
  local t = type(v)
  if t == "table" then
    local id = rawget(v, "id")
    if id ~= nil then return "table:" .. tostring(id) end
    return "table"
  elseif t == "function" then return "function"
  elseif t == "thread" then return "thread:" .. coroutine.status(v)
  elseif t == "userdata" then return "userdata"
  elseif t == "string" then return string.format("%q", v)
  end
  return tostring(v)
end
local function emit(tag, ...)
  local n = select("#", ...)
  local parts = {tag}
  for i = 1, n do parts[#parts + 1] = show((select(i, ...))) end
  print(table.concat(parts, " "))
end
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do if type(k) == "string" or type(k) == "number" then keys[#keys + 1] = k end end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  return keys
end
local function dump(tag, t)
  if type(t) ~= "table" then emit(tag, t) return end
  local parts = {}
  for _, k in ipairs(sorted_keys(t)) do parts[#parts + 1] = tostring(k) .. "=" .. show(rawget(t, k)) end
  print(tag .. " {" .. table.concat(parts, ",") .. "}")
end
local Vec = {}
Vec.__index = function(t, k) if k == "len" then return rawget(t, "x") + rawget(t, "y") end return rawget(Vec, k) end
Vec.__add = function(a, b)
  if type(a) == "number" then return Vec.new(a + b.x, a + b.y) end
  if type(b) == "number" then return Vec.new(a.x + b, a.y + b) end
  return Vec.new(a.x + b.x, a.y + b.y)
end
Vec.__sub = function(a, b) return Vec.new(a.x - b.x, a.y - b.y) end
Vec.__mul = function(a, b)
  if type(b) == "number" then return Vec.new(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
Vec.__unm = function(a) return Vec.new(-a.x, -a.y) end
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__lt = function(a, b) return a.x < b.x end
Vec.__le = function(a, b) return a.x <= b.x end
Vec.__concat = function(a, b)
  local sa = type(a) == "table" and ("V" .. a.x) or tostring(a)
  local sb = type(b) == "table" and ("V" .. b.x) or tostring(b)
  return sa .. "|" .. sb
end
Vec.__call = function(self, k) return self.x * (k or 1) end
Vec.__tostring = function(self) return "Vec(" .. self.x .. "," .. self.y .. ")" end
Vec.__len = function(self) return 2 end
local vec_ids = 0
function Vec.new(x, y)
  vec_ids = vec_ids + 1
  return setmetatable({x = x, y = y, id = "v" .. vec_ids}, Vec)
end
function Vec.norm1(self) return math.abs(self.x) + math.abs(self.y) end
local Proxy = {}
Proxy.__index = function(t, k) return rawget(t, "store")[k] end
Proxy.__newindex = function(t, k, v)
  if type(k) ~= "string" and type(k) ~= "number" then error("bad key type " .. type(k)) end
  rawget(t, "store")[k] = v
end
local function proxy(id) return setmetatable({store = {}, id = id}, Proxy) end
local Chain = setmetatable({}, {__index = function(t, k) return type(k) == "string" and #k or -1 end})
local Strict = setmetatable({}, {__index = function(t, k) error("no field " .. tostring(k), 2) end,
  __newindex = function(t, k, v) error("read-only", 2) end})
local Counter = setmetatable({n = 0, id = "counter"}, {__call = function(self, d) self.n = self.n + (d or 1) return self.n end})
local Str = setmetatable({id = "strmeta"}, {__concat = function(a, b)
  return (type(a) == "table" and "S" or tostring(a)) .. "+" .. (type(b) == "table" and "S" or tostring(b)) end,
  __add = function(a, b) return 100 end, __lt = function(a, b) return true end})
'''

NUM_LITERALS = ["0", "1", "2", "3", "-1", "7", "10", "100", "0.5", "-2.5", "1e3", "255",
                "2^31", "2^53", "-0", "1/0", "-1/0", "0x10", "3.25", "1e-3", "65536", "4294967296"]
STR_LITERALS = ['"10"', '"0x1F"', '" 3 "', '"abc"', '""', '"1e2"', '"-7"', '"a.b.c"',
                '"hello world"', '"%d"', '"x"', '"3.5"', '"nan"', '"  "', '"a,b,,c"', '"z"']
ARITH = ["+", "-", "*", "/", "%", "^"]
COMPARE = ["==", "~=", "<", "<=", ">", ">="]
PATTERNS = ['"%d+"', '"%a"', '"(%w+)"', '"[aeiou]"', '"."', '"^%s*(.-)%s*$"', '"%.(%w)"',
            '"(a)(b)?"', '"[%d%.]+"', '"x*"', '"%f[%w]%w+"', '"%b()"']


class Gen:
    """One program: locals in scope per block, each with the kind it was made as."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.lines = []
        self.counter = 0
        self.depth = 0
        self.scopes = [[]]
        self.funcs = [[]]
        self.loop_depth = 0
        self.tag = 0

    # -- names and scopes

    def fresh(self, prefix):
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def line(self, text):
        self.lines.append("  " * self.depth + text)

    def open(self, text):
        self.line(text)
        self.depth += 1
        self.scopes.append([])
        self.funcs.append([])

    def close(self, text="end"):
        self.depth -= 1
        self.scopes.pop()
        self.funcs.pop()
        self.line(text)

    def declare(self, name, kind):
        self.scopes[-1].append((name, kind))

    def visible(self, kind=None):
        out = []
        for scope in self.scopes:
            for name, k in scope:
                if kind is None or k == kind:
                    out.append(name)
        return out

    def visible_funcs(self):
        out = []
        for f in self.funcs:
            out.extend(f)
        return out

    def next_tag(self):
        self.tag += 1
        return '"t%d"' % self.tag

    # -- expressions

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p):
        return self.r.random() < p

    def num(self, d=0):
        r = self.r
        names = self.visible("num")
        choice = r.randrange(12)
        if d > 2 or choice < 3:
            if names and r.random() < 0.7:
                return self.pick(names)
            return self.pick(NUM_LITERALS)
        if choice < 6:
            return "(%s %s %s)" % (self.num(d + 1), self.pick(ARITH[:5] if d else ARITH), self.num(d + 1))
        if choice == 6:
            return "#%s" % self.strx(d + 1) if r.random() < 0.5 else "#%s" % self.tab(d + 1)
        if choice == 7:
            fn = self.pick(["math.floor", "math.abs", "math.ceil", "math.sqrt", "math.fmod", "math.max",
                            "math.min", "math.modf", "bit.band", "bit.bxor", "bit.tobit", "bit.lshift",
                            "math.huge and math.floor", "tonumber"])
            if fn in ("math.fmod", "math.max", "math.min", "bit.band", "bit.bxor", "bit.lshift"):
                return "%s(%s, %s)" % (fn, self.num(d + 1), self.num(d + 1))
            if fn == "tonumber":
                return "(tonumber(%s) or -1)" % self.strx(d + 1)
            return "%s(%s)" % (fn, self.num(d + 1))
        if choice == 8:
            return "(- %s)" % self.num(d + 1)
        if choice == 9:
            fs = self.visible_funcs()
            if fs:
                return "%s(%s, %s)" % (self.pick(fs), self.any(d + 1), self.any(d + 1))
            return "select(\"#\", %s, %s)" % (self.any(d + 1), self.any(d + 1))
        if choice == 10:
            return "(%s and %s or %s)" % (self.cond(d + 1), self.num(d + 1), self.num(d + 1))
        return "(%s).x" % self.vec(d + 1)

    def strx(self, d=0):
        r = self.r
        names = self.visible("str")
        choice = r.randrange(10)
        if d > 2 or choice < 3:
            if names and r.random() < 0.6:
                return self.pick(names)
            return self.pick(STR_LITERALS)
        if choice == 3:
            return "(%s .. %s)" % (self.strx(d + 1), self.pick([self.strx(d + 1), self.num(d + 1)]))
        if choice == 4:
            return "string.sub(%s, %s, %s)" % (self.strx(d + 1), self.pick(["1", "2", "-3", "0"]), self.pick(["-1", "3", "10", "-2"]))
        if choice == 5:
            fn = self.pick(["string.upper", "string.lower", "string.reverse", "tostring"])
            return "%s(%s)" % (fn, self.pick([self.strx(d + 1), self.num(d + 1)]))
        if choice == 6:
            return "string.rep(%s, %s)" % (self.strx(d + 1), self.pick(["0", "1", "3", "-1"]))
        if choice == 7:
            fmt = self.pick(['"%d"', '"%5.2f"', '"%s|%s"', '"%x"', '"%g"', '"%q"', '"%-4s!"', '"%03d"', '"%.3s"'])
            nargs = fmt.count("%")
            # %s and %q would print a table's address: every argument goes through tostring
            args = ", ".join("tostring(%s)" % self.pick([self.num(d + 1), self.strx(d + 1)]) if self.chance(0.6)
                             else self.pick(NUM_LITERALS + STR_LITERALS) for _ in range(nargs))
            return "string.format(%s, %s)" % (fmt, args)
        if choice == 8:
            return "(string.gsub(%s, %s, %s))" % (self.strx(d + 1), self.pick(PATTERNS),
                                                  self.pick(['"<%0>"', '"%1"', 'string.upper', '{a = "A", b = 1}', '""']))
        return "(string.match(%s, %s) or \"none\")" % (self.strx(d + 1), self.pick(PATTERNS))

    def vec(self, d=0):
        names = self.visible("vec")
        if names and self.chance(0.7):
            return self.pick(names)
        return "Vec.new(%s, %s)" % (self.num(d + 1), self.num(d + 1))

    def tab(self, d=0):
        names = self.visible("tab")
        if names and self.chance(0.6):
            return self.pick(names)
        choice = self.r.randrange(5)
        if choice == 0:
            return "{%s}" % ", ".join("(%s or 0)" % self.num(d + 1) for _ in range(self.r.randrange(5)))
        if choice == 1:
            return "{(%s or false), (%s or 0), n = %s}" % (self.strx(d + 1), self.num(d + 1), self.num(d + 1))
        if choice == 2:
            return self.vec(d)
        if choice == 3:
            return "proxy(%s)" % self.next_tag()
        return "{id = %s, (%s or false)}" % (self.next_tag(), self.any(d + 1))

    def cond(self, d=0):
        choice = self.r.randrange(6)
        if choice == 0:
            return "(%s %s %s)" % (self.num(d + 1), self.pick(COMPARE), self.num(d + 1))
        if choice == 1:
            return "(%s %s %s)" % (self.strx(d + 1), self.pick(COMPARE), self.strx(d + 1))
        if choice == 2:
            return "(%s %s %s)" % (self.any(d + 1), self.pick(["==", "~="]), self.any(d + 1))
        if choice == 3:
            return "not %s" % self.any(d + 1)
        if choice == 4:
            return "(%s %s %s)" % (self.vec(d + 1), self.pick(COMPARE), self.vec(d + 1))
        return "(%s %s %s)" % (self.any(d + 1), self.pick(COMPARE), self.any(d + 1))

    def any(self, d=0):
        choice = self.r.randrange(14)
        if choice < 4:
            return self.num(d)
        if choice < 6:
            return self.strx(d)
        if choice == 6:
            return self.tab(d)
        if choice == 7:
            return self.cond(d)
        if choice == 8:
            names = self.visible()
            return self.pick(names) if names else "nil"
        if choice == 9:
            return self.pick(["nil", "true", "false", "Counter", "Str", "Chain", "Vec"])
        if choice == 10:
            return "(%s %s %s)" % (self.any(d + 1), self.pick(ARITH + [".."]), self.any(d + 1))
        if choice == 11:
            return "(%s)[%s]" % (self.tab(d + 1), self.pick(['"x"', '"n"', "1", "2", '"len"', '"store"', self.any(d + 1)]))
        if choice == 12:
            return "Chain[%s]" % self.any(d + 1)
        return "(%s .. %s)" % (self.pick(["Str", self.vec(d + 1)]), self.any(d + 1))

    # -- statements

    def stmt(self, budget):
        r = self.r
        k = r.randrange(23)
        if self.depth > 5:
            k = r.choice([0, 1, 2, 3])
        if k <= 1:
            kind = r.choice(["num", "num", "str", "tab", "vec"])
            name = self.fresh("v")
            expr = {"num": self.num, "str": self.strx, "tab": self.tab, "vec": self.vec}[kind]()
            self.line("local %s = %s" % (name, expr))
            self.declare(name, kind)
        elif k == 2:
            names = self.visible()
            if names:
                name, kind = self.pick([nk for s in self.scopes for nk in s if nk[1] != "co"])
                if r.random() < 0.1:
                    expr = self.any()  # changes the type the trace saw
                else:
                    expr = {"num": self.num, "str": self.strx, "tab": self.tab, "vec": self.vec}[kind]()
                self.line("%s = %s" % (name, expr))
            else:
                self.line("emit(%s, %s)" % (self.next_tag(), self.any()))
        elif k == 3:
            args = ", ".join(self.any() for _ in range(r.randrange(1, 4)))
            self.line("emit(%s, %s)" % (self.next_tag(), args))
        elif k == 4:
            self.for_loop(budget)
        elif k == 5:
            self.while_loop(budget)
        elif k == 6:
            self.open("if %s then" % self.cond())
            self.block(budget // 2)
            if r.random() < 0.5:
                self.depth -= 1
                self.line("elseif %s then" % self.cond())
                self.depth += 1
                self.block(budget // 3)
            if r.random() < 0.5:
                self.depth -= 1
                self.line("else")
                self.depth += 1
                self.block(budget // 3)
            self.close()
        elif k in (7, 8):
            self.function_def(budget)
        elif k == 9:
            self.protected(budget)
        elif k == 10:
            self.coroutine_stmt(budget)
        elif k == 11:
            self.table_ops()
        elif k == 12:
            self.vararg_stmt()
        elif k == 13:
            self.string_stmt()
        elif k == 14:
            self.nested_hot(budget)
        elif k == 15:
            self.repeat_loop(budget)
        elif k == 16:
            fs = self.visible_funcs()
            if fs:
                f = self.pick(fs)
                self.line("emit(%s, pcall(%s, %s, %s))" % (self.next_tag(), f, self.any(), self.any()))
            else:
                self.line("emit(%s, pcall(error, %s))" % (self.next_tag(), self.any()))
        elif k == 17:
            self.metamethod_stmt()
        elif k == 18:
            self.line("emit(%s, pcall(function() return %s end))" % (self.next_tag(), self.any()))
        elif k == 19:
            self.sort_stmt()
        elif k == 20:
            self.gc_stmt()
        elif k == 22:
            self.objects_hot()
        else:
            self.line("emit(%s, pcall(function() local r = %s; return r end))" % (self.next_tag(), self.any()))

    def block(self, budget):
        n = max(1, min(budget, self.r.randrange(1, 6)))
        for _ in range(n):
            self.stmt(max(1, budget - n))

    def loop_count(self):
        if self.loop_depth == 0:
            return self.r.choice([100, 120, 150, 200, 257, 300])
        return self.r.choice([3, 5, 10, 17, 30])

    def for_loop(self, budget):
        r = self.r
        i = self.fresh("i")
        acc = self.fresh("acc")
        n = self.loop_count()
        self.line("local %s = 0" % acc)
        self.declare(acc, "num")
        step = r.choice(["", "", "", ", 2", ", -1", ", 0.5"])
        if step == ", -1":
            head = "for %s = %d, 1, -1 do" % (i, n)
        elif step == ", 0.5":
            head = "for %s = 1, %d, 0.5 do" % (i, n // 2)
        else:
            head = "for %s = 1, %d%s do" % (i, n, step)
        self.open(head)
        self.declare(i, "num")
        self.loop_depth += 1
        # a switch of types in the middle of a hot loop exits a trace
        if r.random() < 0.3:
            victim = self.pick(self.visible("num") or [acc])
            self.line("if %s == %d then %s = %s end" % (i, r.randrange(1, n + 1), victim, self.pick(['"5"', "Vec.new(1, 2)", "nil", "true", '"x"'])))
        self.line("%s = %s + %s" % (acc, acc, self.pick([i, "%s %% 7" % i, "#tostring(%s)" % i, self.num(2)])))
        self.block(budget // 2)
        if r.random() < 0.2:
            self.line("if %s > %d then break end" % (i, r.randrange(1, n + 20)))
        self.loop_depth -= 1
        self.close()
        self.line("emit(%s, %s)" % (self.next_tag(), acc))

    def while_loop(self, budget):
        c = self.fresh("w")
        n = self.loop_count()
        self.line("local %s = 0" % c)
        self.declare(c, "num")
        self.open("while %s < %d do" % (c, n))
        self.line("%s = %s + 1" % (c, c))
        self.loop_depth += 1
        self.block(budget // 2)
        self.loop_depth -= 1
        self.close()
        self.line("emit(%s, %s)" % (self.next_tag(), c))

    def repeat_loop(self, budget):
        c = self.fresh("r")
        n = self.loop_count()
        self.line("local %s = 0" % c)
        self.declare(c, "num")
        self.line("repeat")
        self.depth += 1
        self.scopes.append([])
        self.funcs.append([])
        self.line("%s = %s + 1" % (c, c))
        self.loop_depth += 1
        self.block(budget // 2)
        self.loop_depth -= 1
        self.depth -= 1
        self.scopes.pop()
        self.funcs.pop()
        self.line("until %s >= %d" % (c, n))
        self.line("emit(%s, %s)" % (self.next_tag(), c))

    def nested_hot(self, budget):
        """Nested loops, the inner one calling a function that reads an upvalue."""
        f = self.fresh("f")
        up = self.fresh("u")
        t = self.fresh("a")
        self.line("local %s = %s" % (up, self.num()))
        self.declare(up, "num")
        self.line("local %s = {}" % t)
        self.open("local function %s(x, y)" % f)
        self.line("%s = %s + 1" % (up, up))
        self.line("if x % 13 == 0 then return x .. \"\" end")
        self.line("return x * 2 + (y or 0) - %s %% 3" % up)
        self.close()
        self.funcs[-1].append(f)
        i, j = self.fresh("i"), self.fresh("j")
        self.open("for %s = 1, %d do" % (i, self.r.choice([20, 40, 110])))
        self.open("for %s = 1, %d do" % (j, self.r.choice([5, 10, 60])))
        self.line("%s[%s] = %s(%s, %s)" % (t, j, f, j, self.pick([i, "nil", "0.5"])))
        self.close()
        self.close()
        self.line("emit(%s, #%s, %s[1], %s[#%s], %s)" % (self.next_tag(), t, t, t, t, up))

    def objects_hot(self):
        """A hot loop making objects a trace may sink (a constructor's copy, an empty table
        given keys, a vector with a metatable, a table in a table), changed and read, and
        kept on some iterations (where an exit must make it)."""
        r = self.r
        keep, i, o = self.fresh("k"), self.fresh("i"), self.fresh("o")
        self.line("local %s = {}" % keep)
        self.open("for %s = 1, %d do" % (i, r.choice([40, 110, 300])))
        kind = r.randrange(4)
        if kind == 0:
            self.line("local %s = {x = %s, y = %s, id = %s}" % (o, i, self.num(1), i))
        elif kind == 1:
            self.line("local %s = Vec.new(%s, %s)" % (o, i, self.num(1)))
        elif kind == 2:
            self.line("local %s = {}" % o)
            self.line("%s.x = %s" % (o, i))
            self.line("%s.id = %s" % (o, i))
        else:
            self.line("local %s = {%s, {x = %s, id = %s}, x = %s, id = %s}" % (o, i, self.num(1), i, i, i))
        for _ in range(r.randrange(1, 4)):
            c = r.randrange(4)
            if c == 0:
                self.line("%s.x = %s" % (o, self.num(1)))
            elif c == 1:
                self.line("if %s %% %d == 0 then %s[#%s + 1] = %s end" % (i, r.choice([3, 7, 29, 97]), keep, keep, o))
            elif c == 2:
                self.line("%s.y = %s" % (o, self.any(1)))
            else:
                self.line("if %s then %s[#%s + 1] = %s end" % (self.cond(1), keep, keep, o))
        self.close()
        self.line("emit(%s, #%s, show(%s[1]), %s[#%s] and %s[#%s].x)" % (self.next_tag(), keep, keep, keep, keep, keep, keep))

    def function_def(self, budget):
        r = self.r
        f = self.fresh("f")
        params = ["p%d" % k for k in range(r.randrange(0, 3))]
        vararg = r.random() < 0.4
        plist = ", ".join(params + (["..."] if vararg else []))
        self.open("local function %s(%s)" % (f, plist))
        for p in params:
            self.declare(p, r.choice(["num", "num", "str", "tab"]))
        if vararg:
            self.line("local va%s = select(\"#\", ...)" % f)
            self.declare("va%s" % f, "num")
        saved = self.loop_depth
        self.loop_depth = 0 if r.random() < 0.3 else max(1, self.loop_depth)
        self.block(max(1, budget // 2))
        self.loop_depth = saved
        if r.random() < 0.15:
            self.line("if %s then error(%s%s) end" % (self.cond(), self.pick([self.strx(), "{id = %s}" % self.next_tag(), self.num()]),
                                                    self.pick(["", ", 0", ", 2"])))
        ret = self.pick([self.any(), self.num(), "%s, %s" % (self.any(), self.any())])
        if vararg and r.random() < 0.5:
            ret = ret + ", ..."
        self.line("return %s" % ret)
        self.close()
        self.funcs[-1].append(f)  # callable after its definition only: no recursion

    def protected(self, budget):
        ok, err = self.fresh("ok"), self.fresh("e")
        how = self.r.randrange(3)
        if how == 0:
            self.open("local %s, %s = pcall(function()" % (ok, err))
            self.block(budget // 2)
            self.line("return %s" % self.any())
            self.close("end)")
        elif how == 1:
            self.open("local %s, %s = xpcall(function()" % (ok, err))
            self.block(budget // 2)
            self.line("return %s" % self.any())
            self.depth -= 1
            self.line("end, function(m) return \"handled: \" .. tostring(type(m) == \"table\" and show(m) or m) end)")
            self.scopes.pop()
            self.funcs.pop()
        else:
            self.open("local %s, %s = pcall(function()" % (ok, err))
            self.block(budget // 2)
            self.line("error(%s, %s)" % (self.pick([self.strx(), "{id = %s}" % self.next_tag(), "nil", self.num()]),
                                         self.pick(["1", "2", "0"])))
            self.close("end)")
        self.line("emit(%s, %s, %s)" % (self.next_tag(), ok, err))

    def coroutine_stmt(self, budget):
        r = self.r
        co = self.fresh("co")
        n = r.choice([3, 10, 120])
        i = self.fresh("i")
        s = self.fresh("s")
        if r.random() < 0.5:
            self.open("local %s = coroutine.wrap(function(a)" % co)
            self.line("local %s = 0" % s)
            self.open("for %s = 1, %d do" % (i, n))
            self.line("%s = %s + %s" % (s, s, self.pick([i, "(tonumber(a) or 1)", "#tostring(a)"])))
            self.line("a = coroutine.yield(%s, %s)" % (s, self.any()))
            self.close()
            if r.random() < 0.3:
                self.line("error(%s)" % self.strx())
            self.line("return \"done\", %s" % s)
            self.close("end)")
            k = self.fresh("k")
            self.open("for %s = 1, %d do" % (k, n + 1))
            self.line("local okc, x, y = pcall(%s, %s)" % (co, self.pick([k, self.any()])))
            self.line("if %s %% %d == 0 or not okc then emit(%s, okc, x, y) end" % (k, max(1, n // 3), self.next_tag()))
            self.line("if not okc or x == \"done\" then break end")
            self.close()
        else:
            self.open("local %s = coroutine.create(function(...)" % co)
            self.line("local args = {...}")
            self.line("local %s = select(\"#\", ...)" % s)
            self.open("for %s = 1, %d do" % (i, n))
            self.line("%s = %s + (coroutine.yield(%s) or 0)" % (s, s, i))
            self.close()
            self.line("return %s, args[1]" % s)
            self.close("end)")
            self.declare(co, "co")
            self.line("emit(%s, coroutine.resume(%s, %s, %s))" % (self.next_tag(), co, self.any(), self.any()))
            k = self.fresh("k")
            self.open("for %s = 1, %d do" % (k, n + 1))
            self.line("local okc, v = coroutine.resume(%s, %s)" % (co, self.pick([k, "0.5", '"2"', "nil", '"x"'])))
            self.line("if not okc then emit(%s, okc, v) break end" % self.next_tag())
            self.close()
            self.line("emit(%s, coroutine.status(%s), coroutine.resume(%s))" % (self.next_tag(), co, co))

    def table_ops(self):
        r = self.r
        t = self.fresh("t")
        # no nil in an array: where # lands in a table with holes differs between engines
        self.line("local %s = {%s}" % (t, ", ".join("(%s or 0)" % self.num() for _ in range(r.randrange(0, 6)))))
        self.declare(t, "tab")
        for _ in range(r.randrange(1, 5)):
            op = r.randrange(8)
            if op == 0:
                self.line("table.insert(%s, (%s or false))" % (t, self.any()))
            elif op == 1:
                self.line("table.insert(%s, 1, (%s or 0))" % (t, self.num()))
            elif op == 2:
                self.line("emit(%s, table.remove(%s))" % (self.next_tag(), t))
            elif op == 3:
                self.line("%s[%s] = (%s or false)" % (t, self.pick(["#%s + 1" % t, "1", '"k"', "0", "-1", "2.5"]), self.any()))
            elif op == 4:
                self.line("emit(%s, pcall(table.concat, %s, %s))" % (self.next_tag(), t, self.pick(['","', '""', "nil", "1"])))
            elif op == 5:
                self.line("dump(%s, %s)" % (self.next_tag(), t))
            elif op == 6:
                self.line("emit(%s, #%s, %s[#%s], select(\"#\", unpack(%s)))" % (self.next_tag(), t, t, t, t))
            else:
                self.line("emit(%s, pcall(rawset, %s, %s, (%s or false)))" % (self.next_tag(), t, self.pick(["nil", "0/0", "1", '"s"']), self.any()))

    def sort_stmt(self):
        t = self.fresh("t")
        kind = self.r.randrange(3)
        if kind == 0:
            items = ["(%s or 0)" % self.num(2) for _ in range(self.r.randrange(2, 9))]
            self.line("local %s = {%s}" % (t, ", ".join(items)))
            # a sort that fails leaves an order that differs between engines: dumped only when it succeeded
            self.line("local sorted_%s = pcall(table.sort, %s)" % (t, t))
            self.line("emit(%s, sorted_%s)" % (self.next_tag(), t))
        elif kind == 1:
            items = [self.pick(STR_LITERALS) for _ in range(self.r.randrange(2, 9))]
            self.line("local %s = {%s}" % (t, ", ".join(items)))
            self.line("table.sort(%s, function(a, b) return a > b end)" % t)
        else:
            self.line("local %s = {}" % t)
            self.line("for q = 1, 150 do %s[q] = (q * 37) %% 101 end" % t)
            self.line("table.sort(%s, function(a, b) return a < b end)" % t)
        self.line("emit(%s, table.concat(%s, \",\"))" % (self.next_tag(), t) if kind != 0 else
                  "if sorted_%s then dump(%s, %s) end" % (t, self.next_tag(), t))
        self.declare(t, "tab")

    def vararg_stmt(self):
        f = self.fresh("va")
        self.line("local function %s(...) local n = select(\"#\", ...) return n, select(n > 0 and -1 or 1, ...), {...} end" % f)
        self.line("emit(%s, %s(%s))" % (self.next_tag(), f, ", ".join(self.any() for _ in range(self.r.randrange(0, 4)))))
        self.line("emit(%s, select(%s, %s, %s, %s))" % (self.next_tag(), self.pick(["1", "2", "-1", "3", '"#"', "-2"]),
                                                      self.any(), self.any(), self.any()))

    def string_stmt(self):
        r = self.r
        s = self.fresh("s")
        self.line("local %s = %s" % (s, self.strx()))
        self.declare(s, "str")
        op = r.randrange(7)
        if op == 0:
            self.line("emit(%s, string.find(%s, %s, %s))" % (self.next_tag(), s, self.pick(PATTERNS), self.pick(["1", "2", "-2", "10"])))
        elif op == 1:
            self.line("emit(%s, string.find(%s, %s, 1, true))" % (self.next_tag(), s, self.pick(STR_LITERALS)))
        elif op == 2:
            self.line("emit(%s, string.byte(%s, 1, -1))" % (self.next_tag(), s))
        elif op == 3:
            self.open("for w in string.gmatch(%s, %s) do" % (s, self.pick(PATTERNS)))
            self.line("emit(%s, w)" % self.next_tag())
            self.close()
        elif op == 4:
            self.line("emit(%s, string.gsub(%s, %s, %s, %s))" % (self.next_tag(), s, self.pick(PATTERNS),
                                                               self.pick(['"[%0]"', "function(c) return #c end", '{}']),
                                                               self.pick(["1", "2", "nil"])))
        elif op == 5:
            acc = self.fresh("b")
            self.line("local %s = {}" % acc)
            self.open("for q = 1, 120 do")
            self.line("%s[#%s + 1] = string.char(65 + q %% 26) .. string.sub(%s, q %% 3, q %% 5)" % (acc, acc, s))
            self.close()
            self.line("emit(%s, #table.concat(%s), string.sub(table.concat(%s), 1, 40))" % (self.next_tag(), acc, acc))
        else:
            self.line("emit(%s, pcall(string.format, %s, tostring(%s)))" % (self.next_tag(), self.pick(['"%5.1f|%-3d|%s"', '"%q"', '"%i"', '"%%"', '"%e"']),
                                                                         self.any()))

    def metamethod_stmt(self):
        r = self.r
        op = r.randrange(6)
        v = self.vec()
        if op == 0:
            self.line("emit(%s, pcall(function() return %s %s %s end))" % (self.next_tag(), v, self.pick(["+", "-", "*", ".."]), self.pick([self.vec(), self.num(), self.strx()])))
        elif op == 1:
            self.line("emit(%s, %s(%s), %s.len, %s:norm1(), tostring(%s))" % (self.next_tag(), v, self.num(), v, v, v))
        elif op == 2:
            p = self.fresh("px")
            self.line("local %s = proxy(%s)" % (p, self.next_tag()))
            self.open("for q = 1, %d do" % self.loop_count())
            self.line("%s[q %% 7] = (%s[q %% 7] or 0) + q" % (p, p))
            self.close()
            self.line("dump(%s, rawget(%s, \"store\"))" % (self.next_tag(), p))
            self.line("emit(%s, pcall(function() %s[%s] = 1 end))" % (self.next_tag(), p, self.pick(["true", "{}", "1.5", '"k"'])))
        elif op == 3:
            self.line("emit(%s, pcall(function() return Strict.%s end))" % (self.next_tag(), self.pick(["a", "b"])))
            self.line("emit(%s, pcall(function() Strict.z = %s end))" % (self.next_tag(), self.num()))
        elif op == 4:
            self.open("for q = 1, %d do" % self.loop_count())
            self.line("Counter(%s)" % self.pick(["1", "q % 3", "0.5"]))
            self.close()
            self.line("emit(%s, Counter.n, Chain.hello, Chain[1])" % self.next_tag())
        else:
            self.line("emit(%s, pcall(function() return Str .. %s, %s .. Str, Str + 1, Str < Str end))" % (self.next_tag(), self.any(), self.num()))

    def gc_stmt(self):
        op = self.r.randrange(3)
        if op == 0:
            w = self.fresh("weak")
            self.line("local %s = setmetatable({}, {__mode = \"k\"})" % w)
            self.line("%s[{}] = 1" % w)
            self.line("collectgarbage()")
            self.line("emit(%s, next(%s) == nil)" % (self.next_tag(), w))
        elif op == 1:
            self.line("collectgarbage(\"step\", %s)" % self.pick(["0", "10", "100"]))
        else:
            g = self.fresh("g")
            self.line("local %s = {}" % g)
            self.open("for q = 1, 200 do")
            self.line("%s[q] = {q, tostring(q) .. \"x\"}" % g)
            self.close()
            self.line("collectgarbage()")
            self.line("emit(%s, #%s, %s[200][2])" % (self.next_tag(), g, g))


def program(seed, statements=None):
    g = Gen(seed)
    n = statements or g.r.randrange(8, 25)
    g.lines.append("-- seed %d" % seed)
    g.lines.extend(PRELUDE.rstrip("\n").split("\n"))
    for _ in range(g.r.randrange(1, 4)):
        name = g.fresh("g")
        g.lines.append("local %s = %s" % (name, g.pick(NUM_LITERALS)))
        g.declare(name, "num")
    # each section runs protected, so an error ends one section and not the program
    for section in range(n):
        g.open("emit(\"section %d\", pcall(function()" % section)
        g.block(g.r.randrange(1, 4))
        g.close("end))")
    g.lines.append('print("end")')
    return "\n".join(g.lines) + "\n"


if __name__ == "__main__":
    import sys
    sys.stdout.write(program(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
