-- Loaded by require: the name is the only argument.
req_basic_loads = (req_basic_loads or 0) + 1
local name = ...
return { name = name, argc = select("#", ...), loading = type(package.loaded[name]) }
