-- The jit library drives the compiler: jit.off(f) keeps a function's loops interpreted,
-- jit.on(f) lets them compile again, jit.flush() drops every trace, and code keeps its
-- results through all of it.
local function sum(n) local s = 0 for i = 1, n do s = s + i end return s end -- trace
print(sum(100))
jit.off(sum)
print(sum(200))
jit.on(sum)
print(sum(300))
jit.flush()
print(sum(400))
jit.off()
print(jit.status(), sum(500))
jit.on()
print(sum(600))
print("ok")
