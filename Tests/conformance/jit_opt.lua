-- jit.opt.start: luajit's -O arguments at run time (levels, flags, parameters), also through
-- require("jit.opt"), and its messages for arguments it does not know. Built executables
-- have no JIT but check the arguments the same way.

local opt = require("jit.opt")
print("module", opt == jit.opt, type(opt.start))
opt.start("hotloop=5", "-fold", "+fold", "2", "maxside=50")
opt.start()
opt.start(3)
for _, bad in ipairs({ "foo", "hotloop=x", "hotloop=", "=5", "+nosuchflag", "12" }) do
  print("bad", bad, pcall(opt.start, bad))
end
print("table", pcall(opt.start, {}))
print("nil", pcall(opt.start, "hotloop=3", nil))
opt.start("hotloop=1")
local s = 0
for i = 1, 200 do s = s + i end -- trace
print("loop", s)
