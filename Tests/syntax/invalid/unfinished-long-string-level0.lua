x = [[
abc
