module(...)
value = 42
function get() return value end
