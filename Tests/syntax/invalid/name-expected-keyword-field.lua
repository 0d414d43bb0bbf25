x = t.end
