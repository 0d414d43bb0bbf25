while x end
