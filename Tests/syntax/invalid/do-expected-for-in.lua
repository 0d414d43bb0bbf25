for k in pairs(t) end
