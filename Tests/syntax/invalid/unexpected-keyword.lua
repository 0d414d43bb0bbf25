local x = end
